-- Pay quartiles by the 2017 regulations (Sch. 1): full-pay relevant employees ranked by hourly pay
-- and split into four groups of N/4 each; employees with the same rate straddling a boundary are
-- split so each quartile's mix at that rate is the same. Done by fractional membership: the run of
-- positions [start, start + tied) a rate occupies is cut at N/4, N/2 and 3N/4, and every employee at
-- that rate belongs to each quartile in proportion to the run's overlap with it. Whole-number
-- quartile sizes would have to put the remainder of N/4 somewhere arbitrary; the fractional split
-- keeps the four groups exactly equal.
with

employees as (
    select * from {{ ref('int_hr__hourly_pay') }}
    where is_full_pay_relevant
),

by_ethnicity as (
    select * from {{ ref('int_hr__employees_by_ethnicity_level') }}
    where is_full_pay_relevant
),

rates as (
    select
        authority_code,
        snapshot_date,
        hourly_pay,
        count(*) as tied
    from employees
    group by authority_code, snapshot_date, hourly_pay
),

positions as (
    select
        *,
        coalesce(
            sum(tied) over (
                partition by authority_code, snapshot_date
                order by hourly_pay
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as start_position,
        sum(tied) over (partition by authority_code, snapshot_date) as employees_total
    from rates
),

quartiles as (
    select unnest([1, 2, 3, 4]) as quartile
),

-- Each employee at this rate's membership of the quartile (0..1; the four add up to 1).
membership as (
    select
        positions.authority_code,
        positions.snapshot_date,
        positions.hourly_pay,
        positions.employees_total,
        quartiles.quartile,
        greatest(
            0.0,
            least(positions.start_position + positions.tied, quartiles.quartile * positions.employees_total / 4.0)
            - greatest(positions.start_position, (quartiles.quartile - 1) * positions.employees_total / 4.0)
        ) / positions.tied as membership
    from positions
    cross join quartiles
),

-- The cells shares are reported for: each ethnicity level (employees of known ethnicity) and sex
-- (women and men). Every group sits in a parent for secondary suppression; the two groups of the
-- minority_binary level and the two sexes are the only children of the quartile.
cells as (
    select
        authority_code,
        snapshot_date,
        hourly_pay,
        'ethnicity' as dimension,
        ethnicity_level,
        reported_group as ethnicity_group,
        'All' as sex,
        reported_order as display_order,
        coalesce(parent_group, 'All') as parent_group,
        is_comparator
    from by_ethnicity

    union all

    select
        authority_code,
        snapshot_date,
        hourly_pay,
        'sex' as dimension,
        'all' as ethnicity_level,
        'All' as ethnicity_group,
        sex,
        0 as display_order,
        'All' as parent_group,
        sex = 'Male' as is_comparator
    from employees
    where sex in ('Female', 'Male')
),

group_quartiles as (
    select
        cells.authority_code,
        cells.snapshot_date,
        cells.dimension,
        cells.ethnicity_level,
        cells.ethnicity_group,
        cells.sex,
        membership.quartile,
        min(cells.display_order) as display_order,
        any_value(cells.parent_group) as parent_group,
        bool_or(cells.is_comparator) as is_comparator,
        any_value(membership.employees_total) as employees_total,
        sum(membership.membership) as employees_in_quartile
    from cells
    inner join membership
        on
            cells.authority_code = membership.authority_code
            and cells.snapshot_date = membership.snapshot_date
            and cells.hourly_pay = membership.hourly_pay
    group by all
),

final as (
    select
        authority_code,
        snapshot_date,
        dimension,
        ethnicity_level,
        ethnicity_group,
        sex,
        quartile,
        display_order,
        parent_group,
        is_comparator,
        employees_total,
        employees_total / 4.0 as quartile_size,
        employees_in_quartile,
        sum(employees_in_quartile) over group_all as group_employees,
        sum(employees_in_quartile) over quartile_all as classified_in_quartile,
        100.0 * employees_in_quartile / sum(employees_in_quartile) over quartile_all as share_of_quartile_pct,
        100.0 * employees_in_quartile / sum(employees_in_quartile) over group_all as share_of_group_pct,
        100.0 * (employees_total / 4.0 - sum(employees_in_quartile) over quartile_all) / (employees_total / 4.0)
            as outside_groups_pct
    from group_quartiles
    window
        quartile_all as (partition by authority_code, snapshot_date, dimension, ethnicity_level, quartile),
        group_all as (partition by authority_code, snapshot_date, dimension, ethnicity_level, ethnicity_group, sex)
)

select * from final
