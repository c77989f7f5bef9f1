-- PUBLIC INTERFACE: publish.scorecard_hwb (see _scorecards__models.yml; docs/scorecards.md). The Health
-- and Wellbeing Board scorecard in the Fingertips convention: for each indicator flagged on_hwb_scorecard in
-- the catalogue, each authority's latest period with its value and interval, London and England, the
-- comparison with England in words and its Fingertips colour, the recent trend, and the largest gap between
-- ethnic groups. Every figure is as publish.outcome_indicators publishes it (comparisons and trends are
-- not recomputed); the largest gap is taken among published (unsuppressed) group values only, at one
-- level per row: the first of the levels in var scorecard_gap_levels with at least two such groups.
{#- The levels the largest gap may be taken at, in order of preference (a council may set its own). -#}
{%- set gap_levels = var('scorecard_gap_levels', ['census2021', 'dfe_main', 'major']) %}
{%- set gap_level_list = "['" ~ gap_levels | join("', '") ~ "']" %}
with

catalogue as (
    select * from {{ ref('indicators') }}
    where on_hwb_scorecard
),

outcomes as (
    select outcomes.*
    from {{ ref('outcome_indicators') }} as outcomes
    inner join catalogue
        on outcomes.indicator_id = catalogue.indicator_id
    where outcomes.fsm = 'All' and outcomes.sen = 'All'
),

groups as (
    select * from {{ ref('int_ethnicity__groups') }}
),

authorities as (
    select * from {{ ref('authorities') }}
),

-- Each authority's latest period of each indicator with an overall value row.
latest_period as (
    select
        authority_code,
        indicator_id,
        period
    from outcomes
    where ethnicity_level = 'all' and breakdown in ('total', 'sex')
    qualify row_number() over (
        partition by authority_code, indicator_id order by period_end_year desc, period desc
    ) = 1
),

-- Everyone, or one row per sex where the source publishes only by sex (Fingertips life expectancy).
overall as (
    select outcomes.*
    from outcomes
    inner join latest_period
        on {{ join_on('outcomes', 'latest_period', ['authority_code', 'indicator_id', 'period']) }}
    where outcomes.ethnicity_level = 'all' and outcomes.breakdown in ('total', 'sex')
    qualify (outcomes.breakdown = 'total') = max(outcomes.breakdown = 'total') over (
        partition by outcomes.authority_code, outcomes.indicator_id
    )
),

-- Published group values of the same period: ethnic groups only (refused and not yet obtained have no
-- row in int_ethnicity__groups), levels of the ladder only, suppressed cells (no value) left out.
group_values as (
    select
        outcomes.authority_code,
        outcomes.indicator_id,
        outcomes.ethnicity_level,
        outcomes.ethnicity_code,
        outcomes.ethnicity_group,
        outcomes.display_order,
        outcomes.value,
        outcomes.lower_ci,
        outcomes.upper_ci,
        list_position({{ gap_level_list }}, outcomes.ethnicity_level) as level_rank
    from outcomes
    inner join latest_period
        on {{ join_on('outcomes', 'latest_period', ['authority_code', 'indicator_id', 'period']) }}
    inner join groups
        on
            outcomes.ethnicity_level = groups.ethnicity_level
            and outcomes.ethnicity_code = groups.ethnicity_code
    where
        outcomes.breakdown = 'ethnicity'
        and outcomes.sex = 'All'
        and outcomes.value is not null
        and list_contains({{ gap_level_list }}, outcomes.ethnicity_level)
),

counted_values as (
    select
        *,
        count(*) over (partition by authority_code, indicator_id, ethnicity_level) as groups_at_level
    from group_values
),

-- The first level of the ladder with at least two published groups, each group ranked from the top and
-- from the bottom (ties: the first group in display order is the highest, the last the lowest).
gap_level_values as (
    select
        *,
        row_number() over (level_cells order by value desc, display_order asc, ethnicity_code asc) as rank_high,
        row_number() over (level_cells order by value asc, display_order desc, ethnicity_code desc) as rank_low
    from counted_values
    where groups_at_level >= 2
    window level_cells as (partition by authority_code, indicator_id, ethnicity_level)
    qualify level_rank = min(level_rank) over (partition by authority_code, indicator_id)
),

largest_gap as (
    select
        high.authority_code,
        high.indicator_id,
        high.ethnicity_level as gap_ethnicity_level,
        high.groups_at_level::integer as gap_groups_compared,
        high.ethnicity_group as gap_highest_group,
        high.value as gap_highest_value,
        low.ethnicity_group as gap_lowest_group,
        low.value as gap_lowest_value,
        round(high.value - low.value, 4) as largest_gap,
        round(high.value / nullif(low.value, 0), 4) as largest_gap_ratio,
        -- Non-overlapping 95% intervals: a conservative test of the difference (see docs/scorecards.md).
        case
            when low.upper_ci < high.lower_ci then true
            when low.upper_ci >= high.lower_ci then false
        end as is_largest_gap_significant
    from gap_level_values as high
    inner join gap_level_values as low
        on
            high.authority_code = low.authority_code
            and high.indicator_id = low.indicator_id
            and high.rank_high = 1
            and low.rank_low = 1
),

final as (
    select
        overall.authority_code,
        coalesce(authorities.authority_name, overall.authority_code) as authority_name,
        overall.domain,
        overall.indicator_id,
        overall.indicator_name,
        catalogue.fingertips_indicator_id::integer as fingertips_indicator_id,
        overall.unit,
        overall.polarity,
        overall.sex,
        overall.period,
        overall.period_end_year,
        overall.numerator,
        overall.denominator,
        overall.value,
        overall.lower_ci,
        overall.upper_ci,
        overall.value_symbol,
        overall.value_note,
        overall.london_value,
        overall.compared_with_london,
        overall.england_value,
        overall.compared_with_england,
        case overall.compared_with_england
            when 'Better' then '#92d050'
            when 'Similar' then '#ffc000'
            when 'Worse' then '#c00000'
            when 'Higher' then '#c2ccff'
            when 'Lower' then '#5555e6'
            when 'Not compared' then '#c9c9c9'
        end as england_comparison_colour,
        overall.neighbours_value,
        overall.compared_with_neighbours,
        overall.trend,
        overall.unknown_ethnicity_pct,
        largest_gap.gap_ethnicity_level,
        largest_gap.gap_groups_compared,
        largest_gap.gap_highest_group,
        largest_gap.gap_highest_value,
        largest_gap.gap_lowest_group,
        largest_gap.gap_lowest_value,
        largest_gap.largest_gap,
        largest_gap.largest_gap_ratio,
        largest_gap.is_largest_gap_significant,
        case when largest_gap.authority_code is null then 'x' end as largest_gap_symbol,
        case
            when largest_gap.authority_code is not null
                then printf(
                    '%s %.1f vs %s %.1f (%s): a gap of %.1f%s',
                    largest_gap.gap_highest_group,
                    largest_gap.gap_highest_value,
                    largest_gap.gap_lowest_group,
                    largest_gap.gap_lowest_value,
                    overall.unit,
                    largest_gap.largest_gap,
                    case
                        when largest_gap.is_largest_gap_significant then ', significant'
                        when not largest_gap.is_largest_gap_significant then ', not significant (intervals overlap)'
                        else ', significance not assessed (no interval)'
                    end
                )
        end as largest_gap_reading,
        -- c where disclosure control withholds the share (publish.outcome_indicators): not [x].
        overall.unknown_ethnicity_symbol
    from overall
    inner join catalogue
        on overall.indicator_id = catalogue.indicator_id
    left join largest_gap
        on {{ join_on('overall', 'largest_gap', ['authority_code', 'indicator_id']) }}
    left join authorities
        on overall.authority_code = authorities.authority_code
)

select * from final
order by authority_code, domain, indicator_id, sex
