{% macro landing_file_list(files) -%}
    {#- A SQL list literal of file paths, quotes escaped: ['a.parquet', 'b.parquet']. -#}
    {%- set quoted = [] -%}
    {%- for file in files -%}
        {%- do quoted.append("'" ~ (file | replace("'", "''")) ~ "'") -%}
    {%- endfor -%}
    [{{ quoted | join(', ') }}]
{%- endmacro %}
