-- Children's social care outcome cells: children looked after and children on a child protection plan
-- at 31 March per 10,000 residents aged 0-17 (the mid-year estimate of the year the reporting year
-- starts), by Census 2021 group (the DfE main code's census_code in the ethnicity_dfe_codes seed),
-- major and custom groups, and sex. DfE's "Any other ethnic group" (OOTH) includes Arab children,
-- whom the Census counts apart (OARA): the resident denominator folds Arab residents into OOTH too,
-- so numerator and denominator describe the same group.
{%- set cell_keys = [
    'authority_code', 'period', 'period_end_year', 'breakdown', 'ethnicity_level', 'ethnicity_code', 'sex', 'fsm',
    'sen',
] %}
{%- set indicators = {
    'csc_cla_rate': {
        'numerator': 'looked_after', 'denominator': 'residents_0_17', 'records': 'looked_after',
        'unknown': 'looked_after_unknown',
    },
    'csc_cpp_rate': {
        'numerator': 'on_plan', 'denominator': 'residents_0_17', 'records': 'on_plan', 'unknown': 'on_plan_unknown',
    },
} %}
with

episodes as (
    select * from {{ ref('stg_cla__episodes') }}
),

plans as (
    select * from {{ ref('stg_child_protection__plans') }}
),

-- One row per child per return: an episode or plan open at 31 March makes the child count.
children as (
    select
        authority_code,
        year_ending,
        child_key,
        any_value(census_code) as census_code,
        any_value(ethnicity_major_group) as ethnicity_major_group,
        any_value(sex) as sex,
        bool_or(is_open_at_year_end) as is_looked_after_at_year_end,
        false as is_on_plan_at_year_end
    from episodes
    group by authority_code, year_ending, child_key
    union all
    select
        authority_code,
        year_ending,
        child_key,
        any_value(census_code) as census_code,
        any_value(ethnicity_major_group) as ethnicity_major_group,
        any_value(sex) as sex,
        false as is_looked_after_at_year_end,
        bool_or(is_open_at_year_end) as is_on_plan_at_year_end
    from plans
    group by authority_code, year_ending, child_key
),

children_at_year_end as (
    select
        authority_code,
        {{ reporting_period('year(year_ending)') }} as period,
        year(year_ending) as period_end_year,
        census_code as eth_census2021,
        ethnicity_major_group as eth_major,
        sex,
        is_looked_after_at_year_end,
        is_on_plan_at_year_end
    from children
    where is_looked_after_at_year_end or is_on_plan_at_year_end
),

residents as (
    select
        authority_code,
        {{ reporting_period('mid_year + 1') }} as period,
        mid_year + 1 as period_end_year,
        if(census_code = 'OARA', 'OOTH', census_code) as eth_census2021,
        ethnicity_major_group as eth_major,
        sex,
        residents
    from {{ ref('stg_population__residents') }}
    where age_band = 'age_0_17'
),

care as (
    {{ outcome_cells(
        'children_at_year_end',
        ethnicity_levels=['census2021', 'major'],
        dimensions=['sex'],
        measures={
            'looked_after': 'count(*) filter (where is_looked_after_at_year_end)',
            'looked_after_unknown': 'count(*) filter (where is_looked_after_at_year_end and eth_census2021 is null)',
            'on_plan': 'count(*) filter (where is_on_plan_at_year_end)',
            'on_plan_unknown': 'count(*) filter (where is_on_plan_at_year_end and eth_census2021 is null)',
        },
    ) }}
),

population as (
    {{ outcome_cells(
        'residents',
        ethnicity_levels=['census2021', 'major'],
        dimensions=['sex'],
        measures={'residents_0_17': 'sum(residents)'},
    ) }}
),

joined as (
    select
        population.{{ cell_keys | join(', population.') }},
        coalesce(care.looked_after, 0) as looked_after,
        coalesce(care.looked_after_unknown, 0) as looked_after_unknown,
        coalesce(care.on_plan, 0) as on_plan,
        coalesce(care.on_plan_unknown, 0) as on_plan_unknown,
        population.residents_0_17
    from population
    -- Children of a sex the estimates do not hold have no denominator; the 'All' cells count them.
    left join care
        on {{ join_on('population', 'care', cell_keys) }}
    where population.residents_0_17 > 0
),

final as (
    {{ outcome_indicator_rows('joined', indicators) }}
)

select * from final
