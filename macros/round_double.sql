{% macro round_double(double_expression, decimals_expression) -%}
    {#-
        A double rounded to a number of decimals that may be a column (a currency's minor units): DuckDB's
        round(x, n), which computes round-half-away-from-zero(x × 10^n) / 10^n in doubles; Spark's round needs a
        constant n, so there the same arithmetic is written out (same doubles, same results).
    -#}
    {{ return(adapter.dispatch('round_double', 'relationship_warehouse')(double_expression, decimals_expression)) }}
{%- endmacro %}

{% macro default__round_double(double_expression, decimals_expression) -%}
    round({{ double_expression }}, {{ decimals_expression }})
{%- endmacro %}

{% macro spark__round_double(double_expression, decimals_expression) -%}
    (round(({{ double_expression }}) * power(10, {{ decimals_expression }}), 0) / power(10, {{ decimals_expression }}))
{%- endmacro %}
