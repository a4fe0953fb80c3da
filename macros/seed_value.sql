{% macro seed_value(rules, key_column, key, value_column) -%}
    {#-
        A scalar from a rules seed: the value_column of the row whose key_column equals key. `rules` is the calling
        model's import CTE (or a relation) of the seed.
    -#}
    (
        select rule_rows.{{ value_column }}
        from {{ rules }} as rule_rows
        where rule_rows.{{ key_column }} = '{{ key }}'
    )
{%- endmacro %}
