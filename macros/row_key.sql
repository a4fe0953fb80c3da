{% macro row_key(key_columns) -%}
    {#- One text value identifying a row: the key columns joined with '|'; null when any part is missing. -#}
    {%- if key_columns | length == 1 -%}
        cast({{ key_columns[0] }} as {{ dbt.type_string() }})
    {%- else -%}
        case
            when {% for column_name in key_columns %}{{ column_name }} is null{% if not loop.last %} or {% endif %}{% endfor %} then null
            else concat_ws('|', {% for column_name in key_columns %}cast({{ column_name }} as {{ dbt.type_string() }}){% if not loop.last %}, {% endif %}{% endfor %})
        end
    {%- endif -%}
{%- endmacro %}
