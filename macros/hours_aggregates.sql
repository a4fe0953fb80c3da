{% macro sum_of_hours(hours) -%}
    {#- The sum of a column of durations in hours that were whole seconds divided by 3600 (a datediff in seconds), as a
        double: summed as whole seconds, which are exact, and divided once. A sum of the hours themselves depends on
        the order the rows arrive in (each k / 3600 is rounded), so it could differ in the last digits between two
        builds of the same data. -#}
    (sum(round({{ hours }} * 3600)) / cast(3600 as double))
{%- endmacro %}

{% macro mean_of_hours(hours) -%}
    {#- The mean of such a column (see sum_of_hours): whole seconds summed exactly, divided by the count of non-null
        values, then by 3600; null when every value is null. -#}
    (sum(round({{ hours }} * 3600)) / count({{ hours }}) / cast(3600 as double))
{%- endmacro %}
