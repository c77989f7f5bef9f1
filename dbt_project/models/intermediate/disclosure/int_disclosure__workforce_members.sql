-- The finest codes (atoms: Census 2021 codes, and unknown) each ethnic group of the pay-gap tables
-- stands for, at every level they publish. Read from the employees' own levels
-- (int_hr__employees_by_ethnicity_level), so the groups are those the pay gaps use, decided in one
-- place. The 'all' level (the gender pay gap's rows) counts people of unknown ethnicity too.
-- Disclosure control (observatory.disclosure) derives from it which groups add up to which.
with

levels as (
    select * from {{ ref('int_hr__employees_by_ethnicity_level') }}
),

census as (
    select * from {{ ref('ethnicity_census2021') }}
),

final as (
    select distinct
        ethnicity_level,
        reported_group as ethnicity_group,
        census_code as atom
    from levels

    union all

    select
        'all' as ethnicity_level,
        'All' as ethnicity_group,
        census_code as atom
    from census

    union all

    select
        'all' as ethnicity_level,
        'All' as ethnicity_group,
        'unknown' as atom
)

select * from final
order by ethnicity_level, ethnicity_group, atom
