-- PUBLIC INTERFACE: publish.pay_quartiles (see _publish__models.yml). Each group's share of each pay
-- quartile and each quartile's share of the group, by ethnicity level and by sex, with disclosure
-- control (methods reference §7): a group's (fractional) count in a quartile between 0 and k is "c";
-- a second cell is withheld where exactly one is withheld among the children of a parent in a
-- quartile, or among a group's four quartiles, so no count is recovered by subtraction. One pass of
-- each; the iterative audit across linked tables is the disclosure-control issue's.
{% set k = var('disclosure_min_count') %}
with

quartiles as (
    select * from {{ ref('workforce_pay_quartiles') }}
),

authorities as (
    select * from {{ ref('authorities') }}
),

primary_flags as (
    select
        *,
        (employees_in_quartile > 0 and employees_in_quartile < {{ k }})
        or group_employees < {{ k }} as is_primary_suppressed
    from quartiles
),

-- Siblings in the same quartile: the children of a parent add up to the parent's count.
sibling_ranks as (
    select
        *,
        count(*) filter (where is_primary_suppressed) over siblings as suppressed_siblings,
        count(*) over siblings as siblings,
        row_number() over (
            partition by
                authority_code, snapshot_date, dimension, ethnicity_level, quartile, parent_group,
                is_primary_suppressed
            order by employees_in_quartile, ethnicity_group, sex
        ) as sibling_rank
    from primary_flags
    window siblings as (
        partition by authority_code, snapshot_date, dimension, ethnicity_level, quartile, parent_group
    )
),

sibling_flags as (
    select
        *,
        is_primary_suppressed
        or (suppressed_siblings = 1 and siblings > 1 and not is_primary_suppressed and sibling_rank = 1)
            as is_sibling_suppressed
    from sibling_ranks
),

-- A group's four quartiles add up to the group's headcount, published in publish.pay_gap.
quartile_ranks as (
    select
        *,
        count(*) filter (where is_sibling_suppressed) over cell_quartiles as suppressed_quartiles,
        row_number() over (
            partition by
                authority_code, snapshot_date, dimension, ethnicity_level, ethnicity_group, sex,
                is_sibling_suppressed
            order by employees_in_quartile, quartile
        ) as quartile_rank
    from sibling_flags
    window cell_quartiles as (
        partition by authority_code, snapshot_date, dimension, ethnicity_level, ethnicity_group, sex
    )
),

flags as (
    select
        *,
        is_sibling_suppressed
        or (suppressed_quartiles = 1 and not is_sibling_suppressed and quartile_rank = 1) as is_suppressed
    from quartile_ranks
),

final as (
    select
        flags.authority_code,
        coalesce(authorities.authority_name, flags.authority_code) as authority_name,
        flags.snapshot_date,
        case
            when month(flags.snapshot_date) <= 3
                then (year(flags.snapshot_date) - 1)::varchar || '/' || right(year(flags.snapshot_date)::varchar, 2)
            else year(flags.snapshot_date)::varchar || '/' || right((year(flags.snapshot_date) + 1)::varchar, 2)
        end as reporting_year,
        flags.dimension,
        flags.ethnicity_level,
        flags.ethnicity_group,
        flags.sex,
        flags.display_order::integer as display_order,
        flags.is_comparator,
        flags.quartile::integer as quartile,
        case flags.quartile
            when 1 then 'Lower'
            when 2 then 'Lower middle'
            when 3 then 'Upper middle'
            when 4 then 'Upper'
        end as quartile_name,
        flags.employees_total::integer as full_pay_relevant_headcount,
        round(flags.quartile_size, 2) as quartile_size,
        case when not flags.is_suppressed then round(flags.employees_in_quartile, 2) end as employees_in_quartile,
        case when not flags.is_suppressed then round(flags.share_of_quartile_pct, 1) end as share_of_quartile_pct,
        case when not flags.is_suppressed then round(flags.share_of_group_pct, 1) end as share_of_group_pct,
        case when flags.is_suppressed then 'c' end as share_symbol,
        -- Staff outside the dimension's groups (unknown ethnicity; sex other or not known): withheld
        -- when they are 1 to k - 1 people.
        case
            when not (flags.outside_groups_pct > 0 and flags.outside_groups_pct * flags.quartile_size / 100 < {{ k }})
                then round(flags.outside_groups_pct, 1)
        end as outside_groups_pct,
        case
            when flags.outside_groups_pct > 0 and flags.outside_groups_pct * flags.quartile_size / 100 < {{ k }}
                then 'c'
        end as outside_groups_symbol
    from flags
    left join authorities
        on flags.authority_code = authorities.authority_code
)

select * from final
order by authority_code, snapshot_date, dimension, ethnicity_level, display_order, ethnicity_group, sex, quartile
