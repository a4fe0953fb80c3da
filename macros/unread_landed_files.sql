{% macro unread_landed_files(source_system, source_table, file_column='landed_file') -%}
    {#-
        For an incremental base model (`this`) over a source whose landing view has `file_column` (the
        `landed_file_column` meta of the source): the source's landed files (*.parquet and *.csv under
        RAW_DATA_DIR/<system>/<table>/, as create_landing_views lists them) that no row of the model came from,
        sorted. The model reads only these, so a filter on them lets DuckDB skip every other file. Stops the
        run, naming the files, when the model holds rows of a file that is no longer landed (its rows would be
        stale), and when the model has no `file_column` (built before it recorded files): both need
        `--full-refresh` (`make build` starts from an empty warehouse by itself when a landed file is removed or
        rewritten).
        Outside a run or build (compile, lint) it queries nothing and lists no file.
    -#}
    {%- if not execute or flags.WHICH not in ['run', 'build', 'retry'] -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set folder = env_var('RAW_DATA_DIR', 'data/raw') ~ '/' ~ source_system ~ '/' ~ source_table -%}
    {%- set landed_files = landed_files_by_format(folder) -%}
    {%- set landed = (landed_files['parquet'] + landed_files['csv']) | sort(case_sensitive=true) -%}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {%- if file_column | lower not in columns -%}
        {{ exceptions.raise_compiler_error(
            this ~ ' has no column ' ~ file_column ~ ' recording which landed file each row came from, so it cannot '
            ~ 'read only new files; rebuild it with `dbt run --full-refresh -s ' ~ this.identifier ~ '`.'
        ) }}
    {%- endif -%}
    {%- set read = run_query(
        'select distinct ' ~ file_column ~ ' from ' ~ this ~ ' where ' ~ file_column ~ ' is not null order by 1'
    ).columns[0].values() | list -%}
    {%- set gone = read | reject('in', landed) | list -%}
    {%- if gone -%}
        {{ exceptions.raise_compiler_error(
            this ~ ' holds rows of ' ~ gone | length ~ ' file(s) no longer landed under ' ~ folder ~ '/ (first: '
            ~ gone[0] ~ '); its rows would be stale. Rebuild it with `dbt run --full-refresh -s '
            ~ this.identifier ~ '` (`make build` does so by itself when a landed file is removed or rewritten).'
        ) }}
    {%- endif -%}
    {{ return(landed | reject('in', read) | list) }}
{%- endmacro %}
