{% macro duckdb__get_delete_insert_merge_sql(target, source, unique_key, dest_columns, incremental_predicates) -%}
    {#-
        dbt-duckdb's delete+insert (the same statements), with the range of the new rows' keys added to the delete
        as literals: read from the new rows when the statement is built, they let DuckDB skip the row groups of the
        table whose keys lie outside it. A new day's orders and lines have ids past every earlier one, so their
        delete reads one row group of the table instead of every key it holds. The bounds only restate what the
        key match implies (a row whose key is among the new rows' lies within their range), so the same rows go.
    -#}
    {%- set dest_cols_csv = get_quoted_csv(dest_columns | map(attribute="name")) -%}
    {%- set keys = ([unique_key] if unique_key is string else unique_key) if unique_key else [] -%}
    {%- set qualifier = '' if unique_key is string else 'DBT_INCREMENTAL_TARGET.' -%}
    {%- set predicates = (incremental_predicates or []) + delete_insert_key_bounds(source, keys, qualifier) -%}

    {% if unique_key %}
        {% if unique_key is sequence and unique_key is not string %}
            delete from {{ target }} as DBT_INCREMENTAL_TARGET
            using {{ source }}
            where (
                {% for key in unique_key %}
                    {{ source }}.{{ key }} = DBT_INCREMENTAL_TARGET.{{ key }}
                    {{ "and " if not loop.last }}
                {% endfor %}
                {% for predicate in predicates %}
                    and {{ predicate }}
                {% endfor %}
            );
        {% else %}
            delete from {{ target }}
            where (
                {{ unique_key }}) in (
                select ({{ unique_key }})
                from {{ source }}
            )
            {%- for predicate in predicates %}
                and {{ predicate }}
            {% endfor -%};
        {% endif %}
    {% endif %}

    insert into {{ target }} ({{ dest_cols_csv }})
    (
        select {{ dest_cols_csv }}
        from {{ source }}
    )

{%- endmacro %}

{% macro delete_insert_key_bounds(source, keys, qualifier) -%}
    {#- For each key column: `<qualifier><key> between <least> and <greatest>` of the new rows (`source`), typed
        literals read now; none when there is no new row with a key (the delete then matches nothing anyway). -#}
    {%- if not execute or not keys -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set types = {} -%}
    {%- for column in adapter.get_columns_in_relation(source) -%}
        {%- do types.update({column.name | lower: column.data_type}) -%}
    {%- endfor -%}
    {%- set bounds_query -%}
        select
        {%- for key in keys %}
            cast(min({{ key }}) as varchar), cast(max({{ key }}) as varchar){{ ',' if not loop.last }}
        {%- endfor %}
        from {{ source }}
    {%- endset -%}
    {%- set row = run_query(bounds_query).rows[0] -%}
    {%- set predicates = [] -%}
    {%- for key in keys -%}
        {%- set least = row[loop.index0 * 2] -%}
        {%- set greatest = row[loop.index0 * 2 + 1] -%}
        {%- if least is none or greatest is none or (key | lower) not in types -%}
            {{ return([]) }}
        {%- endif -%}
        {%- set type = types[key | lower] -%}
        {%- do predicates.append(
            qualifier ~ key ~ " between cast('" ~ (least | replace("'", "''")) ~ "' as " ~ type ~ ")"
            ~ " and cast('" ~ (greatest | replace("'", "''")) ~ "' as " ~ type ~ ")"
        ) -%}
    {%- endfor -%}
    {{ return(predicates) }}
{%- endmacro %}
