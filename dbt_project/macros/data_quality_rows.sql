{#- Rows loaded from one source, by file, authority and period, with the ethnicity recording of
    those rows: one select per source, unioned by marts/data_quality/dq_loaded_rows.
    period must be the text dq_unmapped_ethnicity uses for the source (they are joined on it);
    period_end is the date the period ends (freshness); authority none for publications covering
    many areas; records counts one raw record (count(distinct source_row) where staging unpivots
    a record into several rows); ethnicity false for sources without an ethnicity column. -#}
{% macro dq_loaded_rows(source_name, model, period, period_end, authority='authority_code',
                        records='count(*)', ethnicity=true, where=none) -%}
    {%- set authority_expr = authority if authority else 'cast(null as varchar)' -%}
    select
        '{{ source_name }}' as source_name,
        source_file,
        {{ authority_expr }} as authority_code,
        cast({{ period }} as varchar) as period,
        cast(max({{ period_end }}) as date) as period_end,
        {{ records }} as rows_loaded,
        {{ 'true' if ethnicity else 'false' }} as has_ethnicity,
        {{ 'count(ethnicity_status)' if ethnicity else '0' }} as rows_ethnicity_recorded,
        {{ "count(*) filter (where ethnicity_status in ('not_recorded', 'prefer_not_to_say'))"
           if ethnicity else '0' }} as rows_ethnicity_unknown,
        {{ "count(*) filter (where ethnicity_status = 'unmapped')" if ethnicity else '0' }}
        as rows_ethnicity_unmapped
    from {{ ref(model) }}
    {% if where %}where {{ where }}{% endif %}
    group by source_file, {{ authority_expr }}, cast({{ period }} as varchar)
{%- endmacro %}
