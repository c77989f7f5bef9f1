{#- Repeat rows of known ethnicity once per level the workforce equality tables report:
    census2021 (the 19 Census 2021 groups), major (the 5 Census 2021 major groups: Asian, Black,
    Mixed, Other ethnic group, White) and minority_binary (White British vs ethnic minorities, i.e.
    every other known group). Adds ethnicity_level, ethnicity_code, reported_group, reported_order and
    parent_group (the group a cell sits in, for secondary suppression: a Census 2021 group in its major
    group; a major or binary group in all staff of known ethnicity). The CTE needs census_code,
    ethnicity_group, ethnicity_major_group and ethnicity_display_order, and rows of known ethnicity only. -#}

{% macro workforce_ethnicity_levels(cte) -%}
    {%- set reference = var('pay_gap_comparator_code') -%}
    select
        {{ cte }}.*,
        'census2021' as ethnicity_level,
        census_code as ethnicity_code,
        ethnicity_group as reported_group,
        ethnicity_display_order as reported_order,
        ethnicity_major_group as parent_group
    from {{ cte }}
    union all
    select
        {{ cte }}.*,
        'major' as ethnicity_level,
        ethnicity_major_group as ethnicity_code,
        ethnicity_major_group as reported_group,
        ethnicity_display_order // 100 * 100 as reported_order,
        'All known' as parent_group
    from {{ cte }}
    union all
    select
        {{ cte }}.*,
        'minority_binary' as ethnicity_level,
        case when census_code = '{{ reference }}' then '{{ reference }}' else 'EM' end as ethnicity_code,
        case when census_code = '{{ reference }}' then ethnicity_group else 'Ethnic minorities' end
            as reported_group,
        case when census_code = '{{ reference }}' then 400 else 100 end as reported_order,
        'All known' as parent_group
    from {{ cte }}
{%- endmacro %}
