-- PUBLIC INTERFACE: publish.pay_gap (see _publish__models.yml). Ethnicity pay gaps with disclosure
-- control (methods reference §7): headcounts 1..k-1 are "c"; in a parent group with exactly one
-- such child the next smallest child is suppressed too, so no count is recovered by subtraction;
-- pay statistics need at least pay_gap_min_group_size employees in the group and the comparator.
{% set k = var('disclosure_min_count') %}
{% set min_group = var('pay_gap_min_group_size') %}
with

gaps as (
    select * from {{ ref('workforce_pay_gap') }}
),

authorities as (
    select * from {{ ref('authorities') }}
),

primary_flags as (
    select
        *,
        relevant_headcount < {{ k }} as is_primary_suppressed
    from gaps
),

secondary_flags as (
    select
        *,
        count(*) filter (where is_primary_suppressed) over parent as suppressed_in_parent,
        row_number() over (
            partition by authority_code, snapshot_date, ethnicity_level, parent_group, is_primary_suppressed
            order by relevant_headcount, ethnicity_group
        ) as size_rank,
        count(*) over parent as children_in_parent
    from primary_flags
    window parent as (partition by authority_code, snapshot_date, ethnicity_level, parent_group)
),

flags as (
    select
        *,
        is_primary_suppressed
        or (
            parent_group is not null
            and suppressed_in_parent = 1
            and children_in_parent > 1
            and not is_primary_suppressed
            and size_rank = 1
        ) as is_headcount_suppressed,
        relevant_headcount - full_pay_relevant_headcount between 1 and {{ k }} - 1
            as is_leave_count_disclosive,
        full_pay_relevant_headcount < {{ min_group }}
        or comparator_full_pay_relevant_headcount < {{ min_group }} as is_pay_suppressed,
        bonus_recipients between 1 and {{ k }} - 1 as is_bonus_count_suppressed,
        bonus_recipients < {{ min_group }}
        or comparator_bonus_recipients < {{ min_group }} as is_bonus_gap_suppressed
    from secondary_flags
),

published as (
    select
        flags.authority_code,
        coalesce(authorities.authority_name, flags.authority_code) as authority_name,
        flags.snapshot_date,
        case
            when month(flags.snapshot_date) <= 3
                then (year(flags.snapshot_date) - 1)::varchar || '/' || right(year(flags.snapshot_date)::varchar, 2)
            else year(flags.snapshot_date)::varchar || '/' || right((year(flags.snapshot_date) + 1)::varchar, 2)
        end as reporting_year,
        flags.ethnicity_level,
        flags.ethnicity_group,
        flags.display_order::integer as display_order,
        flags.comparator_group,
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
        end as bonus_symbol
    from flags
    left join authorities
        on flags.authority_code = authorities.authority_code
)

select * from published
order by authority_code, snapshot_date, ethnicity_level, display_order, ethnicity_group
