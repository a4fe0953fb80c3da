{% macro list_landed_files(folder) -%}
    {#-
        Every file under a landing folder, at any depth, sorted (none when the folder does not exist); a symbolic
        link to a file counts as the file, as in the landing check (orchestration.landing.discover_files).
    -#}
    {{ return(adapter.dispatch('list_landed_files', 'relationship_warehouse')(folder)) }}
{%- endmacro %}

{% macro default__list_landed_files(folder) -%}
    {#- `/**/*`, not `/**`: DuckDB's `/**` skips symbolic links to files, which a landing of linked exports is made of -#}
    {%- set pattern = (folder ~ '/**/*') | replace("'", "''") -%}
    {{ return(run_query("select file from glob('" ~ pattern ~ "') order by file").columns[0].values() | list) }}
{%- endmacro %}

{% macro landed_files_by_format(folder) -%}
    {#-
        The files under a landing folder by how the landing reads them: {'parquet': [...], 'csv': [...]} (extension
        in any case) and 'unread' for any other file; each list sorted.
    -#}
    {%- set files = {'parquet': [], 'csv': [], 'unread': []} -%}
    {%- for file in list_landed_files(folder) -%}
        {%- set lowered = file | lower -%}
        {%- if lowered.endswith('.parquet') -%}
            {%- do files['parquet'].append(file) -%}
        {%- elif lowered.endswith('.csv') -%}
            {%- do files['csv'].append(file) -%}
        {%- else -%}
            {%- do files['unread'].append(file) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(files) }}
{%- endmacro %}
