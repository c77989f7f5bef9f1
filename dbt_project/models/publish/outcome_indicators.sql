-- PUBLIC INTERFACE: publish.outcome_indicators (see _publish__models.yml). The outcome mart with
-- disclosure control (methods reference §7, int_disclosure__outcome_flags): a count of 1..k-1
-- (numerator or denominator; for a survey, respondents) is shown as "c", and so are the cells hidden
-- so that none can be recovered by subtraction (secondary suppression), with every value, interval,
-- RRI, gap and comparison derived from them, from a suppressed reference group or from a suppressed
-- authority total. Share differences are published for the overall cell (all sexes, FSM, SEN) only.
-- The unknown-ethnicity share (and the share differences) is withheld ("c") where it alone would give
-- a small count away (the only woman in a cohort is the one of unknown ethnicity).
-- A zero is a true zero. Fingertips rows are published as OHID published them (OHID applies its own
-- suppression; its note is kept).
{#- Figures withheld with their cell (own counts suppressed), or also with the reference group's:
    (column, decimal places or none). -#}
{%- set withheld_with_cell = [
    ('value', 4), ('lower_ci', 4), ('upper_ci', 4), ('compared_with_london', none), ('compared_with_england', none),
    ('compared_with_neighbours', none), ('trend_chi2', 3),
] %}
{%- set withheld_with_reference = [
    ('rri', 4), ('rri_lower_ci', 4), ('rri_upper_ci', 4), ('is_rri_significant', none), ('gap_to_reference', 4),
    ('gap_to_reference_lower_ci', 4), ('gap_to_reference_upper_ci', 4), ('compared_with_reference', none),
] %}
{%- set withheld_with_authority = [
    ('authority_value', 4), ('gap_to_authority', 4), ('compared_with_authority', none),
] %}
{%- set guarded = [] %}
{#- The reference group's own RRI (1) and gap (0) say nothing: not applicable (symbol z). -#}
{%- for hidden_when, columns in [
    ('is_suppressed', withheld_with_cell),
    ('is_suppressed or is_reference_suppressed or is_reference_row', withheld_with_reference),
    ('is_suppressed or is_authority_suppressed', withheld_with_authority),
    ('is_suppressed or not is_overall_slice or is_unknown_share_withheld', [('share_difference_pp', 2)]),
] %}
    {%- for column, digits in columns %}
        {%- set shown = 'with_reference.' ~ column %}
        {%- do guarded.append(
            'case when not (' ~ hidden_when | replace('is_', 'with_reference.is_') ~ ') then '
            ~ ('round(' ~ shown ~ ', ' ~ digits ~ ')' if digits is not none else shown) ~ ' end as ' ~ column
        ) %}
    {%- endfor %}
{%- endfor %}
with

indicators as (
    select * from {{ ref('outcome_indicator_estimates') }}
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

disclosure as (
    select * from {{ ref('int_disclosure__outcome_flags') }}
),

flagged as (
    select
        indicators.*,
        -- Fingertips rows have no flags: OHID's publication, shown as published.
        coalesce(disclosure.is_primary_suppressed or disclosure.is_secondary_suppressed, false) as is_suppressed,
        coalesce(disclosure.is_unknown_share_withheld, false) as is_unknown_share_withheld
    from indicators
    left join disclosure
        on {{ join_on('indicators', 'disclosure', [
            'authority_code', 'period', 'indicator_id', 'ethnicity_level', 'ethnicity_code', 'sex', 'fsm', 'sen'
        ]) }}
    -- Only the cells disclosure control has cleared (DfE extended codes crossed with sex, FSM or SEN
    -- are not published: see observatory.disclosure_tables.published_outcome_rows).
    where disclosure.authority_code is not null or indicators.statistic = 'published'
),

with_reference as (
    select
        flagged.*,
        coalesce(reference.is_suppressed, false) as is_reference_suppressed,
        coalesce(flagged.ethnicity_code = flagged.reference_code, false) as is_reference_row,
        coalesce(overall.is_suppressed, false) as is_authority_suppressed,
        -- Share differences of a breakdown (sex, FSM, SEN) would give its known-ethnicity total, and
        -- with it the unknown count: published for the overall cell only.
        flagged.sex = 'All' and flagged.fsm = 'All' and flagged.sen = 'All' as is_overall_slice
    from flagged
    left join flagged as overall
        on
            {{ join_on('flagged', 'overall', ['authority_code', 'period', 'indicator_id', 'sex', 'fsm', 'sen']) }}
            and overall.ethnicity_level = 'all'
    left join flagged as reference
        on
            {{ join_on('flagged', 'reference', ['authority_code', 'period', 'indicator_id', 'sex', 'fsm', 'sen']) }}
            and flagged.reference_code = reference.ethnicity_code
            and reference.ethnicity_level = if(flagged.ethnicity_level = 'major', 'major', reference.ethnicity_level)
            and reference.ethnicity_level in ('dfe_main', 'census2021', 'major')
    qualify row_number() over (
        partition by
            flagged.authority_code, flagged.period, flagged.indicator_id, flagged.breakdown,
            flagged.ethnicity_level, flagged.ethnicity_code, flagged.sex, flagged.fsm, flagged.sen
        order by reference.ethnicity_level
    ) = 1
),

published as (
    select
        with_reference.authority_code,
        coalesce(authorities.authority_name, with_reference.authority_code) as authority_name,
        authorities.region_name,
        authorities.sub_region,
        with_reference.period,
        with_reference.period_end_year::integer as period_end_year,
        with_reference.indicator_id,
        catalogue.indicator_name,
        catalogue.domain,
        catalogue.unit,
        with_reference.polarity,
        with_reference.statistic,
        with_reference.breakdown,
        with_reference.ethnicity_level,
        with_reference.ethnicity_code,
        coalesce(groups.ethnicity_group, with_reference.ethnicity_code) as ethnicity_group,
        coalesce(groups.display_order, 9999)::integer as display_order,
        with_reference.sex,
        with_reference.fsm,
        with_reference.sen,
        case
            when not with_reference.is_suppressed and with_reference.statistic != 'weighted_proportion'
                then round(with_reference.numerator, 1)
        end as numerator,
        case
            when not with_reference.is_suppressed and with_reference.statistic != 'weighted_proportion'
                then round(with_reference.denominator, 1)
        end as denominator,
        case when not with_reference.is_suppressed then with_reference.records end::integer as respondents,
        case
            when with_reference.is_suppressed then 'c'
            when with_reference.value is null then 'x'
        end as value_symbol,
        {{ guarded | join(', ') }},
        with_reference.reference_code as reference_group,
        with_reference.ethnicity_code = with_reference.reference_code as is_reference_group,
        case
            when with_reference.ethnicity_level = 'all' or with_reference.ethnicity_code = with_reference.reference_code
                then 'z'
            when with_reference.is_suppressed or with_reference.is_reference_suppressed then 'c'
            when with_reference.rri is null and with_reference.statistic not in ('mean') then 'x'
        end as rri_symbol,
        round(with_reference.london_value, 4) as london_value,
        round(with_reference.england_value, 4) as england_value,
        round(with_reference.neighbours_value, 4) as neighbours_value,
        with_reference.neighbours_count::integer as neighbours_count,
        case when with_reference.is_suppressed then 'Cannot be calculated' else with_reference.trend end as trend,
        case
            when not with_reference.is_unknown_share_withheld then round(with_reference.unknown_ethnicity_pct, 2)
        end as unknown_ethnicity_pct,
        case when with_reference.is_unknown_share_withheld then 'c' end as unknown_ethnicity_symbol,
        with_reference.published_value_note as value_note
    from with_reference
    inner join catalogue
        on with_reference.indicator_id = catalogue.indicator_id
    left join groups
        on
            with_reference.ethnicity_level = groups.ethnicity_level
            and with_reference.ethnicity_code = groups.ethnicity_code
    left join authorities
        on with_reference.authority_code = authorities.authority_code
)

select * from published
order by
    authority_code, indicator_id, period_end_year, period, breakdown, ethnicity_level, display_order,
    ethnicity_code, sex, fsm, sen
