{#-
    delete+insert on Spark tables without a table format (Parquet, no Delta Lake): the incremental models keep
    DuckDB's strategy and its semantics on Spark. A run computes only its new rows (the model's incremental
    select, with the same lookback), then the table is written again as its rows whose unique key no new row has,
    followed by the new rows; the rewritten table replaces the old one (drop, then rename). Spark computes what
    changed, as DuckDB does, and rewrites the table's files (Parquet files cannot lose rows in place).
    dbt-spark accepts only append, merge, insert_overwrite and microbatch: the two macros below accept
    `delete+insert` too and hand every other strategy to dbt-spark's own.
-#}

{% macro dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format) %}
    {%- if raw_strategy == 'delete+insert' -%}
        {{ return(raw_strategy) }}
    {%- endif -%}
    {{ return(dbt_spark.dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format)) }}
{% endmacro %}

{% macro dbt_spark_get_incremental_sql(strategy, source, target, existing, unique_key, incremental_predicates) %}
    {%- if strategy == 'delete+insert' -%}
        {{ return(spark_delete_insert(source, target, unique_key, incremental_predicates)) }}
    {%- endif -%}
    {{ return(dbt_spark.dbt_spark_get_incremental_sql(
        strategy, source, target, existing, unique_key, incremental_predicates
    )) }}
{% endmacro %}

{% macro spark_delete_insert(source, target, unique_key, incremental_predicates) %}
    {#-
        Runs the rewrite and returns the statement that ends it (dropping the new rows' table), which the
        incremental materialization runs as its main statement. `source` is the temporary view of the model's
        select; it may read the target, so its rows are written to a table before the target is touched.
    -#}
    {%- if not unique_key -%}
        {{ exceptions.raise_compiler_error('delete+insert on Spark needs a unique_key: ' ~ target) }}
    {%- endif -%}
    {%- if incremental_predicates -%}
        {{ exceptions.raise_compiler_error('delete+insert on Spark does not take incremental_predicates: ' ~ target) }}
    {%- endif -%}
    {%- set keys = [unique_key] if unique_key is string else unique_key -%}
    {%- set new_rows = target.incorporate(path={'identifier': target.identifier ~ '__dbt_new'}) -%}
    {%- set columns = adapter.get_columns_in_relation(target) | map(attribute='quoted') | join(', ') -%}
    {%- do run_query('drop table if exists ' ~ new_rows) -%}
    {%- do run_query(create_table_as(False, new_rows, 'select ' ~ columns ~ ' from ' ~ source)) -%}
    {%- set kept_rows -%}
        select {{ columns }}
        from {{ target }} as kept
        where not exists (
            select 1
            from {{ new_rows }} as new_row
            where
            {%- for key in keys %}
                {% if not loop.first %}and {% endif %}new_row.{{ key }} = kept.{{ key }}
            {%- endfor %}
        )
        union all
        select {{ columns }} from {{ new_rows }}
    {%- endset -%}
    {%- do spark_replace_table(target, kept_rows) -%}
    {{ return('drop table if exists ' ~ new_rows) }}
{% endmacro %}

{% macro spark_replace_table(relation, sql) %}
    {#- Writes `sql` (which may read `relation`) as a new table, then puts it in the place of `relation`. -#}
    {%- set replacement = relation.incorporate(path={'identifier': relation.identifier ~ '__dbt_next'}) -%}
    {%- do run_query('drop table if exists ' ~ replacement) -%}
    {%- do run_query(create_table_as(False, replacement, sql)) -%}
    {%- do run_query('drop table ' ~ relation) -%}
    {%- do run_query('alter table ' ~ replacement ~ ' rename to ' ~ relation) -%}
{% endmacro %}

{% macro delete_rows(relation, alias=none) %}
    {#-
        `delete from relation [as alias] where <the call block>`, in an incremental model's pre-hook. On Spark
        (no row deletes on Parquet tables) the table is written again without those rows, here, and the hook
        renders nothing. A row whose condition is null stays, as with DELETE.
    -#}
    {%- set condition = caller() -%}
    {%- if target.type == 'spark' -%}
        {%- if execute -%}
            {%- set kept_rows -%}
                select * from {{ relation }}{% if alias %} as {{ alias }}{% endif %}
                where not coalesce(({{ condition }}), false)
            {%- endset -%}
            {%- do spark_replace_table(relation, kept_rows) -%}
        {%- endif -%}
    {%- else -%}
        delete from {{ relation }}{% if alias %} as {{ alias }}{% endif %}
        where {{ condition }}
    {%- endif -%}
{% endmacro %}
