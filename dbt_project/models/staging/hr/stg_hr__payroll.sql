-- One row per employee per payroll snapshot, with ethnicity conformed to Census 2021 codes.
-- Unmapped labels keep census_code null and ethnicity_status = 'unmapped' (a data-quality finding).
with

source as (
    select * from {{ source('hr', 'hr_payroll') }}
),

labels as (
    select * from {{ ref('ethnicity_hr_labels') }}
),

census as (
    select * from {{ ref('ethnicity_census2021') }}
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
    select
        renamed.*,
        labels.census_code,
        census.display_label as ethnicity_group,
        census.major_group as ethnicity_major_group,
        census.display_order as ethnicity_display_order,
        case
            when labels.census_code is not null then 'known'
            when renamed.ethnicity_label = '' then 'not_recorded'
            when labels.unknown_reason is not null then labels.unknown_reason
            else 'unmapped'
        end as ethnicity_status
    from renamed
    left join labels
        on renamed.ethnicity_label = labels.label_normalised
    left join census
        on labels.census_code = census.census_code
)

select * from conformed
