{% macro landed_file_filter(files, file_column='landed_file') -%}
    {#-
        A condition keeping the rows of the named landed files only: `<file_column> in ('a', 'b')`, `false` for
        none. A literal list, so DuckDB reads only those files of the landing view.
    -#}
    {%- if files -%}
        {{ file_column }} in ({% for file in files %}'{{ file | replace("'", "''") }}'{% if not loop.last %}, {% endif %}{% endfor %})
    {%- else -%}
        false
    {%- endif -%}
{%- endmacro %}
