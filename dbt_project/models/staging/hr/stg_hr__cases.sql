-- One row per formal employee-relations case opened in a financial year, linked to the payroll snapshot
-- closing the year (year_ending = snapshot_date) through employee_key. Ethnicity is conformed to
-- Census 2021 codes; unmapped labels keep census_code null and ethnicity_status = 'unmapped'.
with

source as (
    select * from {{ source('hr', 'hr_casework') }}
),

renamed as (
    select
        case_reference as case_key,
        employee_id as employee_key,
        authority_code,
        replace(financial_year, '/', '-') as financial_year,
        make_date(cast(left(financial_year, 4) as integer) + 1, 3, 31) as year_ending,
        ethnicity as ethnicity_recorded,
        {{ normalise_label('ethnicity') }} as ethnicity_label,
        sex,
        grade,
        directorate,
        case_type,
        opened_date,
        closed_date,
        outcome,
        coalesce(days_open, datediff('day', opened_date, closed_date)) as days_open,
        closed_date is null or coalesce(outcome = 'Ongoing', false) as is_ongoing,
        coalesce(outcome = 'Dismissal', false) as is_dismissal,
        _source_file as source_file,
        _source_row as source_row
    from source
),

conformed as (
    {{ conform_ethnicity_label('renamed', 'ethnicity_recorded') }}
)

select * from conformed
