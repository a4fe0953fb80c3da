{% macro spark__load_csv_rows(model, agate_table) %}
    {#-
        Spark: a seed's rows as literals (dbt-spark's own loader passes text through its session cursor
        unescaped, so a value holding a quote breaks the insert). Text is escaped for Spark SQL literals
        (backslash and quote), empty cells are null, and each value is cast to the column's seed type.
    -#}
    {%- set batch_size = get_batch_size() -%}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set types = [] -%}
    {%- for col_name in agate_table.column_names -%}
        {%- do types.append(column_override.get(col_name, adapter.convert_type(agate_table, loop.index0))) -%}
    {%- endfor -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(batch_size) -%}
        {%- set rows = [] -%}
        {%- for row in chunk -%}
            {%- set values = [] -%}
            {%- for value in row -%}
                {%- if value is none -%}
                    {%- set literal = 'null' -%}
                {%- elif value is sameas true or value is sameas false -%}
                    {%- set literal = (value | string | lower) -%}
                {%- else -%}
                    {%- set literal = "'" ~ (value | string | replace('\\', '\\\\') | replace("'", "\\'")) ~ "'" -%}
                {%- endif -%}
                {%- do values.append('cast(' ~ literal ~ ' as ' ~ types[loop.index0] ~ ')') -%}
            {%- endfor -%}
            {%- do rows.append('(' ~ values | join(', ') ~ ')') -%}
        {%- endfor -%}
        {%- set sql = 'insert into ' ~ this.render() ~ ' values ' ~ rows | join(', ') -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.index0 == 0 -%}
            {%- do statements.append(sql) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(statements[0] if statements else '') }}
{% endmacro %}
