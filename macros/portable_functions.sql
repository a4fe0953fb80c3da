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

{% macro ordered_string_agg(expression, separator, order_by) -%}
    {#- The group's values joined by a separator in the given order (string_agg … order by, spelled per engine). -#}
    {{ return(adapter.dispatch('ordered_string_agg', 'relationship_warehouse')(expression, separator, order_by)) }}
{%- endmacro %}

{% macro default__ordered_string_agg(expression, separator, order_by) -%}
    string_agg({{ expression }}, {{ separator }} order by {{ order_by }})
{%- endmacro %}

{% macro spark__ordered_string_agg(expression, separator, order_by) -%}
    string_agg({{ expression }}, {{ separator }}) within group (order by {{ order_by }})
{%- endmacro %}

{% macro add_days(timestamp_expression, days_expression) -%}
    {#- A timestamp plus a whole number of days (a column), its time of day kept. -#}
    {{ return(adapter.dispatch('add_days', 'relationship_warehouse')(timestamp_expression, days_expression)) }}
{%- endmacro %}

{% macro default__add_days(timestamp_expression, days_expression) -%}
    {{ timestamp_expression }} + to_days({{ days_expression }})
{%- endmacro %}

{% macro spark__add_days(timestamp_expression, days_expression) -%}
    timestampadd(day, {{ days_expression }}, {{ timestamp_expression }})
{%- endmacro %}

{% macro average_as_double(expression) -%}
    {#-
        The average of a decimal column as a double, as DuckDB's avg() gives it; Spark's avg() of a decimal is a
        decimal (rounded to a fixed scale), so there the values are averaged as doubles.
    -#}
    {{ return(adapter.dispatch('average_as_double', 'relationship_warehouse')(expression)) }}
{%- endmacro %}

{% macro default__average_as_double(expression) -%}
    avg({{ expression }})
{%- endmacro %}

{% macro spark__average_as_double(expression) -%}
    avg(cast({{ expression }} as double))
{%- endmacro %}

{% macro to_decimal(expression, precision, scale) -%}
    {#-
        An amount cast to decimal(precision, scale). DuckDB rounds a double to the scale half away from zero, in
        doubles (x × 10^scale rounded, e.g. 1.38495 → 1.3849, as 1.38495 × 10⁴ is 13849.4999…); Spark's cast
        rounds the double's shortest decimal form instead (1.3850), so there a double is rounded DuckDB's way
        first. Other types cast as they are.
    -#}
    {{ return(adapter.dispatch('to_decimal', 'relationship_warehouse')(expression, precision, scale)) }}
{%- endmacro %}

{% macro default__to_decimal(expression, precision, scale) -%}
    cast({{ expression }} as decimal({{ precision }}, {{ scale }}))
{%- endmacro %}

{% macro spark__to_decimal(expression, precision, scale) -%}
    (case
        when typeof({{ expression }}) in ('double', 'float')
            then cast(
                round(cast({{ expression }} as double) * power(10, {{ scale }}), 0) / power(10, {{ scale }})
                as decimal({{ precision }}, {{ scale }})
            )
        else cast({{ expression }} as decimal({{ precision }}, {{ scale }}))
    end)
{%- endmacro %}

{% macro not_among(value, qualified_value, relation, column, condition=none) -%}
    {#-
        True when a non-null value is not among a relation's non-null `column` values (those meeting `condition`):
        `value not in (select …)` on DuckDB. Spark plans a NOT IN inside a `case` as a nested-loop join (every row
        against every key), so there it is a correlated NOT EXISTS on `qualified_value` (the value qualified by its
        FROM item's name), the same answer when neither side is null.
    -#}
    {{ return(adapter.dispatch('not_among', 'relationship_warehouse')(value, qualified_value, relation, column, condition)) }}
{%- endmacro %}

{% macro default__not_among(value, qualified_value, relation, column, condition=none) -%}
    {{ value }} not in (
                    select {{ column }} from {{ relation }}
                    {%- if condition %}
                    where {{ condition }}
                    {%- endif %}
                )
{%- endmacro %}

{% macro spark__not_among(value, qualified_value, relation, column, condition=none) -%}
    not exists (
                    select 1 from {{ relation }}
                    where {{ column }} = {{ qualified_value }}{% if condition %} and ({{ condition }}){% endif %}
                )
{%- endmacro %}

{% macro digits_only(expression) -%}
    {#- The text with every character but 0-9 removed (DuckDB's regexp_replace needs 'g' to replace them all). -#}
    {{ return(adapter.dispatch('digits_only', 'relationship_warehouse')(expression)) }}
{%- endmacro %}

{% macro default__digits_only(expression) -%}
    regexp_replace({{ expression }}, '[^0-9]', '', 'g')
{%- endmacro %}

{% macro spark__digits_only(expression) -%}
    regexp_replace({{ expression }}, '[^0-9]', '')
{%- endmacro %}
