-- Every outcome indicator, one row per authority x period x indicator x breakdown cell, with its value
-- and 95% confidence interval, the relative rate index (RRI) against the reference group, the gap to
-- the authority's overall value, the share-difference view, comparisons with London, England and the
-- statistical neighbours' average, and the recent trend. All statistics come from the one
-- implementation, observatory.stats, through the obs_* DuckDB functions (observatory.duckdb_functions).
-- Group values are among records of known ethnicity; unknown_ethnicity_pct says how many are not.
{%- set confidence = var('outcome_confidence') %}
{%- set reference_code = var('outcome_reference_group') %}
{%- set reference_major = var('outcome_reference_major_group') %}
{#- A cell's siblings: the same authority, period, indicator, sex, FSM and SEN. -#}
{%- set same_cell = ['authority_code', 'period', 'indicator_id', 'sex', 'fsm', 'sen'] %}
{%- set cell_keys = same_cell + ['breakdown', 'ethnicity_level', 'ethnicity_code'] %}
with

cells as (
    select * from {{ ref('int_outcomes__education_cells') }}
    union all by name
    select * from {{ ref('int_outcomes__justice_cells') }}
    union all by name
    select * from {{ ref('int_outcomes__care_cells') }}
    union all by name
    select * from {{ ref('int_outcomes__survey_cells') }}
    union all by name
    select * from {{ ref('int_outcomes__health_cells') }}
),

indicators as (
    select * from {{ ref('indicators') }}
),

comparators as (
    select * from {{ ref('int_benchmarks__comparators') }}
),

with_indicator as (
    select
        cells.*,
        indicators.statistic,
        indicators.polarity,
        indicators.ratio_method,
        indicators.multiplier,
        -- Kish's effective sample size: a weighted share is as precise as a simple random sample of it.
        case
            when indicators.statistic = 'weighted_proportion'
                then cells.denominator * cells.denominator / nullif(cells.sum_weight_squares, 0)
        end as effective_n
    from cells
    inner join indicators
        on cells.indicator_id = indicators.indicator_id
),

-- The counts an RRI, a share and a trend use: events and exposure (for a weighted share, its
-- effective counts), and for means the standard error.
measured as (
    select
        *,
        case statistic
            when 'weighted_proportion' then numerator / denominator * effective_n
            when 'mean' then null
            else numerator
        end as events,
        case statistic
            when 'weighted_proportion' then effective_n
            when 'mean' then null
            else denominator
        end as exposure,
        case
            when statistic = 'mean' and denominator > 1
                then sqrt(greatest(sum_squares - numerator * numerator / denominator, 0) / (denominator - 1))
        end as standard_deviation
    from with_indicator
),

estimated as (
    select
        *,
        case statistic
            when 'mean' then numerator / denominator
            when 'published' then published_value
            else numerator / denominator * multiplier
        end as value,
        case statistic
            when 'proportion' then obs_wilson_lower(numerator, denominator, {{ confidence }}) * multiplier
            when 'weighted_proportion' then obs_wilson_lower(events, exposure, {{ confidence }}) * multiplier
            when 'rate' then obs_rate_lower(numerator, denominator, multiplier, {{ confidence }})
            when 'mean'
                then obs_mean_lower(numerator / denominator, standard_deviation, denominator, {{ confidence }})
            when 'published' then published_lower_ci
        end as lower_ci,
        case statistic
            when 'proportion' then obs_wilson_upper(numerator, denominator, {{ confidence }}) * multiplier
            when 'weighted_proportion' then obs_wilson_upper(events, exposure, {{ confidence }}) * multiplier
            when 'rate' then obs_rate_upper(numerator, denominator, multiplier, {{ confidence }})
            when 'mean'
                then obs_mean_upper(numerator / denominator, standard_deviation, denominator, {{ confidence }})
            when 'published' then published_upper_ci
        end as upper_ci,
        case statistic
            when 'mean' then standard_deviation / sqrt(denominator)
            when 'weighted_proportion'
                then sqrt(numerator / denominator * (1 - numerator / denominator) / effective_n) * multiplier
        end as standard_error,
        case when ethnicity_level = 'major' then 'major' else 'detailed' end as reference_scope
    from measured
),

-- The reference group's cell for every other cell with the same sex, FSM and SEN: White British at
-- every level but the major groups, where it is White (methods §3). Both are settings (dbt vars).
reference as (
    select
        authority_code,
        period,
        indicator_id,
        sex,
        fsm,
        sen,
        reference_scope,
        ethnicity_code as reference_code,
        value as reference_value,
        events as reference_events,
        exposure as reference_exposure,
        standard_error as reference_standard_error
    from estimated
    where
        (ethnicity_level in ('dfe_main', 'census2021') and ethnicity_code = '{{ reference_code }}')
        or (ethnicity_level = 'major' and ethnicity_code = '{{ reference_major }}')
    qualify row_number() over (
        partition by authority_code, period, indicator_id, sex, fsm, sen, reference_scope
        order by ethnicity_level
    ) = 1
),

-- The authority's overall value for the same sex, FSM and SEN (all ethnicities, unknown included).
overall as (
    select
        authority_code,
        period,
        indicator_id,
        sex,
        fsm,
        sen,
        value as authority_value
    from estimated
    where ethnicity_level = 'all'
),

-- Records of known ethnicity in the cell's sex, FSM and SEN: the base of the share-difference view.
known_totals as (
    select
        authority_code,
        period,
        indicator_id,
        sex,
        fsm,
        sen,
        sum(events) as known_events,
        sum(exposure) as known_exposure
    from estimated
    where ethnicity_level in ('dfe_main', 'census2021') and statistic in ('proportion', 'rate')
    group by all
),

unknown_share as (
    select
        authority_code,
        period,
        indicator_id,
        100 * records_unknown_ethnicity / nullif(records, 0) as unknown_ethnicity_pct
    from estimated
    where breakdown = 'total'
),

compared as (
    select
        estimated.*,
        reference.reference_code,
        reference.reference_value,
        case
            when estimated.ethnicity_level = 'all' then null
            when estimated.statistic = 'published' then estimated.value / nullif(reference.reference_value, 0)
            when estimated.statistic != 'mean' and estimated.events > 0 and reference.reference_events > 0
                then
                    (estimated.events / estimated.exposure)
                    / (reference.reference_events / reference.reference_exposure)
        end as rri,
        case
            when estimated.ethnicity_level != 'all' and estimated.statistic not in ('mean', 'published')
                then
                    obs_ratio_lower(
                        estimated.events, estimated.exposure, reference.reference_events, reference.reference_exposure,
                        estimated.ratio_method, {{ confidence }}
                    )
        end as rri_lower_ci,
        case
            when estimated.ethnicity_level != 'all' and estimated.statistic not in ('mean', 'published')
                then
                    obs_ratio_upper(
                        estimated.events, estimated.exposure, reference.reference_events, reference.reference_exposure,
                        estimated.ratio_method, {{ confidence }}
                    )
        end as rri_upper_ci,
        case when estimated.ethnicity_level != 'all' then estimated.value - reference.reference_value end
            as gap_to_reference,
        case
            when estimated.ethnicity_level != 'all' and estimated.statistic in ('mean', 'weighted_proportion')
                then
                    sqrt(estimated.standard_error ** 2 + reference.reference_standard_error ** 2)
        end as gap_to_reference_standard_error,
        overall.authority_value,
        case
            when
                estimated.statistic in ('proportion', 'rate')
                and estimated.ethnicity_level in ('dfe_main', 'census2021', 'major', 'extended', 'custom')
                then 100 * (
                    estimated.events / nullif(known_totals.known_events, 0)
                    - estimated.exposure / nullif(known_totals.known_exposure, 0)
                )
        end as share_difference_pp,
        unknown_share.unknown_ethnicity_pct,
        comparators.london_value,
        comparators.england_value,
        comparators.region_value,
        comparators.neighbours_value,
        comparators.neighbours_count
    from estimated
    left join reference
        on
            {{ join_on('estimated', 'reference', same_cell) }}
            and estimated.reference_scope = reference.reference_scope
            and estimated.ethnicity_level != 'all'
    left join overall
        on {{ join_on('estimated', 'overall', same_cell) }}
    left join known_totals
        on {{ join_on('estimated', 'known_totals', same_cell) }}
    left join unknown_share
        on {{ join_on('estimated', 'unknown_share', ['authority_code', 'period', 'indicator_id']) }}
    left join comparators
        on {{ join_on('estimated', 'comparators', cell_keys) }}
),

-- The five most recent single-year points up to each period (Fingertips' recent trend).
trended as (
    select
        *,
        count(*) over recent as trend_points,
        period_end_year - min(period_end_year) over recent as trend_span,
        list(numerator) over recent as trend_numerators,
        list(denominator) over recent as trend_denominators,
        list(value) over recent as trend_values,
        list(standard_error) over recent as trend_standard_errors,
        obs_normal_lower(gap_to_reference, gap_to_reference_standard_error, {{ confidence }})
            as gap_to_reference_lower_ci,
        obs_normal_upper(gap_to_reference, gap_to_reference_standard_error, {{ confidence }})
            as gap_to_reference_upper_ci
    from compared
    window recent as (
        partition by authority_code, indicator_id, breakdown, ethnicity_level, ethnicity_code, sex, fsm, sen
        order by period_end_year
        rows between 4 preceding and current row
    )
),

final as (
    select
        authority_code,
        period,
        period_end_year,
        indicator_id,
        statistic,
        polarity,
        breakdown,
        ethnicity_level,
        ethnicity_code,
        sex,
        fsm,
        sen,
        numerator,
        denominator,
        records,
        value,
        lower_ci,
        upper_ci,
        standard_error,
        reference_code,
        reference_value,
        rri,
        rri_lower_ci,
        rri_upper_ci,
        rri_lower_ci > 1 or rri_upper_ci < 1 as is_rri_significant,
        gap_to_reference,
        gap_to_reference_lower_ci,
        gap_to_reference_upper_ci,
        case
            when ethnicity_level = 'all' then null
            when statistic = 'published' then obs_compare(value, lower_ci, upper_ci, reference_value, polarity)
            when statistic = 'mean' or statistic = 'weighted_proportion'
                then obs_compare(gap_to_reference, gap_to_reference_lower_ci, gap_to_reference_upper_ci, 0, polarity)
            else obs_compare(rri, rri_lower_ci, rri_upper_ci, 1, polarity)
        end as compared_with_reference,
        authority_value,
        case when ethnicity_level != 'all' then value - authority_value end as gap_to_authority,
        case when ethnicity_level != 'all' then obs_compare(value, lower_ci, upper_ci, authority_value, polarity) end
            as compared_with_authority,
        share_difference_pp,
        london_value,
        obs_compare(value, lower_ci, upper_ci, london_value, polarity) as compared_with_london,
        region_value,
        england_value,
        coalesce(
            published_compared_with_england, obs_compare(value, lower_ci, upper_ci, england_value, polarity)
        ) as compared_with_england,
        neighbours_value,
        neighbours_count,
        obs_compare(value, lower_ci, upper_ci, neighbours_value, polarity) as compared_with_neighbours,
        case
            when statistic != 'published' and trend_points = 5 and trend_span = 4
                then obs_trend_chi2(
                    trend_numerators, trend_denominators, trend_values, trend_standard_errors,
                    case statistic when 'weighted_proportion' then 'mean' else statistic end, 5
                )
        end as trend_chi2,
        case
            when statistic = 'published' then coalesce(published_trend, 'Cannot be calculated')
            when trend_points = 5 and trend_span = 4
                then obs_trend_label(
                    trend_numerators, trend_denominators, trend_values, trend_standard_errors,
                    case statistic when 'weighted_proportion' then 'mean' else statistic end, polarity, 5
                )
            else 'Cannot be calculated'
        end as trend,
        unknown_ethnicity_pct,
        published_value_note
    from trended
)

select * from final
