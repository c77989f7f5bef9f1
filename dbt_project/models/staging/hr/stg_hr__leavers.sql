-- One row per employee leaving in a financial year, linked to the payroll snapshot opening the year
-- (opening_snapshot_date, 31 March before) through employee_key. Every kind of dismissal is
-- leaving_reason = 'Dismissal' (is_dismissal). Ethnicity is conformed to Census 2021 codes; unmapped
-- labels keep census_code null and ethnicity_status = 'unmapped'.
with

source as (
    select * from {{ source('hr', 'hr_leavers') }}
),

renamed as (
    select
        employee_id as employee_key,
        authority_code,
        replace(financial_year, '/', '-') as financial_year,
        make_date(cast(left(financial_year, 4) as integer) + 1, 3, 31) as year_ending,
        make_date(cast(left(financial_year, 4) as integer), 3, 31) as opening_snapshot_date,
        ethnicity as ethnicity_recorded,
        {{ normalise_label('ethnicity') }} as ethnicity_label,
        sex,
        grade,
        directorate,
        contract_type,
        start_date,
        leaving_date,
        leaving_reason,
        leaving_reason = 'Dismissal' as is_dismissal,
        leaving_reason = 'Resignation' as is_resignation,
        length_of_service as length_of_service_years,
        _source_file as source_file,
        _source_row as source_row
    from source
),

conformed as (
    {{ conform_ethnicity_label('renamed', 'ethnicity_recorded') }}
)

select * from conformed
