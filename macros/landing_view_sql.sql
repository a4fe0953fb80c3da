{% macro landing_view_sql(relation, contract, parquet_files, csv_files, file_column=none) -%}
    {#-
        The statement that (re)creates a source's view over exactly its landed files. Every contract column is
        a column of the view: Parquet columns as stored (a NULL-typed one cast to its contract type), CSV text
        cast strictly to the contract type (the landing check has vouched for every cell), a column a file set
        lacks as a typed null. Parquet and CSV files are unioned by column name. No file: a typed empty view.
        With `file_column`, one more column of that name, last, holds the path of the file each row was read
        from (a filter on it reads only the files named).
    -#}
    {{ return(adapter.dispatch('landing_view_sql', 'relationship_warehouse')(relation, contract, parquet_files, csv_files, file_column)) }}
{%- endmacro %}

{% macro default__landing_view_sql(relation, contract, parquet_files, csv_files, file_column=none) -%}
    {%- set branches = [] -%}
    {%- set file_reader_option = ', filename = true' if file_column else '' -%}
    {%- set file_select = (', filename as ' ~ adapter.quote(file_column)) if file_column else '' -%}
    {%- if parquet_files -%}
        {%- set reader = 'read_parquet(' ~ landing_file_list(parquet_files) ~ ', union_by_name = true, hive_partitioning = false' ~ file_reader_option ~ ')' -%}
        {%- set found = {} -%}
        {%- for row in run_query('describe select * from ' ~ reader).rows -%}
            {%- do found.update({row[0] | lower: row[1] | upper}) -%}
        {%- endfor -%}
        {%- set columns = [] -%}
        {%- for column in contract -%}
            {%- set found_type = found.get(column.name | lower) -%}
            {%- if found_type is none or found_type in ['NULL', '"NULL"'] -%}
                {%- do columns.append('cast(' ~ (adapter.quote(column.name) if found_type else 'null') ~ ' as ' ~ column.data_type ~ ') as ' ~ adapter.quote(column.name)) -%}
            {%- else -%}
                {%- do columns.append(adapter.quote(column.name)) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- do branches.append('select ' ~ columns | join(', ') ~ file_select ~ ' from ' ~ reader) -%}
    {%- endif -%}
    {%- if csv_files -%}
        {%- set reader = 'read_csv(' ~ landing_file_list(csv_files) ~ ', all_varchar = true, header = true, union_by_name = true, hive_partitioning = false' ~ file_reader_option ~ ')' -%}
        {%- set found = [] -%}
        {%- for row in run_query('describe select * from ' ~ reader).rows -%}
            {%- do found.append(row[0] | lower) -%}
        {%- endfor -%}
        {%- set columns = [] -%}
        {%- for column in contract -%}
            {%- set value = adapter.quote(column.name) if column.name | lower in found else 'null' -%}
            {%- if column.data_type != 'VARCHAR' and value != 'null' -%}
                {%- set value = 'trim(' ~ value ~ ')' -%}
            {%- endif -%}
            {%- do columns.append('cast(' ~ value ~ ' as ' ~ column.data_type ~ ') as ' ~ adapter.quote(column.name)) -%}
        {%- endfor -%}
        {%- do branches.append('select ' ~ columns | join(', ') ~ file_select ~ ' from ' ~ reader) -%}
    {%- endif -%}
    {%- if not branches -%}
        {%- set columns = [] -%}
        {%- for column in contract -%}
            {%- do columns.append('cast(null as ' ~ column.data_type ~ ') as ' ~ adapter.quote(column.name)) -%}
        {%- endfor -%}
        {%- if file_column -%}
            {%- do columns.append('cast(null as varchar) as ' ~ adapter.quote(file_column)) -%}
        {%- endif -%}
        {%- do branches.append('select ' ~ columns | join(', ') ~ ' where false') -%}
    {%- endif -%}
    create schema if not exists {{ relation.database }}.{{ relation.schema }};
    create or replace view {{ relation }} as {{ branches | join(' union all by name ') }}
{%- endmacro %}
