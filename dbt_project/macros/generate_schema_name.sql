{#- Use the configured schema name as is (staging, marts, publish, ...), not target_schema + name:
    the published table is publish.pay_gap for every reader, whatever the target. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
