{#- The same normalisation as observatory.contracts.normalise_label: lower case, runs of anything
    but letters and digits become one space, trimmed. Lookup seeds store labels in this form. -#}
{% macro normalise_label(expression) -%}
    trim(regexp_replace(lower(coalesce({{ expression }}, '')), '[^0-9a-z]+', ' ', 'g'))
{%- endmacro %}
