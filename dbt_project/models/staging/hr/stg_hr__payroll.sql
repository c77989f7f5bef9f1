-- One row per employee per payroll snapshot, with ethnicity conformed to Census 2021 codes.
-- Unmapped labels keep census_code null and ethnicity_status = 'unmapped' (a data-quality finding).
with

source as (
    select * from {{ source('hr', 'hr_payroll') }}
),

renamed as (
    select
        employee_id as employee_key,
        snapshot_date,
        authority_code,
        ethnicity as ethnicity_recorded,
        {{ normalise_label('ethnicity') }} as ethnicity_label,
        sex,
        grade,
        directorate,
        contract_type,
        weekly_hours,
        pay_period,
        basic_pay_in_period,
        coalesce(allowances_in_period, 0) as allowances_in_period,
        coalesce(bonus_pay_12m, 0) as bonus_pay_12m,
        coalesce(reduced_pay_due_to_leave, false) as is_on_reduced_pay_leave,
        _source_file as source_file,
        _source_row as source_row
    from source
),

conformed as (
    {{ conform_ethnicity_label('renamed', 'ethnicity_recorded') }}
)

select * from conformed
