-- PUBLIC INTERFACE: publish.workforce_relative_likelihood (see _publish__models.yml). WRES-pattern
-- relative likelihoods with disclosure control (methods reference §7): an event count or base of 1..k-1,
-- or an event count whose complement (base - events) is 1..k-1, is "c"; in a parent group with exactly
-- one such child the next smallest non-zero child is suppressed too. A ratio, interval, significance
-- and reading derived from a suppressed count are withheld ("c"); a ratio with no events on either
-- side is not computed ("x").
{% set k = var('disclosure_min_count') %}
with

likelihoods as (
    select * from {{ ref('workforce_likelihood_estimates') }}
),

authorities as (
    select * from {{ ref('authorities') }}
),

-- Every cell once: the compared groups, their references, and White British again at the binary
-- level (its count is the same at both levels; its siblings differ).
cells as (
    select distinct
        authority_code,
        financial_year,
        measure,
        ethnicity_level,
        ethnicity_group,
        parent_group,
        events,
        base
    from likelihoods
    union
    select distinct
        authority_code,
        financial_year,
        measure,
        reference_level,
        reference_group,
        reference_parent_group,
        reference_events,
        reference_base
    from likelihoods
    union
    select distinct
        authority_code,
        financial_year,
        measure,
        'minority_binary' as ethnicity_level,
        reference_group,
        'All known' as parent_group,
        reference_events,
        reference_base
    from likelihoods
    where reference_level = 'census2021'
),

primary_flags as (
    select
        *,
        events between 1 and {{ k }} - 1 or base - events between 1 and {{ k }} - 1 as is_events_primary,
        base between 1 and {{ k }} - 1 as is_base_primary
    from cells
),

ranked as (
    select
        *,
        count(*) filter (where is_events_primary) over parent as events_suppressed_in_parent,
        count(*) filter (where is_base_primary) over parent as base_suppressed_in_parent,
        count(*) over parent as children_in_parent,
        row_number() over (
            partition by
                authority_code, financial_year, measure, ethnicity_level, parent_group,
                is_events_primary or events = 0
            order by events, ethnicity_group
        ) as events_rank,
        row_number() over (
            partition by
                authority_code, financial_year, measure, ethnicity_level, parent_group,
                is_base_primary or base = 0
            order by base, ethnicity_group
        ) as base_rank
    from primary_flags
    window parent as (partition by authority_code, financial_year, measure, ethnicity_level, parent_group)
),

cell_flags as (
    select
        *,
        is_events_primary
        or (
            events_suppressed_in_parent = 1 and children_in_parent > 1
            and not is_events_primary and events > 0 and events_rank = 1
        ) as is_events_suppressed,
        is_base_primary
        or (
            base_suppressed_in_parent = 1 and children_in_parent > 1
            and not is_base_primary and base > 0 and base_rank = 1
        ) as is_base_suppressed
    from ranked
),

-- A group's count is one number wherever it appears: suppressed at any level, suppressed everywhere.
group_flags as (
    select
        authority_code,
        financial_year,
        measure,
        ethnicity_group,
        bool_or(is_events_suppressed) as is_events_suppressed,
        bool_or(is_base_suppressed) as is_base_suppressed
    from cell_flags
    group by authority_code, financial_year, measure, ethnicity_group
),

flagged as (
    select
        likelihoods.*,
        case
            when likelihoods.orientation = 'reference_over_group' then reference_flags.is_events_suppressed
            else group_flags.is_events_suppressed
        end as is_a_suppressed,
        case
            when likelihoods.orientation = 'reference_over_group' then reference_flags.is_base_suppressed
            else group_flags.is_base_suppressed
        end as is_n1_suppressed,
        case
            when likelihoods.orientation = 'reference_over_group' then group_flags.is_events_suppressed
            else reference_flags.is_events_suppressed
        end as is_c_suppressed,
        case
            when likelihoods.orientation = 'reference_over_group' then group_flags.is_base_suppressed
            else reference_flags.is_base_suppressed
        end as is_n0_suppressed,
        likelihoods.base_all - likelihoods.base_declared between 1 and {{ k }} - 1 as is_undeclared_disclosive,
        likelihoods.base_prefer_not_to_say between 1 and {{ k }} - 1 as is_prefer_not_to_say_disclosive
    from likelihoods
    inner join group_flags
        on
            likelihoods.authority_code = group_flags.authority_code
            and likelihoods.financial_year = group_flags.financial_year
            and likelihoods.measure = group_flags.measure
            and likelihoods.ethnicity_group = group_flags.ethnicity_group
    inner join group_flags as reference_flags
        on
            likelihoods.authority_code = reference_flags.authority_code
            and likelihoods.financial_year = reference_flags.financial_year
            and likelihoods.measure = reference_flags.measure
            and likelihoods.reference_group = reference_flags.ethnicity_group
),

withheld as (
    select
        *,
        is_a_suppressed or is_n1_suppressed or is_c_suppressed or is_n0_suppressed as is_ratio_suppressed
    from flagged
),

published as (
    select
        withheld.authority_code,
        coalesce(authorities.authority_name, withheld.authority_code) as authority_name,
        withheld.financial_year,
        replace(withheld.financial_year, '-', '/') as reporting_year,
        withheld.year_ending,
        withheld.source_name,
        withheld.measure,
        withheld.measure_family,
        withheld.measure_detail,
        withheld.indicator_id,
        withheld.base_name,
        withheld.ethnicity_level,
        withheld.ethnicity_code,
        withheld.ethnicity_group,
        withheld.display_order,
        withheld.reference_level,
        withheld.reference_group,
        withheld.orientation,
        withheld.numerator_group,
        withheld.denominator_group,
        case when not withheld.is_a_suppressed then withheld.a end::integer as a,
        case when not withheld.is_n1_suppressed then withheld.n1 end::integer as n1,
        case when not withheld.is_c_suppressed then withheld.c end::integer as c,
        case when not withheld.is_n0_suppressed then withheld.n0 end::integer as n0,
        case when withheld.is_ratio_suppressed then 'c' end as counts_symbol,
        case when not withheld.is_ratio_suppressed then round(withheld.ratio, 3) end as ratio,
        case when not withheld.is_ratio_suppressed then round(withheld.ratio_lower_ci, 3) end as ratio_lower_ci,
        case when not withheld.is_ratio_suppressed then round(withheld.ratio_upper_ci, 3) end as ratio_upper_ci,
        case
            when withheld.is_ratio_suppressed then 'c'
            when withheld.ratio is null then 'x'
        end as ratio_symbol,
        case when not withheld.is_ratio_suppressed then withheld.is_significant end as is_significant,
        case
            when not withheld.is_ratio_suppressed and withheld.ratio is not null then withheld.compared_with_parity
        end as compared_with_parity,
        case
            when not withheld.is_ratio_suppressed and withheld.ratio >= 1
                then
                    withheld.numerator_group || ': ' || printf('%.2f', withheld.ratio) || ' times as likely as '
                    || withheld.denominator_group || ' ' || withheld.event_phrase
                    || if(withheld.is_significant, ' (significant)', ' (not significantly different from parity)')
            when not withheld.is_ratio_suppressed and withheld.ratio > 0
                then
                    withheld.numerator_group || ': ' || printf('%.2f', 1 / withheld.ratio) || ' times less likely than '
                    || withheld.denominator_group || ' ' || withheld.event_phrase
                    || if(withheld.is_significant, ' (significant)', ' (not significantly different from parity)')
        end as reading,
        case
            when not withheld.is_undeclared_disclosive
                then round(100.0 * withheld.base_declared / withheld.base_all, 1)
        end as declared_pct,
        case
            when not withheld.is_prefer_not_to_say_disclosive
                then round(100.0 * withheld.base_prefer_not_to_say / withheld.base_all, 1)
        end as prefer_not_to_say_pct,
        case
            when withheld.is_undeclared_disclosive or withheld.is_prefer_not_to_say_disclosive then 'c'
        end as declaration_symbol
    from withheld
    left join authorities
        on withheld.authority_code = authorities.authority_code
)

select * from published
order by authority_code, financial_year, measure, reference_level, ethnicity_level, display_order, ethnicity_group
