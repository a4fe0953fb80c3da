{% macro explode_integer_range(start_expression, end_expression) -%}
    {{ return(adapter.dispatch('explode_integer_range', 'relationship_warehouse')(start_expression, end_expression)) }}
{%- endmacro %}

{% macro default__explode_integer_range(start_expression, end_expression) -%}
    {#- Select-list expression: one output row per integer from start to end inclusive (none when end < start). -#}
    unnest(generate_series({{ start_expression }}, {{ end_expression }}))
{%- endmacro %}

{% macro spark__explode_integer_range(start_expression, end_expression) -%}
    explode(sequence({{ start_expression }}, {{ end_expression }}))
{%- endmacro %}
