-- PUBLIC INTERFACE: publish.outcome_indicators (see _publish__models.yml). The outcome mart with
-- disclosure control (methods reference §7): a count of 1..k-1 (numerator or denominator; for a
-- survey, respondents) is shown as "c" and so is every value, interval, RRI, gap and comparison
-- derived from it, or from a suppressed reference group. A zero is a true zero. Fingertips rows are
-- published as OHID published them (OHID applies its own suppression; its note is kept).
{%- set k = var('disclosure_min_count') %}
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

flagged as (
    select
        *,
        case statistic
            when 'published' then false
            when 'weighted_proportion' then records between 1 and {{ k }} - 1
            when 'mean' then denominator between 1 and {{ k }} - 1
            else numerator between 1 and {{ k }} - 1 or denominator between 1 and {{ k }} - 1
        end as is_suppressed
    from indicators
),

with_reference as (
    select
        flagged.*,
        coalesce(reference.is_suppressed, false) as is_reference_suppressed
    from flagged
    left join flagged as reference
        on
            flagged.authority_code = reference.authority_code
            and flagged.period = reference.period
            and flagged.indicator_id = reference.indicator_id
            and flagged.sex = reference.sex
            and flagged.fsm = reference.fsm
            and flagged.sen = reference.sen
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
        case when not with_reference.is_suppressed then round(with_reference.value, 4) end as value,
        case when not with_reference.is_suppressed then round(with_reference.lower_ci, 4) end as lower_ci,
        case when not with_reference.is_suppressed then round(with_reference.upper_ci, 4) end as upper_ci,
        with_reference.reference_code as reference_group,
        with_reference.ethnicity_code = with_reference.reference_code as is_reference_group,
        case
            when with_reference.ethnicity_level = 'all' or with_reference.ethnicity_code = with_reference.reference_code
                then 'z'
            when with_reference.is_suppressed or with_reference.is_reference_suppressed then 'c'
            when with_reference.rri is null and with_reference.statistic not in ('mean') then 'x'
        end as rri_symbol,
        case
            when not (with_reference.is_suppressed or with_reference.is_reference_suppressed)
                then round(with_reference.rri, 4)
        end as rri,
        case
            when not (with_reference.is_suppressed or with_reference.is_reference_suppressed)
                then round(with_reference.rri_lower_ci, 4)
        end as rri_lower_ci,
        case
            when not (with_reference.is_suppressed or with_reference.is_reference_suppressed)
                then round(with_reference.rri_upper_ci, 4)
        end as rri_upper_ci,
        case
            when not (with_reference.is_suppressed or with_reference.is_reference_suppressed)
                then with_reference.is_rri_significant
        end as is_rri_significant,
        case
            when not (with_reference.is_suppressed or with_reference.is_reference_suppressed)
                then round(with_reference.gap_to_reference, 4)
        end as gap_to_reference,
        case
            when not (with_reference.is_suppressed or with_reference.is_reference_suppressed)
                then round(with_reference.gap_to_reference_lower_ci, 4)
        end as gap_to_reference_lower_ci,
        case
            when not (with_reference.is_suppressed or with_reference.is_reference_suppressed)
                then round(with_reference.gap_to_reference_upper_ci, 4)
        end as gap_to_reference_upper_ci,
        case
            when not (with_reference.is_suppressed or with_reference.is_reference_suppressed)
                then with_reference.compared_with_reference
        end as compared_with_reference,
        round(with_reference.authority_value, 4) as authority_value,
        case when not with_reference.is_suppressed then round(with_reference.gap_to_authority, 4) end
            as gap_to_authority,
        case when not with_reference.is_suppressed then with_reference.compared_with_authority end
            as compared_with_authority,
        case when not with_reference.is_suppressed then round(with_reference.share_difference_pp, 2) end
            as share_difference_pp,
        round(with_reference.london_value, 4) as london_value,
        case when not with_reference.is_suppressed then with_reference.compared_with_london end
            as compared_with_london,
        round(with_reference.england_value, 4) as england_value,
        case when not with_reference.is_suppressed then with_reference.compared_with_england end
            as compared_with_england,
        round(with_reference.neighbours_value, 4) as neighbours_value,
        with_reference.neighbours_count::integer as neighbours_count,
        case when not with_reference.is_suppressed then with_reference.compared_with_neighbours end
            as compared_with_neighbours,
        case when not with_reference.is_suppressed then round(with_reference.trend_chi2, 3) end as trend_chi2,
        case when with_reference.is_suppressed then 'Cannot be calculated' else with_reference.trend end as trend,
        round(with_reference.unknown_ethnicity_pct, 2) as unknown_ethnicity_pct,
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
