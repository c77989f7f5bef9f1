{#- Conform a recorded ethnicity to Census 2021 codes, the same way in every staging model.
    Each macro is a whole select over a CTE, adding: census_code, ethnicity_group (short label),
    ethnicity_major_group, ethnicity_display_order and ethnicity_status, one of
      known | prefer_not_to_say (declined or refused) | not_recorded (blank, not known, not yet
      obtained) | unmapped (a value no reviewed lookup holds: a data-quality finding, never 'Other').
    The DfE version also keeps the most detailed code received (ethnicity_code_detailed, e.g. BSOM)
    and its DfE main code (dfe_main_code, e.g. BAFR). -#}

{% macro conform_ethnicity_label(cte, column) -%}
    select
        {{ cte }}.*,
        labels.census_code,
        census.display_label as ethnicity_group,
        census.major_group as ethnicity_major_group,
        census.display_order as ethnicity_display_order,
        case
            when labels.census_code is not null then 'known'
            when {{ normalise_label(cte ~ '.' ~ column) }} = '' then 'not_recorded'
            when labels.unknown_reason is not null then labels.unknown_reason
            else 'unmapped'
        end as ethnicity_status
    from {{ cte }}
    left join {{ ref('ethnicity_hr_labels') }} as labels
        on {{ normalise_label(cte ~ '.' ~ column) }} = labels.label_normalised
    left join {{ ref('ethnicity_census2021') }} as census
        on labels.census_code = census.census_code
{%- endmacro %}

{% macro conform_ethnicity_dfe(cte, column) -%}
    select
        {{ cte }}.*,
        dfe.dfe_code as ethnicity_code_detailed,
        dfe.main_code as dfe_main_code,
        dfe.census_code,
        census.display_label as ethnicity_group,
        census.major_group as ethnicity_major_group,
        census.display_order as ethnicity_display_order,
        case
            when dfe.census_code is not null then 'known'
            when trim(coalesce({{ cte }}.{{ column }}, '')) = '' then 'not_recorded'
            when dfe.dfe_code = 'REFU' then 'prefer_not_to_say'
            when dfe.dfe_code = 'NOBT' then 'not_recorded'
            else 'unmapped'
        end as ethnicity_status
    from {{ cte }}
    left join {{ ref('ethnicity_dfe_codes') }} as dfe
        on upper(trim({{ cte }}.{{ column }})) = dfe.dfe_code
    left join {{ ref('ethnicity_census2021') }} as census
        on dfe.census_code = census.census_code
{%- endmacro %}
