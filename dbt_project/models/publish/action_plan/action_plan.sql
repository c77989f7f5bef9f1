-- PUBLIC INTERFACE: publish.action_plan (see _action_plan__models.yml). The board's question "which
-- actions are overdue and how are the outcomes they target moving?" in one table: one row per action
-- x linked indicator (x targeted group); an action without a link appears once with null indicator
-- columns (symbol z). Actions: int_action_plan__actions (every action of the latest update, and those
-- dropped from it, flagged). Figures are read from the published, disclosure-controlled tables only,
-- so nothing withheld there can reappear here: publish.outcome_indicators, and for workforce
-- indicators publish.top_earners, publish.pay_gap, publish.workforce_relative_likelihood and
-- publish.workforce_representation. The indicator's figure is its latest period's overall value
-- (all records; for workforce tables ethnic minorities vs White British); the targeted group's is the
-- same period's, at the most detailed ethnicity level holding its code.
with

actions as (
    select * from {{ ref('int_action_plan__actions') }}
),

links as (
    select * from {{ ref('int_action_plan__indicator_links') }}
),

catalogue as (
    select * from {{ ref('indicators') }}
),

authorities as (
    select * from {{ ref('authorities') }}
),

census_groups as (
    select * from {{ ref('ethnicity_census2021') }}
),

-- Every figure in one shape: authority x indicator x cell x period. cell_code 'All' is the headline
-- (everyone; ethnic minorities vs White British in workforce tables); other cells are groups, with
-- cell_rank ordering levels from the most detailed.
outcome_figures as (
    select
        authority_code,
        indicator_id,
        ethnicity_code as cell_code,
        case ethnicity_level
            when 'all' then 0 when 'extended' then 1 when 'dfe_main' then 2 when 'census2021' then 3
            when 'major' then 4 else 5
        end as cell_rank,
        ethnicity_level as cell_level,
        ethnicity_group as cell_group,
        period,
        period_end_year as period_order,
        value,
        value_symbol,
        lower_ci,
        upper_ci,
        reference_group,
        rri as ratio,
        rri_lower_ci as ratio_lower_ci,
        rri_upper_ci as ratio_upper_ci,
        rri_symbol as ratio_symbol,
        is_rri_significant as is_significant,
        gap_to_reference,
        compared_with_reference,
        compared_with_england,
        compared_with_london,
        cast(null as varchar) as comparison_note,
        trend,
        'outcome_indicators' as figure_source
    from {{ ref('outcome_indicators') }}
    where breakdown in ('total', 'ethnicity') and sex = 'All' and fsm = 'All' and sen = 'All'
),

-- Top earners: one headline share per snapshot; its trend by the methods' test for proportions over
-- the five most recent snapshots of published (never suppressed) counts.
top_earners as (
    select
        *,
        count(*) over recent as trend_points,
        year(snapshot_date) - min(year(snapshot_date)) over recent as trend_span,
        list(cast(top_earners_ethnic_minority as double)) over recent as trend_numerators,
        list(cast(top_earners_known_ethnicity as double)) over recent as trend_denominators,
        list(minority_share_pct) over recent as trend_values,
        list(cast(null as double)) over recent as trend_standard_errors
    from {{ ref('top_earners') }}
    window recent as (partition by authority_code order by snapshot_date rows between 4 preceding and current row)
),

top_earner_figures as (
    select
        authority_code,
        'wf_top5_minority_share_pct' as indicator_id,
        'All' as cell_code,
        0 as cell_rank,
        'minority_binary' as cell_level,
        'Ethnic minorities' as cell_group,
        reporting_year as period,
        year(snapshot_date) as period_order,
        minority_share_pct as value,
        coalesce(share_symbol, if(minority_share_pct is null, 'x', null)) as value_symbol,
        minority_share_lower_ci as lower_ci,
        minority_share_upper_ci as upper_ci,
        'WBRI' as reference_group,
        cast(null as double) as ratio,
        cast(null as double) as ratio_lower_ci,
        cast(null as double) as ratio_upper_ci,
        'z' as ratio_symbol,
        cast(null as boolean) as is_significant,
        cast(null as double) as gap_to_reference,
        cast(null as varchar) as compared_with_reference,
        cast(null as varchar) as compared_with_england,
        cast(null as varchar) as compared_with_london,
        case
            when target_pct is not null
                then
                    'Target ' || target_pct || '% by ' || target_year || ': '
                    || coalesce(compared_with_target, 'not compared')
        end as comparison_note,
        case
            when trend_points = 5 and trend_span = 4
                then obs_trend_label(
                    trend_numerators, trend_denominators, trend_values, trend_standard_errors,
                    'proportion', 'high_is_good', 5
                )
            else 'Cannot be calculated'
        end as trend,
        'top_earners' as figure_source
    from top_earners
),

-- Pay gaps: the value is the group's median hourly pay gap to White British (% of White British
-- pay, positive = paid less); the headline is ethnic minorities combined. Groups at the detailed
-- level carry their Census 2021 code, major groups their name.
pay_gap_figures as (
    select
        pay_gap.authority_code,
        'wf_median_hourly_pay_gap_pct' as indicator_id,
        case
            when pay_gap.ethnicity_level = 'detailed' then census_groups.census_code
            when pay_gap.ethnicity_level = 'major' then pay_gap.ethnicity_group
            else 'EM'
        end as cell_code,
        case pay_gap.ethnicity_level when 'detailed' then 3 when 'major' then 4 else 6 end as cell_rank,
        pay_gap.ethnicity_level as cell_level,
        pay_gap.ethnicity_group as cell_group,
        pay_gap.reporting_year as period,
        year(pay_gap.snapshot_date) as period_order,
        pay_gap.median_hourly_gap_pct as value,
        coalesce(pay_gap.gap_symbol, if(pay_gap.median_hourly_gap_pct is null, 'x', null)) as value_symbol,
        cast(null as double) as lower_ci,
        cast(null as double) as upper_ci,
        'WBRI' as reference_group,
        cast(null as double) as ratio,
        cast(null as double) as ratio_lower_ci,
        cast(null as double) as ratio_upper_ci,
        'z' as ratio_symbol,
        cast(null as boolean) as is_significant,
        pay_gap.median_hourly_gap_pct as gap_to_reference,
        cast(null as varchar) as compared_with_reference,
        cast(null as varchar) as compared_with_england,
        cast(null as varchar) as compared_with_london,
        cast(null as varchar) as comparison_note,
        cast(null as varchar) as trend,
        'pay_gap' as figure_source
    from {{ ref('pay_gap') }} as pay_gap
    left join census_groups
        on pay_gap.ethnicity_level = 'detailed' and pay_gap.ethnicity_group = census_groups.display_label
    where pay_gap.ethnicity_group != 'White British'
),

-- Relative likelihoods (WRES pattern) against White British; the value is the ratio itself.
likelihood_figures as (
    select
        likelihood.authority_code,
        likelihood.indicator_id,
        likelihood.ethnicity_code as cell_code,
        case likelihood.ethnicity_level when 'census2021' then 3 when 'major' then 4 else 6 end as cell_rank,
        likelihood.ethnicity_level as cell_level,
        likelihood.ethnicity_group as cell_group,
        likelihood.reporting_year as period,
        year(likelihood.year_ending) as period_order,
        likelihood.ratio as value,
        coalesce(likelihood.ratio_symbol, if(likelihood.ratio is null, 'x', null)) as value_symbol,
        likelihood.ratio_lower_ci as lower_ci,
        likelihood.ratio_upper_ci as upper_ci,
        'WBRI' as reference_group,
        likelihood.ratio,
        likelihood.ratio_lower_ci,
        likelihood.ratio_upper_ci,
        coalesce(likelihood.ratio_symbol, if(likelihood.ratio is null, 'x', null)) as ratio_symbol,
        likelihood.is_significant,
        cast(null as double) as gap_to_reference,
        likelihood.compared_with_parity as compared_with_reference,
        cast(null as varchar) as compared_with_england,
        cast(null as varchar) as compared_with_london,
        likelihood.reading as comparison_note,
        cast(null as varchar) as trend,
        'workforce_relative_likelihood' as figure_source
    from {{ ref('workforce_relative_likelihood') }} as likelihood
    where likelihood.indicator_id is not null and likelihood.reference_group = 'White British'
),

-- Representation in senior leadership (the band the seed workforce_grade_bands marks senior; the
-- highest such band if several): the group's share of senior staff of known ethnicity.
senior_band as (
    select * from {{ ref('workforce_representation') }}
    where is_senior
    qualify dense_rank() over (partition by authority_code order by band_order desc) = 1
),

senior_representation as (
    select
        *,
        count(*) over recent as trend_points,
        year(snapshot_date) - min(year(snapshot_date)) over recent as trend_span,
        list(cast(headcount as double)) over recent as trend_numerators,
        list(cast(band_known_headcount as double)) over recent as trend_denominators,
        list(share_pct) over recent as trend_values,
        list(cast(null as double)) over recent as trend_standard_errors
    from senior_band
    window recent as (
        partition by authority_code, ethnicity_level, ethnicity_code
        order by snapshot_date rows between 4 preceding and current row
    )
),

representation_figures as (
    select
        representation.authority_code,
        'wf_senior_minority_share_pct' as indicator_id,
        representation.ethnicity_code as cell_code,
        case representation.ethnicity_level when 'census2021' then 3 when 'major' then 4 else 6 end as cell_rank,
        representation.ethnicity_level as cell_level,
        representation.ethnicity_group as cell_group,
        representation.reporting_year as period,
        year(representation.snapshot_date) as period_order,
        representation.share_pct as value,
        coalesce(representation.headcount_symbol, if(representation.share_pct is null, 'x', null)) as value_symbol,
        representation.share_lower_ci as lower_ci,
        representation.share_upper_ci as upper_ci,
        'WBRI' as reference_group,
        cast(null as double) as ratio,
        cast(null as double) as ratio_lower_ci,
        cast(null as double) as ratio_upper_ci,
        'z' as ratio_symbol,
        cast(null as boolean) as is_significant,
        cast(null as double) as gap_to_reference,
        cast(null as varchar) as compared_with_reference,
        cast(null as varchar) as compared_with_england,
        cast(null as varchar) as compared_with_london,
        case
            when representation.population_share_pct is not null
                then
                    coalesce(representation.compared_with_population, 'Not compared')
                    || ' than working-age residents (' || representation.population_share_pct || '%)'
        end as comparison_note,
        case
            when representation.trend_points = 5 and representation.trend_span = 4
                then obs_trend_label(
                    representation.trend_numerators, representation.trend_denominators,
                    representation.trend_values, representation.trend_standard_errors,
                    'proportion', 'high_is_good', 5
                )
            else 'Cannot be calculated'
        end as trend,
        'workforce_representation' as figure_source
    from senior_representation as representation
    where representation.ethnicity_code != 'WBRI' or representation.ethnicity_level != 'minority_binary'
),

workforce_figures as (
    select * from pay_gap_figures
    union all by name
    select * from likelihood_figures
    union all by name
    select * from representation_figures
),

figures as (
    select * from outcome_figures
    union all by name
    select * from top_earner_figures
    union all by name
    select * from workforce_figures
    union all by name
    -- The workforce tables' headline: ethnic minorities combined against White British.
    select * replace ('All' as cell_code, 0 as cell_rank) from workforce_figures
    where cell_code = 'EM'
),

-- The indicator's latest period for the authority (its headline cell), and the period before.
headlines as (
    select
        *,
        row_number() over (partition by authority_code, indicator_id order by period_order desc) as recency
    from figures
    where cell_code = 'All'
),

latest as (
    select * from headlines
    where recency = 1
),

previous as (
    select * from headlines
    where recency = 2
),

-- The targeted group's cell in the same period, at the most detailed level holding its code.
group_cells as (
    select
        links.authority_code,
        links.action_ref,
        links.indicator_id,
        links.ethnicity_code,
        figures.cell_code,
        figures.cell_level,
        figures.cell_group,
        figures.value,
        figures.value_symbol,
        figures.lower_ci,
        figures.upper_ci,
        figures.reference_group,
        figures.ratio,
        figures.ratio_lower_ci,
        figures.ratio_upper_ci,
        figures.ratio_symbol,
        figures.is_significant,
        figures.gap_to_reference,
        figures.compared_with_reference,
        figures.trend
    from links
    inner join latest
        on links.authority_code = latest.authority_code and links.indicator_id = latest.indicator_id
    inner join figures
        on
            links.authority_code = figures.authority_code
            and links.indicator_id = figures.indicator_id
            and links.ethnicity_code = figures.cell_code
            and latest.period_order = figures.period_order
    qualify row_number() over (
        partition by links.authority_code, links.action_ref, links.indicator_id, links.ethnicity_code
        order by figures.cell_rank
    ) = 1
),

-- A group's label where no figure names it (a code the authority's tables do not hold).
group_labels as (
    select
        ethnicity_code,
        arg_min(
            ethnicity_group,
            case ethnicity_level
                when 'extended' then 1 when 'dfe_main' then 2 when 'census2021' then 3 when 'major' then 4
                else 5
            end
        ) as ethnicity_group
    from {{ ref('int_ethnicity__groups') }}
    group by ethnicity_code
    union all
    select
        'EM' as ethnicity_code,
        'Ethnic minorities' as ethnicity_group
),

link_counts as (
    select
        authority_code,
        action_ref,
        cast(count(*) as integer) as linked_indicators
    from links
    group by authority_code, action_ref
),

final as (
    select
        actions.authority_code,
        authorities.authority_name,
        actions.plan_as_at_date,
        actions.action_ref,
        actions.recommendation_number,
        actions.theme,
        actions.recommendation,
        actions.action_description,
        actions.owner,
        actions.resource,
        actions.start_date,
        actions.due_date,
        actions.is_ongoing,
        actions.status_as_at_date,
        actions.status as latest_status,
        actions.rag,
        actions.percent_complete,
        actions.is_complete,
        actions.is_overdue,
        actions.days_overdue,
        actions.is_due_soon,
        actions.days_until_due,
        actions.is_in_latest_update,
        actions.first_seen_as_at_date,
        actions.updates_count,
        actions.status_history,
        coalesce(link_counts.linked_indicators, 0) as linked_indicators,
        links.indicator_id,
        catalogue.indicator_name,
        catalogue.unit as indicator_unit,
        catalogue.polarity as indicator_polarity,
        links.rationale as link_rationale,
        latest.figure_source as indicator_source,
        latest.period as indicator_period,
        latest.cell_group as indicator_cell,
        latest.value as indicator_value,
        case
            when links.indicator_id is null then 'z'
            when latest.authority_code is null then 'x'
            else latest.value_symbol
        end as indicator_value_symbol,
        latest.lower_ci as indicator_lower_ci,
        latest.upper_ci as indicator_upper_ci,
        previous.period as indicator_previous_period,
        previous.value as indicator_previous_value,
        previous.value_symbol as indicator_previous_value_symbol,
        latest.trend as indicator_trend,
        latest.compared_with_england as indicator_compared_with_england,
        latest.compared_with_london as indicator_compared_with_london,
        latest.comparison_note as indicator_comparison_note,
        links.ethnicity_code as targeted_ethnicity_code,
        coalesce(group_cells.cell_group, group_labels.ethnicity_group, links.ethnicity_code) as targeted_group,
        group_cells.cell_level as targeted_ethnicity_level,
        group_cells.value as group_value,
        case
            when links.ethnicity_code is null then 'z'
            when group_cells.cell_code is null then 'x'
            else group_cells.value_symbol
        end as group_value_symbol,
        group_cells.lower_ci as group_lower_ci,
        group_cells.upper_ci as group_upper_ci,
        group_cells.reference_group as group_reference_group,
        group_cells.ratio as group_rri,
        group_cells.ratio_lower_ci as group_rri_lower_ci,
        group_cells.ratio_upper_ci as group_rri_upper_ci,
        case
            when links.ethnicity_code is null then 'z'
            when group_cells.cell_code is null then 'x'
            else group_cells.ratio_symbol
        end as group_rri_symbol,
        group_cells.gap_to_reference as group_gap_to_reference,
        group_cells.is_significant as group_is_significant,
        group_cells.compared_with_reference as group_compared_with_reference,
        group_cells.trend as group_trend
    from actions
    left join authorities on actions.authority_code = authorities.authority_code
    left join links
        on actions.authority_code = links.authority_code and actions.action_ref = links.action_ref
    left join link_counts
        on actions.authority_code = link_counts.authority_code and actions.action_ref = link_counts.action_ref
    left join catalogue on links.indicator_id = catalogue.indicator_id
    left join latest
        on links.authority_code = latest.authority_code and links.indicator_id = latest.indicator_id
    left join previous
        on links.authority_code = previous.authority_code and links.indicator_id = previous.indicator_id
    left join group_cells
        on
            links.authority_code = group_cells.authority_code
            and links.action_ref = group_cells.action_ref
            and links.indicator_id = group_cells.indicator_id
            and links.ethnicity_code = group_cells.ethnicity_code
    left join group_labels on links.ethnicity_code = group_labels.ethnicity_code
)

select * from final
