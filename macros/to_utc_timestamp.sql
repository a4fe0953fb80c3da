{% macro to_utc_timestamp(column_name) -%}
    {{ return(adapter.dispatch('to_utc_timestamp', 'relationship_warehouse')(column_name)) }}
{%- endmacro %}

{% macro default__to_utc_timestamp(column_name) -%}
    cast(timezone('UTC', try_cast({{ column_name }} as timestamp with time zone)) as timestamp)
{%- endmacro %}

{% macro spark__to_utc_timestamp(column_name) -%}
    to_utc_timestamp(try_cast({{ column_name }} as timestamp), 'UTC')
{%- endmacro %}
