{#- The label of a year ending in end_year ('2024/25' for 2025): academic years, reporting years
    ending 31 March, and the mid-year estimate of the year one starts (mid-2024 -> 2024/25). -#}
{% macro reporting_period(end_year) -%}
    cast({{ end_year }} - 1 as varchar) || '/' || right(cast({{ end_year }} as varchar), 2)
{%- endmacro %}
