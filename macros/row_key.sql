{% macro row_key(key_columns) -%}
    {#- One text value identifying a row: the key columns joined with '|'. -#}
    {%- if key_columns | length == 1 -%}
        cast({{ key_columns[0] }} as {{ dbt.type_string() }})
    {%- else -%}
        concat_ws('|', {% for column_name in key_columns %}cast({{ column_name }} as {{ dbt.type_string() }}){% if not loop.last %}, {% endif %}{% endfor %})
    {%- endif -%}
{%- endmacro %}
