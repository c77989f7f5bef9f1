{#- Disclosure control and the reporting-level rule of published pay gaps (methods reference §5, §7),
    one implementation for publish.pay_gap (ethnicity) and publish.pay_gap_by_sex (gender and
    ethnicity x sex). Returns CTEs to follow `with`, the last one `pay_gap_published`, over
    `relation` (rows of workforce_pay_gap).

    Disclosure: the headcounts of the cells the disclosure engine flags are "c"
    (int_disclosure__pay_gap_flags: counts 1..k-1, then every further cell needed so that none of
    them can be recovered by subtraction across ethnicity levels and sexes, in both tables at once);
    a full-pay headcount is "c" too where it gives away 1..k-1 staff on leave; pay statistics need
    at least pay_gap_min_group_size employees in the group and the comparator.

    Reporting level (2023 guidance: the most detailed level cell sizes allow, then the 5 broad groups,
    then White British vs ethnic minorities as a last resort): every row says at which level its
    group's gap can be read (headline_level), whether the row is a headline, and why. -#}
{% macro pay_gap_disclosure(relation) -%}
    {%- set k = var('disclosure_min_count') -%}
    {%- set min_group = var('pay_gap_min_group_size') -%}
-- The disclosure engine's flags (int_disclosure__pay_gap_flags) for each cell. A cell it has no flag
-- for is hidden: a gap in the protection never shows a count.
pay_gap_flags as (
    select
        cells.*,
        coalesce(protection.is_primary_suppressed or protection.is_secondary_suppressed, true)
            as is_headcount_suppressed,
        cells.relevant_headcount - cells.full_pay_relevant_headcount between 1 and {{ k }} - 1
            as is_leave_count_disclosive,
        cells.full_pay_relevant_headcount < {{ min_group }}
        or cells.comparator_full_pay_relevant_headcount < {{ min_group }} as is_pay_suppressed,
        cells.bonus_recipients between 1 and {{ k }} - 1 as is_bonus_count_suppressed,
        cells.bonus_recipients < {{ min_group }}
        or cells.comparator_bonus_recipients < {{ min_group }} as is_bonus_gap_suppressed
    from {{ relation }} as cells
    left join {{ ref('int_disclosure__pay_gap_flags') }} as protection
        on
            cells.authority_code = protection.authority_code
            and cells.snapshot_date = protection.snapshot_date
            and cells.ethnicity_level = protection.ethnicity_level
            and cells.ethnicity_group = protection.ethnicity_group
            and cells.sex = protection.sex
),

-- The reporting ladder: a detailed group's gap is read at its broad group when its own is withheld,
-- and at White British vs ethnic minorities when the broad group's is withheld too.
pay_gap_ladder as (
    select
        cells.*,
        case
            when not cells.is_pay_suppressed then cells.ethnicity_level
            when cells.ethnicity_level = 'detailed' and not broad_row.is_pay_suppressed then 'major'
            when cells.ethnicity_level in ('detailed', 'major') and not minority_binary.is_pay_suppressed
                then 'minority_binary'
        end as headline_level,
        broad_row.ethnicity_group as broad_group,
        minority_binary.ethnicity_group as binary_group
    from pay_gap_flags as cells
    left join pay_gap_flags as broad_row
        on
            cells.ethnicity_level = 'detailed'
            and broad_row.ethnicity_level = 'major'
            and cells.authority_code = broad_row.authority_code
            and cells.snapshot_date = broad_row.snapshot_date
            and cells.dimension = broad_row.dimension
            and cells.sex = broad_row.sex
            and cells.parent_group = broad_row.ethnicity_group
    left join pay_gap_flags as minority_binary
        on
            cells.ethnicity_level in ('detailed', 'major')
            and minority_binary.ethnicity_level = 'minority_binary'
            and cells.authority_code = minority_binary.authority_code
            and cells.snapshot_date = minority_binary.snapshot_date
            and cells.dimension = minority_binary.dimension
            and cells.sex = minority_binary.sex
            and minority_binary.ethnicity_group = case
                when cells.ethnicity_level = 'detailed' then broad_row.parent_group
                else cells.parent_group
            end
),

-- Which groups each broader row stands for: those whose own gap is withheld.
pay_gap_covered as (
    select
        authority_code,
        snapshot_date,
        dimension,
        sex,
        headline_level as ethnicity_level,
        case headline_level when 'major' then broad_group else binary_group end as ethnicity_group,
        string_agg(ethnicity_group, ', ' order by display_order, ethnicity_group) as covered_groups
    from pay_gap_ladder
    where headline_level is not null and headline_level != ethnicity_level and not is_comparator
    group by all
),

pay_gap_headlines as (
    select
        pay_gap_ladder.*,
        pay_gap_covered.covered_groups,
        not pay_gap_ladder.is_comparator
        and not pay_gap_ladder.is_pay_suppressed
        and (
            pay_gap_ladder.ethnicity_level in ('detailed', 'all')
            or pay_gap_covered.covered_groups is not null
        ) as is_headline
    from pay_gap_ladder
    left join pay_gap_covered
        on
            pay_gap_ladder.authority_code = pay_gap_covered.authority_code
            and pay_gap_ladder.snapshot_date = pay_gap_covered.snapshot_date
            and pay_gap_ladder.dimension = pay_gap_covered.dimension
            and pay_gap_ladder.sex = pay_gap_covered.sex
            and pay_gap_ladder.ethnicity_level = pay_gap_covered.ethnicity_level
            and pay_gap_ladder.ethnicity_group = pay_gap_covered.ethnicity_group
),

pay_gap_authorities as (
    select * from {{ ref('authorities') }}
),

pay_gap_published as (
    select
        flags.authority_code,
        coalesce(pay_gap_authorities.authority_name, flags.authority_code) as authority_name,
        flags.snapshot_date,
        case
            when month(flags.snapshot_date) <= 3
                then (year(flags.snapshot_date) - 1)::varchar || '/' || right(year(flags.snapshot_date)::varchar, 2)
            else year(flags.snapshot_date)::varchar || '/' || right((year(flags.snapshot_date) + 1)::varchar, 2)
        end as reporting_year,
        flags.dimension,
        flags.sex,
        flags.ethnicity_level,
        flags.ethnicity_group,
        flags.display_order::integer as display_order,
        flags.comparator_group,
        flags.comparator_sex,
        flags.is_comparator,
        case when not flags.is_headcount_suppressed then flags.relevant_headcount end::integer
            as relevant_headcount,
        case when flags.is_headcount_suppressed then 'c' end as headcount_symbol,
        case
            when not (flags.is_headcount_suppressed or flags.is_leave_count_disclosive)
                then flags.full_pay_relevant_headcount
        end::integer as full_pay_relevant_headcount,
        case when flags.is_headcount_suppressed or flags.is_leave_count_disclosive then 'c' end
            as full_pay_headcount_symbol,
        case when not flags.is_pay_suppressed then round(flags.mean_hourly_pay, 2) end as mean_hourly_pay,
        case when not flags.is_pay_suppressed then round(flags.median_hourly_pay, 2) end as median_hourly_pay,
        case when flags.is_pay_suppressed then 'c' end as pay_symbol,
        case when not flags.is_pay_suppressed then round(flags.mean_hourly_gap_pct, 1) end
            as mean_hourly_gap_pct,
        case when not flags.is_pay_suppressed then round(flags.median_hourly_gap_pct, 1) end
            as median_hourly_gap_pct,
        case
            when flags.is_comparator then 'z'
            when flags.is_pay_suppressed then 'c'
        end as gap_symbol,
        case
            when not (flags.is_bonus_count_suppressed or flags.is_headcount_suppressed)
                then round(flags.bonus_recipient_pct, 1)
        end as bonus_recipient_pct,
        case when not flags.is_bonus_gap_suppressed then round(flags.mean_bonus_gap_pct, 1) end
            as mean_bonus_gap_pct,
        case when not flags.is_bonus_gap_suppressed then round(flags.median_bonus_gap_pct, 1) end
            as median_bonus_gap_pct,
        case
            when flags.is_bonus_count_suppressed or flags.is_headcount_suppressed then 'c'
            when flags.is_comparator or flags.bonus_recipients = 0 then 'z'
            when flags.is_bonus_gap_suppressed then 'c'
        end as bonus_symbol,
        flags.is_headline,
        flags.headline_level,
        case
            when flags.is_comparator then 'Comparator: every gap in this level is measured against this group'
            when not flags.is_pay_suppressed and flags.ethnicity_level = 'all'
                then 'Gender pay gap: women against men'
            when not flags.is_pay_suppressed and flags.ethnicity_level = 'detailed'
                then 'Headline: the most detailed level, with at least {{ min_group }} full-pay relevant staff '
                || 'in the group and the comparator'
            when not flags.is_pay_suppressed and flags.covered_groups is not null
                then 'Headline for ' || flags.covered_groups || ', whose more detailed gaps are withheld '
                || '(fewer than {{ min_group }} full-pay relevant staff)'
            when not flags.is_pay_suppressed
                then 'Summary: every group within it has its own gap at a more detailed level'
            when flags.headline_level = 'major'
                then 'Fewer than {{ min_group }} full-pay relevant staff here or in the comparator: read the gap of '
                || flags.broad_group || ' (major level)'
            when flags.headline_level = 'minority_binary'
                then 'Fewer than {{ min_group }} full-pay relevant staff here or in the comparator: read the gap of '
                || flags.binary_group || ' (White British vs ethnic minorities)'
            else 'Fewer than {{ min_group }} full-pay relevant staff at every level: no gap reported'
        end as headline_reason
    from pay_gap_headlines as flags
    left join pay_gap_authorities
        on flags.authority_code = pay_gap_authorities.authority_code
)
{%- endmacro %}
