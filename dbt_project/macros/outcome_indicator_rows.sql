{#- Turn outcome cells (one column per measure) into the long cell rows every int_outcomes__*_cells
    model returns: one row per cell and indicator, with the columns the outcome mart unions.

    relation: a CTE with the cell keys (authority_code, period, period_end_year, breakdown,
      ethnicity_level, ethnicity_code, sex, fsm, sen) and the measure columns.
    indicators: {indicator_id: {numerator, denominator, records, unknown, sum_squares,
      sum_weight_squares, where}}: SQL expressions over relation's columns. records defaults to the
      denominator; sum_squares and sum_weight_squares to null; where (which cells exist) to a
      denominator above zero. -#}
{% macro outcome_indicator_rows(relation, indicators) -%}
    {%- set keys = 'authority_code, period, period_end_year' -%}
    {%- set cell = 'breakdown, ethnicity_level, ethnicity_code, sex, fsm, sen' -%}
    {%- set selects = [] -%}
    {%- for indicator_id, spec in indicators.items() -%}
        {%- set measures = [
            'cast(' ~ spec.numerator ~ ' as double) as numerator',
            'cast(' ~ spec.denominator ~ ' as double) as denominator',
            'cast(' ~ spec.get('sum_squares', 'null') ~ ' as double) as sum_squares',
            'cast(' ~ spec.get('sum_weight_squares', 'null') ~ ' as double) as sum_weight_squares',
            'cast(' ~ spec.get('records', spec.denominator) ~ ' as double) as records',
            'cast(' ~ spec.unknown ~ ' as double) as records_unknown_ethnicity',
        ] -%}
        {%- do selects.append(
            'select ' ~ keys ~ ", '" ~ indicator_id ~ "' as indicator_id, " ~ cell ~ ', '
            ~ measures | join(', ') ~ ' from ' ~ relation
            ~ ' where ' ~ spec.get('where', spec.denominator ~ ' > 0')
        ) -%}
    {%- endfor -%}
    {{ selects | join(' union all ') }}
{%- endmacro %}
