{% macro landed_columns(parquet_files, csv_files) -%}
    {#-
        The columns of every landed file: {file: {lower-cased column name: engine type}}. Parquet columns
        carry their stored type ("NULL" for a NULL-typed column); CSV columns are text (VARCHAR).
    -#}
    {{ return(adapter.dispatch('landed_columns', 'relationship_warehouse')(parquet_files, csv_files)) }}
{%- endmacro %}

{% macro default__landed_columns(parquet_files, csv_files) -%}
    {%- set landed = {} -%}
    {%- if parquet_files -%}
        {%- set schema = run_query(
            'select file_name, lower(name), duckdb_type from parquet_schema(' ~ landing_file_list(parquet_files) ~ ')'
            ~ ' where num_children is null order by file_name, column_id'
        ) -%}
        {%- for file in parquet_files -%}
            {%- do landed.update({file: {}}) -%}
        {%- endfor -%}
        {%- for row in schema.rows -%}
            {%- do landed.setdefault(row[0], {}).update({row[1]: row[2] | upper}) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- for file in csv_files -%}
        {%- set described = run_query(
            'describe select * from read_csv(' ~ landing_file_list([file]) ~ ', all_varchar = true, header = true)'
        ) -%}
        {%- set found = {} -%}
        {%- for row in described.rows -%}
            {%- do found.update({row[0] | lower: 'VARCHAR'}) -%}
        {%- endfor -%}
        {%- do landed.update({file: found}) -%}
    {%- endfor -%}
    {{ return(landed) }}
{%- endmacro %}
