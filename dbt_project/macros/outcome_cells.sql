{#- Aggregate person-level (or population) rows into outcome cells: one row per authority x period x
    ethnicity level and group x breakdown, the same way for every source (issue 5). Returns one select.

    relation: a CTE or relation with authority_code, period, period_end_year and, for each level in
      ethnicity_levels, a column eth_<level> (null when unknown at that level): eth_extended (DfE
      extended codes only: BSOM, WTUR...), eth_dfe_main (DfE main codes), eth_census2021, eth_major.
      Custom groupings (seed ethnicity_custom_groups) need eth_census2021 and, for groups defined on
      DfE codes (Somali, Turkish and Kurdish), eth_detailed (the most detailed DfE code held; pass
      custom_code_systems=['census', 'dfe']). Every column named in dimensions (sex, fsm, sen) must exist.
    measures: {alias: aggregate expression}, evaluated once per cell.

    Every row counts once at level 'all' (code 'All'), so overall values include records of unknown
    ethnicity, and once at each level where its group is known, so group values are among records of
    known ethnicity (methods §1). A row may fall in several custom groups, but in one group once: the
    singular test assert_custom_group_uses_one_code_system keeps a group to one code system.
    breakdown names what defines the cell: total, ethnicity, sex, fsm, sen, sex_fsm, ethnicity_sex,
    ethnicity_fsm, ethnicity_sen, ethnicity_sex_fsm. A dimension a cell is not broken down by reads 'All'. -#}
{% macro outcome_cells(relation, ethnicity_levels, dimensions, measures, custom_code_systems=['census']) -%}
    {%- set keys = 'authority_code, period, period_end_year, ethnicity_level, ethnicity_code' -%}
    {%- set member_columns = {'census': 'eth_census2021', 'dfe': 'eth_detailed'} -%}
    {#- What names the cell's breakdown, each dimension's value ('All' when not broken down by it). -#}
    {%- set breakdown_parts = ["if(ethnicity_level != 'all', 'ethnicity', null)"] -%}
    {%- set columns = [] -%}
    {%- for dimension in ['sex', 'fsm', 'sen'] -%}
        {%- if dimension in dimensions -%}
            {%- do breakdown_parts.append("if(grouping(" ~ dimension ~ ") = 0, '" ~ dimension ~ "', null)") -%}
            {%- do columns.append("if(grouping(" ~ dimension ~ ") = 0, coalesce(" ~ dimension
                ~ ", 'Not known'), 'All') as " ~ dimension) -%}
        {%- else -%}
            {%- do columns.append("'All' as " ~ dimension) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for alias, expression in measures.items() -%}
        {%- do columns.append(expression ~ " as " ~ alias) -%}
    {%- endfor -%}
    {#- One membership row per level at which the row's group is known, and per custom group. -#}
    {%- set memberships = ["select *, 'all' as ethnicity_level, 'All' as ethnicity_code from " ~ relation] -%}
    {%- for level in ethnicity_levels -%}
        {%- do memberships.append("select *, '" ~ level ~ "' as ethnicity_level, eth_" ~ level
            ~ " as ethnicity_code from " ~ relation ~ " where eth_" ~ level ~ " is not null") -%}
    {%- endfor -%}
    {%- for system in custom_code_systems -%}
        {%- do memberships.append("select members.*, 'custom' as ethnicity_level, custom.group_code as ethnicity_code"
            ~ " from " ~ relation ~ " as members inner join (select distinct group_code, member_code from "
            ~ ref('ethnicity_custom_groups') ~ " where code_system = '" ~ system ~ "') as custom on members."
            ~ member_columns[system] ~ " = custom.member_code") -%}
    {%- endfor -%}
    {#- The grouping sets: no dimension, each one alone, and sex x FSM where both exist. -#}
    {%- set sets = ['(' ~ keys ~ ')'] -%}
    {%- for dimension in dimensions -%}
        {%- do sets.append('(' ~ keys ~ ', ' ~ dimension ~ ')') -%}
    {%- endfor -%}
    {%- if 'sex' in dimensions and 'fsm' in dimensions -%}
        {%- do sets.append('(' ~ keys ~ ', sex, fsm)') -%}
    {%- endif -%}
    select
        {{ keys }},
        coalesce(nullif(concat_ws('_', {{ breakdown_parts | join(', ') }}), ''), 'total') as breakdown,
        {{ columns | join(', ') }}
    from ({{ memberships | join(' union all ') }}) as memberships
    group by grouping sets ({{ sets | join(', ') }})
{%- endmacro %}
