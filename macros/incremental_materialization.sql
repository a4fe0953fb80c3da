{% macro incremental_materialization() -%}
    {#-
        The materialization of the project's incremental models: `incremental` (delete+insert on their unique key)
        on DuckDB; `table` on Spark, whose tables without Delta Lake cannot delete rows — there every build
        computes these models whole, which equals an incremental build's result by construction (test_incremental
        proves the DuckDB increments equal a full refresh).
    -#}
    {{- 'table' if target.type == 'spark' else 'incremental' -}}
{%- endmacro %}
