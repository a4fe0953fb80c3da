{% macro log_gamma(x) -%}
    {#-
        ln Γ(x) of a positive whole number x (ln((x − 1)!)): DuckDB's lgamma(x). Spark has no lgamma: there it is
        ln((x − 1)!) from factorial() up to 20!, and beyond Stirling's series to the x⁻⁷ term, whose error is
        below 1e-15 from x = 21 on.
    -#}
    {{ return(adapter.dispatch('log_gamma', 'relationship_warehouse')(x)) }}
{%- endmacro %}

{% macro default__log_gamma(x) -%}
    lgamma({{ x }})
{%- endmacro %}

{% macro spark__log_gamma(x) -%}
    (case
        when ({{ x }}) <= 21 then ln(cast(factorial(cast(({{ x }}) - 1 as int)) as double))
        else
            (({{ x }}) - 0.5D) * ln({{ x }}) - ({{ x }}) + 0.5D * ln(2D * pi())
            + 1D / (12D * ({{ x }})) - 1D / (360D * power({{ x }}, 3)) + 1D / (1260D * power({{ x }}, 5))
            - 1D / (1680D * power({{ x }}, 7))
    end)
{%- endmacro %}

{% macro last_value_ignoring_nulls(expression) -%}
    {#- The window's last non-null value of an expression (`ignore nulls`, spelled per engine). -#}
    {{ return(adapter.dispatch('last_value_ignoring_nulls', 'relationship_warehouse')(expression)) }}
{%- endmacro %}

{% macro default__last_value_ignoring_nulls(expression) -%}
    last_value({{ expression }} ignore nulls)
{%- endmacro %}

{% macro spark__last_value_ignoring_nulls(expression) -%}
    last_value({{ expression }}, true)
{%- endmacro %}
