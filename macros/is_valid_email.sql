{% macro is_valid_email(column_name) -%}
    {{ return(adapter.dispatch('is_valid_email', 'relationship_warehouse')(column_name)) }}
{%- endmacro %}

{% macro default__is_valid_email(column_name) -%}
    coalesce(regexp_full_match(trim({{ column_name }}), '[A-Za-z0-9._%+''-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}'), false)
{%- endmacro %}

{% macro spark__is_valid_email(column_name) -%}
    coalesce(trim({{ column_name }}) rlike '^[A-Za-z0-9._%+''-]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}$', false)
{%- endmacro %}
