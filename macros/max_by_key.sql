{% macro max_by_key(value_expression, key_expressions) -%}
    {#- Aggregate: `value_expression` of the row with the greatest key, the key compared column by column in the order
        of `key_expressions` (the later ones break ties of the earlier). One pass, no window. The value must never be
        null: DuckDB's arg_max skips rows whose value is null, Spark's max_by does not. -#}
    {{ return(adapter.dispatch('max_by_key', 'relationship_warehouse')(value_expression, key_expressions)) }}
{%- endmacro %}

{% macro default__max_by_key(value_expression, key_expressions) -%}
    arg_max({{ value_expression }}, row({{ key_expressions | join(', ') }}))
{%- endmacro %}

{% macro spark__max_by_key(value_expression, key_expressions) -%}
    max_by({{ value_expression }}, struct({{ key_expressions | join(', ') }}))
{%- endmacro %}
