{% macro date_series(start_date_expression, end_date_expression, column_name='calendar_date') -%}
    {{ return(adapter.dispatch('date_series', 'relationship_warehouse')(start_date_expression, end_date_expression, column_name)) }}
{%- endmacro %}

{% macro default__date_series(start_date_expression, end_date_expression, column_name) -%}
    {#- One row per day from start to end inclusive. -#}
    select cast(generated_day as date) as {{ column_name }}
    from generate_series(
        cast({{ start_date_expression }} as timestamp),
        cast({{ end_date_expression }} as timestamp),
        interval 1 day
    ) as days (generated_day)
{%- endmacro %}

{% macro spark__date_series(start_date_expression, end_date_expression, column_name) -%}
    select explode(sequence(cast({{ start_date_expression }} as date), cast({{ end_date_expression }} as date))) as {{ column_name }}
{%- endmacro %}
