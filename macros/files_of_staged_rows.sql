{% macro files_of_staged_rows(keys_query, file_column='landed_file') -%}
    {#-
        For an incremental base model (`this`): the landed files holding its staged rows (no quarantine_reason)
        whose row_key is among those `keys_query` returns, sorted. Such a row may lose to a newer row of its
        key and then needs its raw row (source_row), which is not stored for staged rows: the model reads it
        again from these files only.
        Outside a run or build (compile, lint) it queries nothing and lists no file.
    -#}
    {%- if not execute or flags.WHICH not in ['run', 'build', 'retry'] -%}
        {{ return([]) }}
    {%- endif -%}
    {{ return(run_query(
        'select distinct ' ~ file_column ~ ' from ' ~ this ~ ' where quarantine_reason is null and row_key in ('
        ~ keys_query ~ ') order by 1'
    ).columns[0].values() | list) }}
{%- endmacro %}
