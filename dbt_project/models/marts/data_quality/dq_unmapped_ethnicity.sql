-- Ethnicity values a source held that no reviewed lookup maps: a data-quality finding for the data
-- team (add the value to the lookup seed, or correct it at source), never a silent "Other".
-- One row per source, authority, period and recorded value. Every staging model with ethnicity
-- exposes ethnicity_recorded and ethnicity_status: add one CTE per source and union it below.
-- Periods are the 31 March ending the reporting year, or the snapshot or survey wave.
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

hr_recruitment as (
    select
        'hr_recruitment' as source_name,
        authority_code,
        cast(year_ending as varchar) as period,
        ethnicity_recorded,
        count(*) as row_count
    from {{ ref('stg_hr__applications') }}
    where ethnicity_status = 'unmapped'
    group by all
),

hr_casework as (
    select
        'hr_casework' as source_name,
        authority_code,
        cast(year_ending as varchar) as period,
        ethnicity_recorded,
        count(*) as row_count
    from {{ ref('stg_hr__cases') }}
    where ethnicity_status = 'unmapped'
    group by all
),

hr_leavers as (
    select
        'hr_leavers' as source_name,
        authority_code,
        cast(year_ending as varchar) as period,
        ethnicity_recorded,
        count(*) as row_count
    from {{ ref('stg_hr__leavers') }}
    where ethnicity_status = 'unmapped'
    group by all
),

hr_training as (
    select
        'hr_training' as source_name,
        authority_code,
        cast(year_ending as varchar) as period,
        ethnicity_recorded,
        count(*) as row_count
    from {{ ref('stg_hr__training') }}
    where ethnicity_status = 'unmapped'
    group by all
),

youth_justice as (
    select
        'youth_justice' as source_name,
        authority_code,
        cast(year_ending as varchar) as period,
        ethnicity_recorded,
        count(*) as row_count
    from {{ ref('stg_youth_justice__outcomes') }}
    where ethnicity_status = 'unmapped'
    group by all
),

stop_search as (
    select
        'stop_search' as source_name,
        authority_code,
        cast(year_ending as varchar) as period,
        ethnicity_recorded,
        count(*) as row_count
    from {{ ref('stg_stop_search__searches') }}
    where ethnicity_status = 'unmapped'
    group by all
),

cla as (
    select
        'cla' as source_name,
        authority_code,
        cast(year_ending as varchar) as period,
        ethnicity_recorded,
        count(*) as row_count
    from {{ ref('stg_cla__episodes') }}
    where ethnicity_status = 'unmapped'
    group by all
),

child_protection as (
    select
        'child_protection' as source_name,
        authority_code,
        cast(year_ending as varchar) as period,
        ethnicity_recorded,
        count(*) as row_count
    from {{ ref('stg_child_protection__plans') }}
    where ethnicity_status = 'unmapped'
    group by all
),

resident_survey as (
    select
        'resident_survey' as source_name,
        authority_code,
        cast(survey_wave as varchar) as period,
        ethnicity_recorded,
        count(*) as row_count
    from {{ ref('stg_resident_survey__responses') }}
    where ethnicity_status = 'unmapped'
    group by all
),

population as (
    select
        'population' as source_name,
        authority_code,
        cast(estimate_date as varchar) as period,
        ethnicity_recorded,
        count(*) as row_count
    from {{ ref('stg_population__residents') }}
    -- one row per age band: count each file row once
    where ethnicity_status = 'unmapped' and band_type = 'total'
    group by all
),

population_census as (
    select
        'population_census' as source_name,
        geography_code as authority_code,
        cast(census_year as varchar) as period,
        ethnicity_recorded,
        count(*) as row_count
    from {{ ref('stg_population_census__residents') }}
    where ethnicity_status = 'unmapped'
    group by all
),

fingertips as (
    select
        'fingertips' as source_name,
        area_code as authority_code,
        time_period as period,
        ethnicity_recorded,
        count(*) as row_count
    from {{ ref('stg_fingertips__indicator_values') }}
    where ethnicity_status = 'unmapped'
    group by all
),

school_census as (
    select
        'school_census' as source_name,
        authority_code,
        cast(census_date as varchar) as period,
        ethnicity_recorded,
        count(*) as row_count
    from {{ ref('stg_school_census__pupils') }}
    where ethnicity_status = 'unmapped'
    group by all
),

final as (
    select * from hr_payroll
    union all
    select * from hr_recruitment
    union all
    select * from hr_casework
    union all
    select * from hr_leavers
    union all
    select * from hr_training
    union all
    select * from youth_justice
    union all
    select * from stop_search
    union all
    select * from cla
    union all
    select * from child_protection
    union all
    select * from resident_survey
    union all
    select * from population
    union all
    select * from population_census
    union all
    select * from fingertips
    union all
    select * from school_census
)

select * from final
