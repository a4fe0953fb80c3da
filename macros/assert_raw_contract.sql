{% macro assert_raw_contract() %}
    {#-
        Checks the landed Parquet files against the sources YAML before anything is built, and stops the
        run with an error naming the source, the file and the column when:
          - a source table has no Parquet file (or no rows, unless its meta says `allow_empty: true`);
          - a file cannot be read as Parquet;
          - a file lacks a column the contract declares;
          - a column's type cannot be the declared type (text where a number is due, say).
        Runs as an on-run-start hook, so every dbt command that builds or tests is protected.
    -#}
    {%- if execute and flags.WHICH in ['build', 'run', 'test', 'snapshot', 'seed'] and not var('skip_raw_contract_check', false) -%}
        {%- set raw_root = env_var('RAW_DATA_DIR', 'data/raw') -%}
        {%- for source_node in graph.sources.values() | sort(attribute='unique_id') -%}
            {%- set folder = raw_root ~ '/' ~ source_node.source_name ~ '/' ~ source_node.name -%}
            {%- set pattern = folder ~ '/*.parquet' -%}
            {%- set label = source_node.source_name ~ '.' ~ source_node.name -%}
            {%- set files = run_query("select file from glob('" ~ pattern ~ "') order by file").columns[0].values() -%}
            {%- if files | length == 0 -%}
                {{ exceptions.raise_compiler_error("Raw contract violated for source " ~ label ~ ": no Parquet file found under " ~ folder ~ "/ (expected at least one *.parquet).") }}
            {%- endif -%}
            {%- set expected = [] -%}
            {%- for column_name, column in source_node.columns.items() -%}
                {%- do expected.append((column_name, (column.data_type or '') | upper)) -%}
            {%- endfor -%}
            {%- for file in files -%}
                {%- set found = {} -%}
                {%- set described = run_query("describe select * from read_parquet('" ~ file ~ "')") -%}
                {%- for row in described.rows -%}
                    {%- do found.update({row[0]: row[1] | upper}) -%}
                {%- endfor -%}
                {%- for column_name, data_type in expected -%}
                    {%- if column_name not in found -%}
                        {{ exceptions.raise_compiler_error("Raw contract violated for source " ~ label ~ ": file " ~ file ~ " is missing required column '" ~ column_name ~ "' (" ~ data_type ~ ").") }}
                    {%- elif not raw_type_is_compatible(found[column_name], data_type) -%}
                        {{ exceptions.raise_compiler_error("Raw contract violated for source " ~ label ~ ": file " ~ file ~ " has column '" ~ column_name ~ "' of type " ~ found[column_name] ~ ", expected " ~ data_type ~ ".") }}
                    {%- endif -%}
                {%- endfor -%}
            {%- endfor -%}
            {%- if not source_node.meta.get('allow_empty', false) -%}
                {%- set row_count = run_query("select coalesce(sum(num_rows), 0) from parquet_file_metadata('" ~ pattern ~ "')").columns[0].values()[0] -%}
                {%- if row_count == 0 -%}
                    {{ exceptions.raise_compiler_error("Raw contract violated for source " ~ label ~ ": the files under " ~ folder ~ "/ hold no rows, and this table is required to have data.") }}
                {%- endif -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{% endmacro %}

{% macro raw_type_is_compatible(found_type, declared_type) %}
    {#- True when a Parquet column of found_type can stand for the declared contract type. -#}
    {%- set integers = ['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT'] -%}
    {%- set numbers = integers + ['DOUBLE', 'FLOAT', 'REAL'] -%}
    {%- set timestamps = ['TIMESTAMP WITH TIME ZONE', 'TIMESTAMP', 'TIMESTAMP_NS', 'TIMESTAMP_MS', 'TIMESTAMP_S'] -%}
    {%- if declared_type in ('', none) or found_type == declared_type -%}
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
