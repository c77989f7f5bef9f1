{#- Sum (or mean) of a DOUBLE expression that is the same to the last bit on every run.
    DuckDB adds doubles in parallel, in whatever order its threads finish, so sum() and avg() of
    a double can differ in the last bits between two runs on the same data; a published value can
    then round either side of its fourth decimal, and two refreshes of identical inputs publish
    different tables. Each value is rounded to `scale` decimals (far below any published
    precision) and added as a DECIMAL, which DuckDB adds exactly. -#}
{% macro exact_sum(expression, where=none, scale=9) -%}
    {%- set filter = ' filter (where ' ~ where ~ ')' if where else '' -%}
    cast(sum(cast({{ expression }} as decimal(38, {{ scale }}))){{ filter }} as double)
{%- endmacro %}

{% macro exact_mean(expression, where=none, scale=9) -%}
    {%- set filter = ' filter (where ' ~ where ~ ')' if where else '' -%}
    {{ exact_sum(expression, where, scale) }} / nullif(count({{ expression }}){{ filter }}, 0)
{%- endmacro %}
