{#-
    Spark's side of the landing (dbt-spark): every source table becomes a view <source schema>.<table> over the
    files landed for it, with the same columns as on DuckDB (landing_view_sql). The landing's problems are
    found before dbt starts, by `python -m orchestration.landing` (pyarrow, the same report on both engines);
    on Spark the on-run-start only lists the files and creates the views.
-#}

{% macro spark__list_landed_files(folder) -%}
    {#-
        Every file under a landing folder, at any depth, sorted (none when the folder does not exist), each named
        by its absolute path (spark_landing_root).
    -#}
    {{ return(spark_files_under(spark_landing_listing(), spark_absolute_path(folder))) }}
{%- endmacro %}

{% macro spark_landing_root() -%}
    {#- The landing root (RAW_DATA_DIR, default data/raw) as an absolute path (spark_absolute_path). -#}
    {{ return(spark_absolute_path(env_var('RAW_DATA_DIR', 'data/raw'))) }}
{%- endmacro %}

{% macro spark_absolute_path(path) -%}
    {#-
        `path` as an absolute path: Spark resolves a relative path in a table's location against the schema's
        folder in its warehouse, not against the working directory, so a relative path is prefixed with the
        session's working directory (where dbt runs). A URI (s3a://…) or an absolute path is kept.
    -#}
    {%- set path = path.rstrip('/') -%}
    {%- if path.startswith('/') or '://' in path or not execute -%}
        {{ return(path) }}
    {%- endif -%}
    {%- set working_directory = run_query(
        "select reflect('java.lang.System', 'getProperty', 'user.dir')"
    ).columns[0].values()[0] -%}
    {{ return(working_directory.rstrip('/') ~ '/' ~ (path[2:] if path.startswith('./') else path)) }}
{%- endmacro %}

{% macro spark_landing_listing() -%}
    {#-
        Every file under the landing root (RAW_DATA_DIR), as plain paths: one binaryFile listing (paths only, no
        content read). Spark's file listing skips names starting with `_` or `.`.
    -#}
    {%- set root = spark_landing_root() -%}
    {%- do run_query(
        "create or replace temporary view rw_landed_file_listing using binaryFile options (path "
        ~ spark_quoted_path(root) ~ ", recursiveFileLookup 'true')"
    ) -%}
    {{ return(run_query(
        "select distinct regexp_replace(url_decode(path), '^file:(//)?', '') as path from rw_landed_file_listing"
    ).columns[0].values() | list) }}
{%- endmacro %}

{% macro spark_files_under(paths, folder) -%}
    {#- The paths under `folder` (absolute, as Spark lists them), sorted. -#}
    {%- set prefix = folder ~ '/' -%}
    {%- set files = [] -%}
    {%- for path in paths -%}
        {%- if path.startswith(prefix) -%}
            {%- do files.append(path) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(files | sort(case_sensitive=true)) }}
{%- endmacro %}

{% macro spark_files_by_format(files) -%}
    {#- As landed_files_by_format, from a list of files. -#}
    {%- set by_format = {'parquet': [], 'csv': [], 'unread': []} -%}
    {%- for file in files -%}
        {%- set lowered = file | lower -%}
        {%- if lowered.endswith('.parquet') -%}
            {%- do by_format['parquet'].append(file) -%}
        {%- elif lowered.endswith('.csv') -%}
            {%- do by_format['csv'].append(file) -%}
        {%- else -%}
            {%- do by_format['unread'].append(file) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(by_format) }}
{%- endmacro %}

{% macro spark__create_landing_views() %}
    {#- Spark: (re)creates every source's landing view (see create_landing_views); the checks ran before dbt. -#}
    {%- if execute and flags.WHICH in ['build', 'run', 'test', 'snapshot', 'seed', 'show', 'source', 'freshness'] -%}
        {%- set raw_root = spark_landing_root() -%}
        {%- set listing = spark_landing_listing() -%}
        {%- for source_node in graph.sources.values() | sort(attribute='unique_id') -%}
            {%- set folder = raw_root ~ '/' ~ source_node.source_name ~ '/' ~ source_node.name -%}
            {%- set landed_files = spark_files_by_format(spark_files_under(listing, folder)) -%}
            {%- set contract = [] -%}
            {%- for column_name, column in source_node.columns.items() -%}
                {%- do contract.append({
                    'name': column_name,
                    'data_type': (column.data_type or 'VARCHAR') | upper,
                    'optional': (column.meta or {}).get('optional', false),
                }) -%}
            {%- endfor -%}
            {%- set relation = api.Relation.create(schema=source_node.schema, identifier=source_node.identifier) -%}
            {%- do run_query(landing_view_sql(
                relation, contract, landed_files['parquet'], landed_files['csv'], source_node.meta.get('landed_file_column')
            )) -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{% endmacro %}

{% macro spark_landing_type(data_type, widest=false) -%}
    {#-
        The Spark type of a landing contract type (written in DuckDB's names in the sources' YAML); `widest`: the
        type Parquet files are read as (an INTEGER column may be stored as 64-bit integers, as DuckDB accepts).
    -#}
    {%- set types = {
        'VARCHAR': 'string', 'TIMESTAMP WITH TIME ZONE': 'timestamp', 'TIMESTAMPTZ': 'timestamp',
        'TIMESTAMP': 'timestamp', 'INTEGER': 'int', 'BIGINT': 'bigint', 'DOUBLE': 'double', 'DATE': 'date',
        'BOOLEAN': 'boolean',
    } -%}
    {%- if widest and data_type | upper == 'INTEGER' -%}
        {{- 'bigint' -}}
    {%- else -%}
        {{- types.get(data_type | upper, data_type) -}}
    {%- endif -%}
{%- endmacro %}

{% macro spark_quoted_path(path) -%}
    '{{ path | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}

{% macro spark__landing_view_sql(relation, contract, parquet_files, csv_files, file_column=none) -%}
    {#-
        Spark: the Parquet files of a table are read through one external table over its folder (every
        *.parquet at any depth) whose schema is the contract's (a file's column is read as its contract type,
        widened where Spark's Parquet reader widens: 32- to 64-bit integers, integers to doubles; a column a file
        lacks is null); each CSV file through its own external table
        (header row, its delimiter — `;` when its first line has more semicolons than commas, else `,` — and
        every column text, then cast strictly as on DuckDB). The view unions them by column name, with the
        contract's columns in its order (a column a file set lacks is a typed null) and `file_column`'s path of
        the file each row came from. This macro creates the external tables and returns the view's statement.
    -#}
    {%- set branches = [] -%}

    {%- set file_select = (", regexp_replace(url_decode(_metadata.file_path), '^file:(//)?', '') as "
        ~ adapter.quote(file_column)) if file_column else '' -%}
    {%- do run_query('create schema if not exists ' ~ relation.schema) -%}
    {%- set parquet_table = relation.schema ~ '.' ~ relation.identifier ~ '__landed_parquet' -%}
    {%- do run_query('drop table if exists ' ~ parquet_table) -%}
    {%- if parquet_files -%}
        {%- set table_folder = spark_landing_root() ~ '/' ~ relation.schema | replace('raw_', '', 1) ~ '/' ~ relation.identifier -%}
        {%- set schema = [] -%}
        {%- for column in contract -%}
            {%- do schema.append(adapter.quote(column.name) ~ ' ' ~ spark_landing_type(column.data_type, widest=true)) -%}
        {%- endfor -%}
        {%- do run_query(
            'create table ' ~ parquet_table ~ ' (' ~ schema | join(', ') ~ ') using parquet options (path '
            ~ spark_quoted_path(table_folder)
            ~ ", recursiveFileLookup 'true', pathGlobFilter '*.[pP][aA][rR][qQ][uU][eE][tT]')"
        ) -%}
        {%- set columns = [] -%}
        {%- for column in contract -%}
            {#- kept at the widened type, as DuckDB's union of the files keeps a 64-bit column: staging's checks
                then quarantine a value out of the contract type's range instead of a cast wrapping it -#}
            {%- do columns.append('cast(' ~ adapter.quote(column.name) ~ ' as ' ~ spark_landing_type(column.data_type, widest=true) ~ ') as ' ~ adapter.quote(column.name)) -%}
        {%- endfor -%}
        {%- do branches.append('select ' ~ columns | join(', ') ~ file_select ~ ' from ' ~ parquet_table) -%}
    {%- endif -%}
    {%- for csv_file in csv_files -%}
        {%- set csv_table = relation.schema ~ '.' ~ relation.identifier ~ '__landed_csv_' ~ loop.index -%}
        {%- set first_line = run_query('select value from text.`' ~ csv_file ~ '` limit 1').columns[0].values() -%}
        {%- set header = first_line[0] if first_line else '' -%}
        {%- set separator = ';' if header.count(';') > header.count(',') else ',' -%}
        {%- do run_query('drop table if exists ' ~ csv_table) -%}
        {%- do run_query(
            'create table ' ~ csv_table ~ ' using csv options (path ' ~ spark_quoted_path(csv_file)
            ~ ", header 'true', sep '" ~ separator ~ "', multiLine 'true', escape '\"', inferSchema 'false')"
        ) -%}
        {%- set found = [] -%}
        {%- for row in run_query('describe table ' ~ csv_table).rows -%}
            {%- if row[0] and not row[0].startswith('#') -%}
                {%- do found.append(row[0] | lower) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set columns = [] -%}
        {%- for column in contract -%}
            {%- set value = adapter.quote(column.name) if column.name | lower in found else 'null' -%}
            {%- if column.data_type != 'VARCHAR' and value != 'null' -%}
                {%- set value = 'trim(' ~ value ~ ')' -%}
            {%- endif -%}
            {%- do columns.append('cast(' ~ value ~ ' as ' ~ spark_landing_type(column.data_type) ~ ') as ' ~ adapter.quote(column.name)) -%}
        {%- endfor -%}
        {%- do branches.append('select ' ~ columns | join(', ') ~ file_select ~ ' from ' ~ csv_table) -%}
    {%- endfor -%}
    {%- if not branches -%}
        {%- set columns = [] -%}
        {%- for column in contract -%}
            {%- do columns.append('cast(null as ' ~ spark_landing_type(column.data_type) ~ ') as ' ~ adapter.quote(column.name)) -%}
        {%- endfor -%}
        {%- if file_column -%}
            {%- do columns.append('cast(null as string) as ' ~ adapter.quote(file_column)) -%}
        {%- endif -%}
        {%- do branches.append('select ' ~ columns | join(', ') ~ ' where false') -%}
    {%- endif -%}
    create or replace view {{ relation }} as {{ branches | join(' union all ') }}
{%- endmacro %}
