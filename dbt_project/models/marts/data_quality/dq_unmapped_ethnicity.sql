-- Ethnicity values a source held that no reviewed lookup maps: a data-quality finding for the data
-- team (add the value to the lookup seed, or correct it at source), never a silent "Other".
-- One row per source, authority, period and recorded value. Every staging model with ethnicity
-- exposes ethnicity_recorded and ethnicity_status: add one CTE per source and union it below.
with

hr_payroll as (
    select
        'hr_payroll' as source_name,
        authority_code,
        cast(snapshot_date as varchar) as period,
        ethnicity_recorded,
        count(*) as row_count
    from {{ ref('stg_hr__payroll') }}
    where ethnicity_status = 'unmapped'
    group by all
),

final as (
    select * from hr_payroll
)

select * from final
