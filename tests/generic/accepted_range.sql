{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}
    {#- Fails for every row whose `column_name` lies outside [min_value, max_value]. A bound left out is open;
        `inclusive: false` makes both bounds strict (a rate that must be positive: min_value 0, inclusive false).
        Nulls pass: whether a column may be null is the not_null test's question. -#}
    {%- if min_value is none and max_value is none -%}
        {{ exceptions.raise_compiler_error("accepted_range on " ~ model ~ "." ~ column_name ~ " needs min_value or max_value") }}
    {%- endif %}
    select
        {{ column_name }} as out_of_range_value
    from {{ model }}
    where
        {{ column_name }} is not null
        and (
            {%- if min_value is not none %}
                {{ column_name }} {{ '<' if inclusive else '<=' }} {{ min_value }}
            {%- endif %}
            {%- if min_value is not none and max_value is not none %}
                or
            {%- endif %}
            {%- if max_value is not none %}
                {{ column_name }} {{ '>' if inclusive else '>=' }} {{ max_value }}
            {%- endif %}
        )
{% endtest %}
