-- Every ethnicity group the outcome marts report, at every level, with the label and order outputs use:
-- groups alphabetically within their major group, "Other" groups then unknowns last (methods §1, the
-- seeds' display_order). Levels: all, extended and dfe_main (DfE codes), census2021, major, custom.
with

dfe_codes as (
    select * from {{ ref('ethnicity_dfe_codes') }}
),

census as (
    select * from {{ ref('ethnicity_census2021') }}
),

custom as (
    select distinct
        group_code,
        group_label,
        display_order
    from {{ ref('ethnicity_custom_groups') }}
),

majors as (
    select
        major_group,
        min(display_order) // 100 * 100 as display_order
    from census
    group by major_group
),

final as (
    select
        'all' as ethnicity_level,
        'All' as ethnicity_code,
        'All' as ethnicity_group,
        null as major_group,
        0 as display_order
    union all
    select
        case dfe_codes.code_level when 'extended' then 'extended' else 'dfe_main' end as ethnicity_level,
        dfe_codes.dfe_code as ethnicity_code,
        dfe_codes.dfe_label as ethnicity_group,
        census.major_group,
        -- Extended codes sort after their main code's census group.
        census.display_order + if(dfe_codes.code_level = 'extended', 1, 0) as display_order
    from dfe_codes
    inner join census
        on dfe_codes.census_code = census.census_code
    where dfe_codes.code_level in ('main', 'extended')
    union all
    select
        'census2021' as ethnicity_level,
        census_code as ethnicity_code,
        display_label as ethnicity_group,
        major_group,
        display_order
    from census
    union all
    select
        'major' as ethnicity_level,
        major_group as ethnicity_code,
        major_group as ethnicity_group,
        major_group,
        display_order
    from majors
    union all
    select
        'custom' as ethnicity_level,
        group_code as ethnicity_code,
        group_label as ethnicity_group,
        null as major_group,
        1000 + display_order as display_order
    from custom
)

select * from final
