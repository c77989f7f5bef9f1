-- A generic test that fails (or warns, with severity: warn) when the model has any rows: for
-- findings models, where every row is something a person should look at.
{% test is_empty(model) %}
    select * from {{ model }}
{% endtest %}
