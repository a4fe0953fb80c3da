{% macro raw_type_is_compatible(found_type, declared_type) %}
    {#- True when a landed column of found_type (the engine's type name) can stand for the declared contract type. -#}
    {%- set integers = ['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT'] -%}
    {%- set numbers = integers + ['DOUBLE', 'FLOAT', 'REAL'] -%}
    {%- set timestamps = ['TIMESTAMP WITH TIME ZONE', 'TIMESTAMP', 'TIMESTAMP_NS', 'TIMESTAMP_MS', 'TIMESTAMP_S'] -%}
    {%- if declared_type in ('', none) or found_type == declared_type or found_type in ['NULL', '"NULL"'] -%}
        {{ return(true) }}
    {%- elif declared_type in integers -%}
        {{ return(found_type in integers) }}
    {%- elif declared_type in ['DOUBLE', 'FLOAT'] -%}
        {{ return(found_type in numbers or found_type.startswith('DECIMAL')) }}
    {%- elif declared_type in timestamps -%}
        {{ return(found_type in timestamps) }}
    {%- elif declared_type == 'DATE' -%}
        {{ return(found_type == 'DATE' or found_type in timestamps) }}
    {%- else -%}
        {{ return(false) }}
    {%- endif -%}
{% endmacro %}
