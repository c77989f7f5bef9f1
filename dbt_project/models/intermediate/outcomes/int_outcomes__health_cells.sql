-- Health and wellbeing indicators from the Fingertips export, as published: OHID's values, 95%
-- confidence limits, comparison with England and recent trend are kept, not recomputed (OHID holds
-- the record-level data; the Observatory does not). One row per authority x period x indicator x
-- cell, for the authorities whose own data the Observatory holds (the export covers every area).
-- Breakdowns: total (Persons), sex (Male/Female rows), ethnicity (the "Ethnic groups" category,
-- conformed to Census 2021 codes). Other category types (deprivation deciles...) are not outcome cells.
with

fingertips as (
    select * from {{ ref('stg_fingertips__indicator_values') }}
),

indicators as (
    select * from {{ ref('indicators') }}
    where fingertips_indicator_id is not null
),

authorities_in_scope as (
    select distinct authority_code from {{ ref('int_outcomes__education_cells') }}
    union
    select distinct authority_code from {{ ref('int_outcomes__justice_cells') }}
    union
    select distinct authority_code from {{ ref('int_outcomes__care_cells') }}
    union
    select distinct authority_code from {{ ref('int_outcomes__survey_cells') }}
),

final as (
    select
        fingertips.area_code as authority_code,
        fingertips.time_period as period,
        fingertips.period_end_year,
        indicators.indicator_id,
        case
            when fingertips.is_ethnic_group_breakdown and fingertips.sex != 'Persons' then 'ethnicity_sex'
            when fingertips.is_ethnic_group_breakdown then 'ethnicity'
            when fingertips.sex != 'Persons' then 'sex'
            else 'total'
        end as breakdown,
        if(fingertips.is_ethnic_group_breakdown, 'census2021', 'all') as ethnicity_level,
        if(fingertips.is_ethnic_group_breakdown, fingertips.census_code, 'All') as ethnicity_code,
        if(fingertips.sex = 'Persons', 'All', fingertips.sex) as sex,
        'All' as fsm,
        'All' as sen,
        fingertips.count as numerator,
        fingertips.denominator,
        fingertips.value as published_value,
        fingertips.lower_ci_95 as published_lower_ci,
        fingertips.upper_ci_95 as published_upper_ci,
        fingertips.value_note as published_value_note,
        fingertips.compared_to_england as published_compared_with_england,
        fingertips.recent_trend as published_trend
    from fingertips
    inner join indicators
        on fingertips.indicator_id = indicators.fingertips_indicator_id
    inner join authorities_in_scope
        on fingertips.area_code = authorities_in_scope.authority_code
    where
        fingertips.area_level = 'local'
        and (fingertips.category_type is null or fingertips.is_ethnic_group_breakdown)
        -- An unmapped ethnic group label is in dq_unmapped_ethnicity, not an outcome cell.
        and (not fingertips.is_ethnic_group_breakdown or fingertips.census_code is not null)
)

select * from final
