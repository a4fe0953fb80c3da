{% macro row_struct(relation_alias) -%}
    {#- The whole row of a FROM item as one struct value: the alias itself on DuckDB, struct(alias.*) on Spark. -#}
    {{ return(adapter.dispatch('row_struct', 'relationship_warehouse')(relation_alias)) }}
{%- endmacro %}

{% macro default__row_struct(relation_alias) -%}
    {{ relation_alias }}
{%- endmacro %}

{% macro spark__row_struct(relation_alias) -%}
    struct({{ relation_alias }}.*)
{%- endmacro %}

{% macro row_hash(struct_expression) -%}
    {#-
        A 64-bit hash of a struct value (a raw row), deterministic on each engine: DuckDB's hash(), Spark's
        xxhash64(). The two engines' values differ; a hash only breaks ties between rows of one build.
    -#}
    {{ return(adapter.dispatch('row_hash', 'relationship_warehouse')(struct_expression)) }}
{%- endmacro %}

{% macro default__row_hash(struct_expression) -%}
    hash({{ struct_expression }})
{%- endmacro %}

{% macro spark__row_hash(struct_expression) -%}
    xxhash64({{ struct_expression }})
{%- endmacro %}

{% macro row_struct_except(column_names) -%}
    {#- Every column of the FROM clause but the named ones, as one struct value. -#}
    {{ return(adapter.dispatch('row_struct_except', 'relationship_warehouse')(column_names)) }}
{%- endmacro %}

{% macro default__row_struct_except(column_names) -%}
    struct_pack(*columns(* exclude ({{ column_names | join(', ') }})))
{%- endmacro %}

{% macro spark__row_struct_except(column_names) -%}
    struct(* except ({{ column_names | join(', ') }}))
{%- endmacro %}

{% macro row_json(struct_expression) -%}
    {#-
        A struct value (a raw row) as JSON text, every field named (null ones too). The engines write the same
        values in their own notation: DuckDB `"2024-01-01 10:00:00.5+00"` and `1e20` as
        `100000000000000000000.0`, Spark `"2024-01-01 10:00:00.500000+00"` and `1.0E20`.
    -#}
    {{ return(adapter.dispatch('row_json', 'relationship_warehouse')(struct_expression)) }}
{%- endmacro %}

{% macro default__row_json(struct_expression) -%}
    to_json({{ struct_expression }})
{%- endmacro %}

{% macro spark__row_json(struct_expression) -%}
    to_json({{ struct_expression }}, map('ignoreNullFields', 'false', 'timestampFormat', 'yyyy-MM-dd HH:mm:ss.SSSSSSx'))
{%- endmacro %}
