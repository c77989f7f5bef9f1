-- One row per child protection plan open at some time in an extract's reporting year, ethnicity
-- conformed from the DfE main code to Census 2021 codes. A plan open across 31 March is in two years'
-- extracts, so year_ending belongs to the extract (source file): the 31 March ending the reporting
-- year of the extract's latest plan date.
with

source as (
    select * from {{ source('care', 'child_protection') }}
),

extracts as (
    select
        *,
        max(greatest(plan_start, coalesce(plan_end, plan_start)))
            over (partition by _source_file) as latest_date
    from source
),

dated as (
    select
        *,
        make_date(year(latest_date) + if(month(latest_date) >= 4, 1, 0), 3, 31) as year_ending
    from extracts
),

renamed as (
    select
        child_id as child_key,
        authority_code,
        year_ending,
        sex,
        month_of_birth,
        ethnicity as ethnicity_recorded,
        plan_start,
        plan_end,
        category_of_abuse,
        previous_plans,
        plan_start <= year_ending and coalesce(plan_end > year_ending, true) as is_open_at_year_end,
        plan_start > year_ending - interval 1 year as is_started_in_year,
        coalesce(plan_end <= year_ending, false) as is_ended_in_year,
        _source_file as source_file,
        _source_row as source_row
    from dated
),

conformed as (
    {{ conform_ethnicity_dfe('renamed', 'ethnicity_recorded') }}
)

select * from conformed
