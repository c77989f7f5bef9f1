-- One row per course attended or progression event (promotion, acting up) in a financial year, linked to
-- the payroll snapshot closing the year (year_ending = snapshot_date) through employee_key; one flag per
-- kind of record so WRES relative likelihoods (non-mandatory training, promotion, acting up) count
-- employees with any such record. Ethnicity is conformed to Census 2021 codes; unmapped labels keep
-- census_code null and ethnicity_status = 'unmapped'.
with

source as (
    select * from {{ source('hr', 'hr_training') }}
),

renamed as (
    select
        record_id as record_key,
        employee_id as employee_key,
        authority_code,
        replace(financial_year, '/', '-') as financial_year,
        make_date(cast(left(financial_year, 4) as integer) + 1, 3, 31) as year_ending,
        ethnicity as ethnicity_recorded,
        {{ normalise_label('ethnicity') }} as ethnicity_label,
        grade,
        directorate,
        activity_type,
        activity,
        course_category,
        start_date,
        end_date,
        hours,
        activity_type = 'Course' as is_course,
        activity_type = 'Course' and coalesce(course_category = 'Mandatory', false) as is_mandatory_course,
        activity_type = 'Course' and coalesce(course_category = 'Non-mandatory', false) as is_non_mandatory_course,
        activity_type = 'Promotion' as is_promotion,
        activity_type = 'Acting up' as is_acting_up,
        _source_file as source_file,
        _source_row as source_row
    from source
),

conformed as (
    {{ conform_ethnicity_label('renamed', 'ethnicity_recorded') }}
)

select * from conformed
