{% macro list_landed_files(folder) -%}
    {#- Every file under a landing folder, at any depth, sorted (none when the folder does not exist). -#}
    {{ return(adapter.dispatch('list_landed_files', 'relationship_warehouse')(folder)) }}
{%- endmacro %}

{% macro default__list_landed_files(folder) -%}
    {%- set pattern = (folder ~ '/**') | replace("'", "''") -%}
    {{ return(run_query("select file from glob('" ~ pattern ~ "') order by file").columns[0].values() | list) }}
{%- endmacro %}
