-- Mean and median hourly pay gaps and bonus gaps of each cell against its comparator per authority,
-- snapshot, dimension and level: gap = (A - B) / A x 100. One method for every dimension
-- (int_hr__pay_gap_cells): ethnic groups against White British, women against men, ethnicity x sex
-- against White British men. Hourly gaps use full-pay relevant employees; bonus gaps use relevant
-- employees paid a bonus.
with

employees as (
    select * from {{ ref('int_hr__pay_gap_cells') }}
),

groups as (
    select
        authority_code,
        snapshot_date,
        dimension,
        ethnicity_level,
        reported_group as ethnicity_group,
        sex_group as sex,
        min(reported_order) as display_order,
        any_value(parent_group) as parent_group,
        bool_or(is_comparator) as is_comparator,
        count(*) as relevant_headcount,
        count(*) filter (where is_full_pay_relevant) as full_pay_relevant_headcount,
        {{ exact_mean('hourly_pay', where='is_full_pay_relevant') }} as mean_hourly_pay,
        median(hourly_pay) filter (where is_full_pay_relevant) as median_hourly_pay,
        count(*) filter (where received_bonus) as bonus_recipients,
        {{ exact_mean('bonus_pay_12m', where='received_bonus') }} as mean_bonus_pay,
        median(bonus_pay_12m) filter (where received_bonus) as median_bonus_pay
    from employees
    group by authority_code, snapshot_date, dimension, ethnicity_level, reported_group, sex_group
),

comparators as (
    select * from groups
    where is_comparator
),

gaps as (
    select
        groups.*,
        comparators.ethnicity_group as comparator_group,
        comparators.sex as comparator_sex,
        100.0 * groups.bonus_recipients / groups.relevant_headcount as bonus_recipient_pct,
        case
            when not groups.is_comparator
                then
                    100.0 * (comparators.mean_hourly_pay - groups.mean_hourly_pay) / comparators.mean_hourly_pay
        end as mean_hourly_gap_pct,
        case
            when not groups.is_comparator
                then
                    100.0 * (comparators.median_hourly_pay - groups.median_hourly_pay) / comparators.median_hourly_pay
        end as median_hourly_gap_pct,
        case
            when not groups.is_comparator
                then
                    100.0 * (comparators.mean_bonus_pay - groups.mean_bonus_pay) / comparators.mean_bonus_pay
        end as mean_bonus_gap_pct,
        case
            when not groups.is_comparator
                then
                    100.0 * (comparators.median_bonus_pay - groups.median_bonus_pay) / comparators.median_bonus_pay
        end as median_bonus_gap_pct,
        comparators.bonus_recipients as comparator_bonus_recipients,
        comparators.full_pay_relevant_headcount as comparator_full_pay_relevant_headcount
    from groups
    left join comparators
        on
            groups.authority_code = comparators.authority_code
            and groups.snapshot_date = comparators.snapshot_date
            and groups.dimension = comparators.dimension
            and groups.ethnicity_level = comparators.ethnicity_level
)

select * from gaps
