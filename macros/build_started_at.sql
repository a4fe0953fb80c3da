{% macro build_started_at() -%}
    {#- The build's start (dbt's run_started_at, UTC) as a timestamp literal: nothing can have landed later. -#}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp)
{%- endmacro %}
