-- Youth justice and stop and search outcome cells (Census 2021 and major groups, custom groups, sex),
-- with resident populations from the mid-year estimates as denominators: the estimate at 30 June of
-- the year a reporting year (ending 31 March) starts, e.g. mid-2024 for 2024/25.
-- The stage-by-stage funnel (OJJDP method) uses each decision point's previous stage as denominator:
-- residents aged 10-17 -> stop and searches of children -> first-time entrants -> remands -> custody.
-- Numerators keep records of unknown ethnicity at the 'all' level only (see outcome_cells).
{%- set indicators = {
    'yj_first_time_entrant_rate': {
        'numerator': 'yj__first_time_entrants', 'denominator': 'population__residents_10_17',
        'records': 'yj__first_time_entrants', 'unknown': 'yj__first_time_entrants_unknown',
    },
    'yj_custody_pct': {
        'numerator': 'yj__custody', 'denominator': 'yj__court_outcomes', 'unknown': 'yj__court_outcomes_unknown',
    },
    'yj_remand_custody_pct': {
        'numerator': 'yj__remand_youth_detention', 'denominator': 'yj__court_outcomes',
        'unknown': 'yj__court_outcomes_unknown',
    },
    'yj_reoffending_pct': {
        'numerator': 'yj__first_time_entrants_reoffended', 'denominator': 'yj__first_time_entrants',
        'unknown': 'yj__first_time_entrants_unknown',
    },
    'police_stop_search_rate': {
        'numerator': 'searches__searches', 'denominator': 'population__residents',
        'records': 'searches__searches', 'unknown': 'searches__searches_unknown',
    },
    'yj_stage1_stop_search_rate': {
        'numerator': 'searches__searches_10_17', 'denominator': 'population__residents_10_17',
        'records': 'searches__searches_10_17', 'unknown': 'searches__searches_10_17_unknown',
    },
    'yj_stage2_fte_per_100_searches': {
        'numerator': 'yj__first_time_entrants', 'denominator': 'searches__searches_10_17',
        'records': 'yj__first_time_entrants', 'unknown': 'yj__first_time_entrants_unknown',
    },
    'yj_stage3_remand_per_100_fte': {
        'numerator': 'yj__remands', 'denominator': 'yj__first_time_entrants',
        'records': 'yj__remands', 'unknown': 'yj__remands_unknown',
    },
    'yj_stage4_custody_per_100_remands': {
        'numerator': 'yj__custody', 'denominator': 'yj__remands',
        'records': 'yj__custody', 'unknown': 'yj__custody_unknown',
    },
} %}
{%- set cell_keys = [
    'authority_code', 'period', 'period_end_year', 'breakdown', 'ethnicity_level', 'ethnicity_code', 'sex', 'fsm',
    'sen',
] %}

with

outcomes as (
    select
        authority_code,
        {{ reporting_period('year(year_ending)') }} as period,
        year(year_ending) as period_end_year,
        census_code as eth_census2021,
        ethnicity_major_group as eth_major,
        sex,
        is_first_time_entrant,
        is_court_outcome,
        remand,
        is_custody,
        has_reoffended_12m
    from {{ ref('stg_youth_justice__outcomes') }}
),

searches as (
    select
        authority_code,
        {{ reporting_period('year(year_ending)') }} as period,
        year(year_ending) as period_end_year,
        census_code as eth_census2021,
        ethnicity_major_group as eth_major,
        gender as sex,
        age_range
    from {{ ref('stg_stop_search__searches') }}
    -- Vehicle-only searches stop no person: they have no ethnicity, sex or age to count.
    where is_person_search
),

residents as (
    select
        authority_code,
        {{ reporting_period('mid_year + 1') }} as period,
        mid_year + 1 as period_end_year,
        census_code as eth_census2021,
        ethnicity_major_group as eth_major,
        sex,
        age_band,
        residents
    from {{ ref('stg_population__residents') }}
    where age_band in ('all_ages', 'age_10_17')
),

yj as (
    {{ outcome_cells(
        'outcomes',
        ethnicity_levels=['census2021', 'major'],
        dimensions=['sex'],
        measures={
            'first_time_entrants': 'count(*) filter (where is_first_time_entrant)',
            'first_time_entrants_unknown': 'count(*) filter (where is_first_time_entrant and eth_census2021 is null)',
            'first_time_entrants_reoffended': 'count(*) filter (where is_first_time_entrant and has_reoffended_12m)',
            'court_outcomes': 'count(*) filter (where is_court_outcome)',
            'court_outcomes_unknown': 'count(*) filter (where is_court_outcome and eth_census2021 is null)',
            'remand_youth_detention': "count(*) filter (where is_court_outcome and remand = 'Youth detention accommodation')",
            'remands': "count(*) filter (where is_court_outcome and remand in ('Community', 'Youth detention accommodation'))",
            'remands_unknown': "count(*) filter (where is_court_outcome and remand in ('Community', 'Youth detention accommodation') and eth_census2021 is null)",
            'custody': 'count(*) filter (where is_custody)',
            'custody_unknown': 'count(*) filter (where is_custody and eth_census2021 is null)',
        },
    ) }}
),

search_cells as (
    {{ outcome_cells(
        'searches',
        ethnicity_levels=['census2021', 'major'],
        dimensions=['sex'],
        measures={
            'searches': 'count(*)',
            'searches_unknown': 'count(*) filter (where eth_census2021 is null)',
            'searches_10_17': "count(*) filter (where age_range = '10-17')",
            'searches_10_17_unknown': "count(*) filter (where age_range = '10-17' and eth_census2021 is null)",
        },
    ) }}
),

population as (
    {{ outcome_cells(
        'residents',
        ethnicity_levels=['census2021', 'major'],
        dimensions=['sex'],
        measures={
            'residents': "sum(residents) filter (where age_band = 'all_ages')",
            'residents_10_17': "sum(residents) filter (where age_band = 'age_10_17')",
        },
    ) }}
),

-- Every cell any of the three sources holds, so a group with searches but no outcomes still has a row.
cell_keys as (
    select {{ cell_keys | join(', ') }} from yj
    union
    select {{ cell_keys | join(', ') }} from search_cells
    union
    select {{ cell_keys | join(', ') }} from population
),

joined as (
    select
        cell_keys.*,
        {%- for column in ['first_time_entrants', 'first_time_entrants_unknown', 'first_time_entrants_reoffended',
            'court_outcomes', 'court_outcomes_unknown', 'remand_youth_detention', 'remands', 'remands_unknown',
            'custody', 'custody_unknown'] %}
            coalesce(yj.{{ column }}, 0) as yj__{{ column }},
        {%- endfor %}
        {%- for column in ['searches', 'searches_unknown', 'searches_10_17', 'searches_10_17_unknown'] %}
            coalesce(search_cells.{{ column }}, 0) as searches__{{ column }},
        {%- endfor %}
        population.residents as population__residents,
        population.residents_10_17 as population__residents_10_17
    from
        cell_keys
    {%- for relation in ['yj', 'search_cells', 'population'] %}
    left join {{ relation }}
        on {{ join_on('cell_keys', relation, cell_keys) }}
    {%- endfor %}
),

final as (
    {{ outcome_indicator_rows('joined', indicators) }}
)

select * from final
