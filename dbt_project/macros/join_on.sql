{#- 'left.a = right.a and left.b = right.b ...' for the columns two relations share. -#}
{% macro join_on(left, right, columns) -%}
    {%- set conditions = [] -%}
    {%- for column in columns -%}
        {%- do conditions.append(left ~ '.' ~ column ~ ' = ' ~ right ~ '.' ~ column) -%}
    {%- endfor -%}
    {{ conditions | join(' and ') }}
{%- endmacro %}
