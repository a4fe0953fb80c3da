{% macro landing_csv_cast_failures(contract, csv_files) -%}
    {#- Per typed contract column, how many non-empty CSV cells do not cast to the contract type. -#}
    {{ return(adapter.dispatch('landing_csv_cast_failures', 'relationship_warehouse')(contract, csv_files)) }}
{%- endmacro %}

{% macro default__landing_csv_cast_failures(contract, csv_files) -%}
    {%- set reader = 'read_csv(' ~ landing_file_list(csv_files) ~ ', all_varchar = true, header = true, union_by_name = true, hive_partitioning = false)' -%}
    {%- set found = [] -%}
    {%- for row in run_query('describe select * from ' ~ reader).rows -%}
        {%- do found.append(row[0] | lower) -%}
    {%- endfor -%}
    {%- set checked = [] -%}
    {%- set counts = [] -%}
    {%- for column in contract if column.data_type != 'VARCHAR' and column.name | lower in found -%}
        {%- set name = adapter.quote(column.name) -%}
        {%- do checked.append(column.name) -%}
        {%- do counts.append('count(*) filter (where ' ~ name ~ ' is not null and try_cast(trim(' ~ name ~ ') as ' ~ column.data_type ~ ') is null)') -%}
    {%- endfor -%}
    {%- set failures = {} -%}
    {%- if counts -%}
        {%- set row = run_query('select ' ~ counts | join(', ') ~ ' from ' ~ reader).rows[0] -%}
        {%- for column_name in checked -%}
            {%- do failures.update({column_name: row[loop.index0]}) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(failures) }}
{%- endmacro %}
