{% macro create_landing_views() %}
    {{ return(adapter.dispatch('create_landing_views', 'relationship_warehouse')()) }}
{% endmacro %}

{% macro default__create_landing_views() %}
    {#-
        on-run-start: points every dbt source at exactly the files landed for it, and refuses to build on a
        broken landing. For each source table it lists every file under RAW_DATA_DIR/<system>/<table>/ (any
        depth, so Hive-style folders count) and (re)creates the view <source schema>.<table> over its Parquet
        and CSV files (extension in any case), with every contract column (see landing_view_sql); a table with
        no file becomes a typed empty view. It then stops the run, before anything is built, listing the
        problems it can see cheaply: a file that will not be read, a required table without rows, a file
        without a required column, a Parquet column of an incompatible type, a CSV cell that does not cast to
        its contract type, amounts in a foreign currency without exchange rates. `make check-landing`
        (python -m orchestration.landing) lists the same problems, every one, file by file.
    -#}
    {%- if execute and flags.WHICH in ['build', 'run', 'test', 'snapshot', 'seed', 'show', 'source', 'freshness'] -%}
        {%- set raw_root = env_var('RAW_DATA_DIR', 'data/raw') -%}
        {%- set reporting_currency = var('reporting_currency') | upper -%}
        {%- set problems = [] -%}
        {%- set row_counts = {} -%}
        {%- set currency_relations = [] -%}
        {%- set fx_label = 'reference.fx_rates' -%}
        {%- for source_node in graph.sources.values() | sort(attribute='unique_id') -%}
            {%- set label = source_node.source_name ~ '.' ~ source_node.name -%}
            {%- set folder = raw_root ~ '/' ~ source_node.source_name ~ '/' ~ source_node.name -%}
            {%- set landed_files = landed_files_by_format(folder) -%}
            {%- set parquet_files = landed_files['parquet'] -%}
            {%- set csv_files = landed_files['csv'] -%}
            {%- for file in landed_files['unread'] -%}
                {%- do problems.append(label ~ ': file ' ~ file ~ ' is not read (only *.parquet and *.csv are)') -%}
            {%- endfor -%}
            {%- set contract = [] -%}
            {%- for column_name, column in source_node.columns.items() -%}
                {%- do contract.append({
                    'name': column_name,
                    'data_type': (column.data_type or 'VARCHAR') | upper,
                    'optional': (column.meta or {}).get('optional', false),
                }) -%}
            {%- endfor -%}
            {%- set landed = landed_columns(parquet_files, csv_files) -%}
            {%- for file, found in landed.items() -%}
                {%- for column in contract -%}
                    {%- set found_type = found.get(column.name | lower) -%}
                    {%- if found_type is none -%}
                        {%- if not column.optional -%}
                            {%- do problems.append(label ~ ': file ' ~ file ~ " is missing column '" ~ column.name ~ "' (" ~ column.data_type ~ ')') -%}
                        {%- endif -%}
                    {%- elif not (file | lower).endswith('.csv') and not raw_type_is_compatible(found_type, column.data_type) -%}
                        {%- do problems.append(label ~ ': file ' ~ file ~ " has column '" ~ column.name ~ "' of type " ~ found_type ~ ', expected ' ~ column.data_type) -%}
                    {%- endif -%}
                {%- endfor -%}
            {%- endfor -%}
            {%- set relation = api.Relation.create(
                database=source_node.database, schema=source_node.schema, identifier=source_node.identifier
            ) -%}
            {%- do run_query(landing_view_sql(relation, contract, parquet_files, csv_files, source_node.meta.get('landed_file_column'))) -%}
            {%- if csv_files -%}
                {%- for column_name, failures in landing_csv_cast_failures(contract, csv_files).items() -%}
                    {%- if failures > 0 -%}
                        {%- do problems.append(label ~ ': ' ~ failures ~ " CSV cell(s) of column '" ~ column_name ~ "' do not cast to its contract type") -%}
                    {%- endif -%}
                {%- endfor -%}
            {%- endif -%}
            {%- set row_count = run_query('select count(*) from ' ~ relation).columns[0].values()[0] -%}
            {%- do row_counts.update({label: row_count}) -%}
            {%- if source_node.meta.get('landing') == 'required' and row_count == 0 -%}
                {%- do problems.append(label ~ ': required table has no rows under ' ~ folder ~ '/') -%}
            {%- endif -%}
            {%- if label != fx_label and 'currency_code' in source_node.columns and row_count > 0 -%}
                {%- do currency_relations.append(relation) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if row_counts.get(fx_label, 0) == 0 and currency_relations -%}
            {%- set foreign = landing_foreign_currency_rows(currency_relations, reporting_currency) -%}
            {%- if foreign > 0 -%}
                {%- do problems.append(fx_label ~ ': required, because ' ~ foreign ~ ' row(s) hold amounts in a currency other than ' ~ reporting_currency ~ ', but it has no rows') -%}
            {%- endif -%}
        {%- endif -%}
        {%- if problems -%}
            {{ exceptions.raise_compiler_error(
                'The landing under ' ~ raw_root ~ ' has ' ~ problems | length ~ ' problem(s); nothing was built. '
                ~ 'Run `make check-landing` for the full report, file by file:\n  - ' ~ problems[:20] | join('\n  - ')
            ) }}
        {%- endif -%}
    {%- endif -%}
    select 1
{% endmacro %}
