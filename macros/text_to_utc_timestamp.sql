{% macro text_to_utc_timestamp(column_name, source_system) -%}
    {#-
        ISO-8601 text to a UTC timestamp. Text with an offset (`+08:00`, `-0500`, `Z`) is converted with it;
        text without one is local time in the source system's time zone, the `source_time_zones` var
        (e.g. `{shop: Asia/Shanghai}`; UTC only when that is the setting; a system missing from the var is
        a compile error, never a silent UTC). Unparseable text gives null.
    -#}
    {%- set zones = var('source_time_zones') -%}
    {%- if source_system not in zones -%}
        {{ exceptions.raise_compiler_error("source_time_zones has no time zone for source system '" ~ source_system ~ "'") }}
    {%- endif -%}
    {{ return(adapter.dispatch('text_to_utc_timestamp', 'relationship_warehouse')(column_name, zones[source_system])) }}
{%- endmacro %}

{% macro default__text_to_utc_timestamp(column_name, time_zone) -%}
    case
        when regexp_matches(trim({{ column_name }}), '[0-9]:[0-9]{2}(:[0-9]{2}(\.[0-9]*)?)? ?([zZ]|[+-][0-9]{2}(:?[0-9]{2})?)$')
            then cast(timezone('UTC', try_cast(trim({{ column_name }}) as timestamp with time zone)) as timestamp)
        else cast(timezone('UTC', timezone('{{ time_zone }}', try_cast(trim({{ column_name }}) as timestamp))) as timestamp)
    end
{%- endmacro %}

{% macro spark__text_to_utc_timestamp(column_name, time_zone) -%}
    case
        when trim({{ column_name }}) rlike '[0-9]:[0-9]{2}(:[0-9]{2}(\\.[0-9]*)?)? ?([zZ]|[+-][0-9]{2}(:?[0-9]{2})?)$'
            then to_utc_timestamp(try_cast(trim({{ column_name }}) as timestamp), 'UTC')
        else to_utc_timestamp(try_cast(trim({{ column_name }}) as timestamp), '{{ time_zone }}')
    end
{%- endmacro %}
