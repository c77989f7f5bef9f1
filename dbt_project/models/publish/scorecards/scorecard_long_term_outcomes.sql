-- PUBLIC INTERFACE: publish.scorecard_long_term_outcomes (see _scorecards__models.yml; docs/scorecards.md).
-- The long-term outcomes framework (seed long_term_outcomes_framework: Hackney's by default) filled for
-- every authority: each measure's latest period, the value overall and for each ethnic group the framework
-- asks for, the gaps to the overall value and to the reference group with their significance, the trend
-- and the comparisons with London, England and the statistical neighbours, all as published in
-- publish.outcome_indicators; the workforce measure from publish.workforce_representation. Figures come
-- only from those published (disclosure-controlled) tables: a suppressed cell stays suppressed (c). A
-- measure no source holds is one x row per authority with the note naming the data needed.
{%- set judged = "('Better', 'Worse', 'Higher', 'Lower')" %}
with

framework as (
    select
        *,
        string_split(coalesce(detailed_groups_within, ''), '|') as detailed_major_groups,
        string_split(coalesce(extra_groups, ''), '|') as extra_group_codes
    from {{ ref('long_term_outcomes_framework') }}
),

outcomes as (
    select * from {{ ref('outcome_indicators') }}
    where fsm = 'All' and sen = 'All'
),

representation as (
    select * from {{ ref('workforce_representation') }}
),

catalogue as (
    select * from {{ ref('indicators') }}
),

groups as (
    select * from {{ ref('int_ethnicity__groups') }}
),

authorities as (
    select * from {{ ref('authorities') }}
),

framework_outcomes as (
    select outcomes.*
    from outcomes
    inner join framework
        on
            outcomes.indicator_id = framework.indicator_id
            and framework.source_table = 'outcome_indicators'
),

-- Each authority's latest period of each measure with an overall value row.
latest_period as (
    select
        authority_code,
        indicator_id,
        period
    from framework_outcomes
    where ethnicity_level = 'all' and breakdown in ('total', 'sex')
    qualify row_number() over (
        partition by authority_code, indicator_id order by period_end_year desc, period desc
    ) = 1
),

-- The overall value: everyone, or one row per sex where the source publishes only by sex (Fingertips
-- life expectancy).
overall_rows as (
    select
        framework_outcomes.*,
        0 as level_rank
    from framework_outcomes
    inner join latest_period
        on {{ join_on('framework_outcomes', 'latest_period', ['authority_code', 'indicator_id', 'period']) }}
    where framework_outcomes.ethnicity_level = 'all' and framework_outcomes.breakdown in ('total', 'sex')
    qualify (framework_outcomes.breakdown = 'total') = max(framework_outcomes.breakdown = 'total') over (
        partition by framework_outcomes.authority_code, framework_outcomes.indicator_id
    )
),

-- The groups the framework asks for: every group at its level, the more detailed groups (DfE extended
-- codes) within the major groups it names, and the extra groups it names at other levels. Codes that are
-- not ethnic groups (refused, not yet obtained) have no row in int_ethnicity__groups and drop out.
group_rows as (
    select
        framework_outcomes.*,
        case
            when framework_outcomes.ethnicity_level = framework.ethnicity_level then 1
            when framework_outcomes.ethnicity_level = 'extended' then 2
            else 3
        end as level_rank
    from framework_outcomes
    inner join latest_period
        on {{ join_on('framework_outcomes', 'latest_period', ['authority_code', 'indicator_id', 'period']) }}
    inner join framework
        on framework_outcomes.indicator_id = framework.indicator_id
    inner join groups
        on
            framework_outcomes.ethnicity_level = groups.ethnicity_level
            and framework_outcomes.ethnicity_code = groups.ethnicity_code
    where
        framework_outcomes.breakdown = 'ethnicity'
        and framework_outcomes.sex = 'All'
        and (
            framework_outcomes.ethnicity_level = framework.ethnicity_level
            or (
                framework_outcomes.ethnicity_level = 'extended'
                and list_contains(framework.detailed_major_groups, groups.major_group)
            )
            or (
                framework_outcomes.ethnicity_level not in (framework.ethnicity_level, 'all')
                and list_contains(framework.extra_group_codes, framework_outcomes.ethnicity_code)
            )
        )
),

selected_outcomes as (
    select * from overall_rows
    union all by name
    select * from group_rows
),

outcome_rows as (
    select
        selected_outcomes.authority_code,
        selected_outcomes.indicator_id,
        selected_outcomes.indicator_name,
        selected_outcomes.unit,
        selected_outcomes.polarity,
        selected_outcomes.period,
        selected_outcomes.period_end_year,
        null::varchar as grade_band,
        null::integer as band_order,
        selected_outcomes.sex,
        selected_outcomes.level_rank,
        selected_outcomes.ethnicity_level,
        selected_outcomes.ethnicity_code,
        selected_outcomes.ethnicity_group,
        selected_outcomes.display_order,
        selected_outcomes.ethnicity_level = 'all' as is_overall,
        coalesce(selected_outcomes.is_reference_group, false) as is_reference_group,
        selected_outcomes.value,
        selected_outcomes.lower_ci,
        selected_outcomes.upper_ci,
        selected_outcomes.value_symbol,
        selected_outcomes.authority_value as overall_value,
        selected_outcomes.gap_to_authority as gap_to_overall,
        selected_outcomes.compared_with_authority as compared_with_overall,
        case
            when selected_outcomes.ethnicity_level = 'all' then 'z'
            when selected_outcomes.value_symbol = 'c' then 'c'
            when selected_outcomes.gap_to_authority is null then 'x'
        end as gap_to_overall_symbol,
        selected_outcomes.reference_group,
        selected_outcomes.gap_to_reference,
        selected_outcomes.gap_to_reference_lower_ci,
        selected_outcomes.gap_to_reference_upper_ci,
        selected_outcomes.rri,
        selected_outcomes.rri_lower_ci,
        selected_outcomes.rri_upper_ci,
        selected_outcomes.compared_with_reference,
        case
            when selected_outcomes.ethnicity_level = 'all' or selected_outcomes.is_reference_group then 'z'
            when selected_outcomes.rri_symbol = 'c' or selected_outcomes.value_symbol = 'c' then 'c'
            when selected_outcomes.compared_with_reference is null then 'x'
        end as gap_to_reference_symbol,
        selected_outcomes.trend,
        selected_outcomes.london_value,
        selected_outcomes.compared_with_london,
        selected_outcomes.england_value,
        selected_outcomes.compared_with_england,
        selected_outcomes.neighbours_value,
        selected_outcomes.neighbours_count,
        selected_outcomes.compared_with_neighbours,
        null::double as population_share_pct,
        null::varchar as compared_with_population,
        selected_outcomes.unknown_ethnicity_pct,
        selected_outcomes.unknown_ethnicity_symbol
    from selected_outcomes
),

-- Workforce: each group's share of staff in each grade band at the latest snapshot, against its share
-- of the whole workforce (the overall value) and of working-age residents.
representation_series as (
    select
        *,
        count(*) over recent as trend_points,
        year(snapshot_date) - min(year(snapshot_date)) over recent as trend_span,
        list(headcount::double) over recent as trend_numerators,
        list(band_known_headcount::double) over recent as trend_denominators
    from representation
    window recent as (
        partition by authority_code, grade_band, ethnicity_level, ethnicity_code
        order by snapshot_date
        rows between 4 preceding and current row
    )
),

-- Trend of the share over the five most recent snapshots (the same test as every other trend: a
-- suppressed headcount in the window leaves it "Cannot be calculated").
representation_latest as (
    select
        *,
        case
            when trend_points = 5 and trend_span = 4
                then obs_trend_label(
                    trend_numerators, trend_denominators, null::double[], null::double[],
                    'proportion', 'no_judgement', 5
                )
            else 'Cannot be calculated'
        end as trend
    from representation_series
    qualify snapshot_date = max(snapshot_date) over (partition by authority_code)
),

workforce_rows as (
    select
        representation_latest.authority_code,
        framework.indicator_id,
        'Share of staff of known ethnicity in the grade band' as indicator_name,
        '%' as unit,
        'no_judgement' as polarity,
        representation_latest.reporting_year as period,
        year(representation_latest.snapshot_date)::integer as period_end_year,
        representation_latest.grade_band,
        representation_latest.band_order,
        'All' as sex,
        if(representation_latest.ethnicity_level = framework.ethnicity_level, 1, 3) as level_rank,
        representation_latest.ethnicity_level,
        representation_latest.ethnicity_code,
        representation_latest.ethnicity_group,
        representation_latest.display_order,
        false as is_overall,
        false as is_reference_group,
        representation_latest.share_pct as value,
        representation_latest.share_lower_ci as lower_ci,
        representation_latest.share_upper_ci as upper_ci,
        case
            when representation_latest.headcount_symbol is not null then representation_latest.headcount_symbol
            when representation_latest.share_pct is null then 'x'
        end as value_symbol,
        representation_latest.workforce_share_pct as overall_value,
        representation_latest.difference_from_workforce_pp as gap_to_overall,
        representation_latest.compared_with_workforce as compared_with_overall,
        case
            when representation_latest.headcount_symbol is not null then representation_latest.headcount_symbol
            when representation_latest.difference_from_workforce_pp is null then 'x'
        end as gap_to_overall_symbol,
        null::varchar as reference_group,
        null::double as gap_to_reference,
        null::double as gap_to_reference_lower_ci,
        null::double as gap_to_reference_upper_ci,
        null::double as rri,
        null::double as rri_lower_ci,
        null::double as rri_upper_ci,
        null::varchar as compared_with_reference,
        'z' as gap_to_reference_symbol,
        representation_latest.trend,
        null::double as london_value,
        null::varchar as compared_with_london,
        null::double as england_value,
        null::varchar as compared_with_england,
        null::double as neighbours_value,
        null::integer as neighbours_count,
        null::varchar as compared_with_neighbours,
        representation_latest.population_share_pct,
        representation_latest.compared_with_population,
        round(100 - representation_latest.declared_pct, 1) as unknown_ethnicity_pct
    from representation_latest
    inner join framework
        on
            framework.source_table = 'workforce_representation'
            and (
                representation_latest.ethnicity_level = framework.ethnicity_level
                or list_contains(framework.extra_group_codes, representation_latest.ethnicity_code)
            )
),

held_rows as (
    select * from outcome_rows
    union all by name
    select * from workforce_rows
),

authorities_in_scope as (
    select distinct authority_code from outcomes
    union
    select distinct authority_code from representation
),

-- A measure with no figures for an authority (no source holds it, or none loaded yet): one x row.
missing_rows as (
    select
        authorities_in_scope.authority_code,
        framework.indicator_id,
        'All' as sex,
        0 as level_rank,
        'all' as ethnicity_level,
        'All' as ethnicity_code,
        'All' as ethnicity_group,
        0 as display_order,
        true as is_overall,
        false as is_reference_group,
        'x' as value_symbol,
        'z' as gap_to_overall_symbol,
        'z' as gap_to_reference_symbol,
        'Cannot be calculated' as trend
    from authorities_in_scope
    cross join framework
    left join held_rows
        on
            authorities_in_scope.authority_code = held_rows.authority_code
            and framework.indicator_id = held_rows.indicator_id
    where held_rows.authority_code is null
),

all_rows as (
    select * from held_rows
    union all by name
    select * from missing_rows
),

final as (
    select
        all_rows.authority_code,
        coalesce(authorities.authority_name, all_rows.authority_code) as authority_name,
        framework.framework_order,
        framework.outcome_area,
        framework.outcome,
        framework.measure,
        framework.data_type,
        all_rows.indicator_id,
        framework.source_table,
        coalesce(all_rows.indicator_name, catalogue.indicator_name) as indicator_name,
        coalesce(all_rows.unit, catalogue.unit) as unit,
        coalesce(all_rows.polarity, catalogue.polarity) as polarity,
        all_rows.period,
        all_rows.period_end_year,
        all_rows.grade_band,
        all_rows.band_order,
        all_rows.sex,
        all_rows.ethnicity_level,
        all_rows.ethnicity_code,
        all_rows.ethnicity_group,
        (all_rows.level_rank * 10000 + all_rows.display_order)::integer as display_order,
        all_rows.is_overall,
        all_rows.is_reference_group,
        all_rows.value,
        all_rows.lower_ci,
        all_rows.upper_ci,
        all_rows.value_symbol,
        all_rows.overall_value,
        all_rows.gap_to_overall,
        all_rows.compared_with_overall,
        case
            when all_rows.compared_with_overall in {{ judged }} then true
            when all_rows.compared_with_overall = 'Similar' then false
        end as is_gap_to_overall_significant,
        all_rows.gap_to_overall_symbol,
        all_rows.reference_group,
        all_rows.gap_to_reference,
        all_rows.gap_to_reference_lower_ci,
        all_rows.gap_to_reference_upper_ci,
        all_rows.rri,
        all_rows.rri_lower_ci,
        all_rows.rri_upper_ci,
        all_rows.compared_with_reference,
        case
            when all_rows.compared_with_reference in {{ judged }} then true
            when all_rows.compared_with_reference = 'Similar' then false
        end as is_gap_to_reference_significant,
        all_rows.gap_to_reference_symbol,
        all_rows.trend,
        all_rows.london_value,
        all_rows.compared_with_london,
        all_rows.england_value,
        all_rows.compared_with_england,
        all_rows.neighbours_value,
        all_rows.neighbours_count,
        all_rows.compared_with_neighbours,
        case
            when
                all_rows.value is not null
                and coalesce(all_rows.london_value, all_rows.england_value, all_rows.neighbours_value) is null
                then 'x'
        end as benchmark_symbol,
        all_rows.population_share_pct,
        all_rows.compared_with_population,
        all_rows.unknown_ethnicity_pct,
        nullif(
            concat(
                case
                    when framework.source_table is not null and all_rows.period is null
                        then 'No figures in publish.' || framework.source_table || ' for this authority yet. '
                end,
                framework.note
            ),
            ''
        ) as note,
        -- c where disclosure control withholds the share (publish.outcome_indicators): not [x].
        all_rows.unknown_ethnicity_symbol
    from all_rows
    inner join framework
        on all_rows.indicator_id = framework.indicator_id
    left join catalogue
        on all_rows.indicator_id = catalogue.indicator_id
    left join authorities
        on all_rows.authority_code = authorities.authority_code
)

select * from final
order by authority_code, framework_order, band_order, sex, display_order, ethnicity_code
