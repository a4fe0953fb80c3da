{% macro seed_value(seed_name, key_column, key, value_column) -%}
    {#- A scalar from a rules seed: the value_column of the row whose key_column equals key. -#}
    (
        select {{ seed_name }}.{{ value_column }}
        from {{ ref(seed_name) }} as {{ seed_name }}
        where {{ seed_name }}.{{ key_column }} = '{{ key }}'
    )
{%- endmacro %}
