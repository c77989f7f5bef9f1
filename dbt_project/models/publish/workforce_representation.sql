-- PUBLIC INTERFACE: publish.workforce_representation (see _publish__models.yml). Each group's share of
-- staff of known ethnicity per grade band, senior leadership and the whole workforce, against the whole
-- workforce and the working-age population, with disclosure control (methods reference §7): a headcount
-- of 1..k-1 is "c" and so is everything derived from it (share, interval, differences, comparisons); in a
-- parent group with exactly one such child the next smallest child is suppressed too.
{% set k = var('disclosure_min_count') %}
with

representation as (
    select * from {{ ref('workforce_representation_shares') }}
),

authorities as (
    select * from {{ ref('authorities') }}
),

primary_flags as (
    select
        *,
        headcount between 1 and {{ k }} - 1 as is_primary_suppressed
    from representation
),

ranked as (
    select
        *,
        count(*) filter (where is_primary_suppressed) over parent as suppressed_in_parent,
        count(*) over parent as children_in_parent,
        row_number() over (
            partition by
                authority_code, snapshot_date, grade_band, ethnicity_level, parent_group,
                is_primary_suppressed or headcount = 0
            order by headcount, ethnicity_group
        ) as size_rank
    from primary_flags
    window parent as (partition by authority_code, snapshot_date, grade_band, ethnicity_level, parent_group)
),

cell_flags as (
    select
        *,
        is_primary_suppressed
        or (
            suppressed_in_parent = 1 and children_in_parent > 1
            and not is_primary_suppressed and headcount > 0 and size_rank = 1
        ) as is_level_suppressed
    from ranked
),

-- One number wherever it appears: White British is a group at the census2021 and binary levels.
flags as (
    select
        *,
        bool_or(is_level_suppressed) over (
            partition by authority_code, snapshot_date, grade_band, ethnicity_group
        ) as is_suppressed,
        band_headcount - band_declared between 1 and {{ k }} - 1 as is_undeclared_disclosive,
        band_prefer_not_to_say between 1 and {{ k }} - 1 as is_prefer_not_to_say_disclosive
    from cell_flags
),

published as (
    select
        flags.authority_code,
        coalesce(authorities.authority_name, flags.authority_code) as authority_name,
        flags.snapshot_date,
        (year(flags.snapshot_date) - 1)::varchar || '/' || right(year(flags.snapshot_date)::varchar, 2)
            as reporting_year,
        flags.grade_band,
        flags.band_order::integer as band_order,
        flags.is_senior,
        flags.ethnicity_level,
        flags.ethnicity_code,
        flags.ethnicity_group,
        flags.display_order,
        case when not flags.is_suppressed then flags.headcount end::integer as headcount,
        case when flags.is_suppressed then 'c' end as headcount_symbol,
        flags.band_known::integer as band_known_headcount,
        case when not flags.is_suppressed then round(flags.share_pct, 1) end as share_pct,
        case when not flags.is_suppressed then round(flags.share_lower_ci, 1) end as share_lower_ci,
        case when not flags.is_suppressed then round(flags.share_upper_ci, 1) end as share_upper_ci,
        round(flags.workforce_share_pct, 1) as workforce_share_pct,
        case when not flags.is_suppressed then round(flags.difference_from_workforce_pp, 1) end
            as difference_from_workforce_pp,
        case when not flags.is_suppressed then flags.compared_with_workforce end as compared_with_workforce,
        flags.population_source,
        flags.population_year::integer as population_year,
        round(flags.population_share_pct, 1) as population_share_pct,
        case when not flags.is_suppressed then round(flags.difference_from_population_pp, 1) end
            as difference_from_population_pp,
        case when not flags.is_suppressed then flags.compared_with_population end as compared_with_population,
        case
            when not flags.is_undeclared_disclosive then round(100.0 * flags.band_declared / flags.band_headcount, 1)
        end as declared_pct,
        case
            when not flags.is_prefer_not_to_say_disclosive
                then round(100.0 * flags.band_prefer_not_to_say / flags.band_headcount, 1)
        end as prefer_not_to_say_pct,
        case when flags.is_undeclared_disclosive or flags.is_prefer_not_to_say_disclosive then 'c' end
            as declaration_symbol
    from flags
    left join authorities
        on flags.authority_code = authorities.authority_code
)

select * from published
order by authority_code, snapshot_date, band_order, ethnicity_level, display_order, ethnicity_group
