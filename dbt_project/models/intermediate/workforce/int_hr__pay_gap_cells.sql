-- Each relevant employee once per pay gap cell, in three dimensions computed by one mart
-- (workforce_pay_gap), so the ethnicity, gender and intersectional gaps share one method:
--   ethnicity:     every ethnicity level (detailed, major, minority_binary), comparator White British;
--   sex:           women and men, comparator men (the gender pay gap of the 2017 regulations);
--   ethnicity_sex: ethnicity level x sex, comparator White British men (one reference for every
--                  intersectional cell, so a cell's gap carries both disadvantages together).
-- Sex other than Female or Male (Other, Not known) is left out of the sex dimensions, as the
-- regulations compare men and women; unknown ethnicity is left out of the ethnicity dimensions.
with

by_ethnicity as (
    select * from {{ ref('int_hr__employees_by_ethnicity_level') }}
),

employees as (
    select * from {{ ref('int_hr__hourly_pay') }}
),

ethnicity_cells as (
    select
        authority_code,
        snapshot_date,
        'ethnicity' as dimension,
        ethnicity_level,
        reported_group,
        'All' as sex_group,
        reported_order,
        parent_group,
        is_comparator,
        hourly_pay,
        is_full_pay_relevant,
        received_bonus,
        bonus_pay_12m
    from by_ethnicity
),

sex_cells as (
    select
        authority_code,
        snapshot_date,
        'sex' as dimension,
        'all' as ethnicity_level,
        'All' as reported_group,
        sex as sex_group,
        0 as reported_order,
        null as parent_group,
        sex = 'Male' as is_comparator,
        hourly_pay,
        is_full_pay_relevant,
        received_bonus,
        bonus_pay_12m
    from employees
    where sex in ('Female', 'Male')
),

ethnicity_sex_cells as (
    select
        authority_code,
        snapshot_date,
        'ethnicity_sex' as dimension,
        ethnicity_level,
        reported_group,
        sex as sex_group,
        reported_order,
        parent_group,
        is_comparator and sex = 'Male' as is_comparator,
        hourly_pay,
        is_full_pay_relevant,
        received_bonus,
        bonus_pay_12m
    from by_ethnicity
    where sex in ('Female', 'Male')
),

final as (
    select * from ethnicity_cells
    union all
    select * from sex_cells
    union all
    select * from ethnicity_sex_cells
)

select * from final
