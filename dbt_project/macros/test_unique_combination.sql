{#- A row-uniqueness test over several columns (dbt_utils' unique_combination_of_columns without
    the package: the hub cannot be reached offline). -#}
{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as n_rows
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
