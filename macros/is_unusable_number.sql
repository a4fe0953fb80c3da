{% macro is_unusable_number(column_name) -%}
    {#-
        True when the raw row held a value in `column_name` that staging could not type (see safe_number):
        the raw value (from `source_struct`) is present but the typed column is null.
    -#}
    (source_struct.{{ column_name }} is not null and {{ column_name }} is null)
{%- endmacro %}
