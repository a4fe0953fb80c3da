{% macro star_except(column_names) -%}
    {{ return(adapter.dispatch('star_except', 'relationship_warehouse')(column_names)) }}
{%- endmacro %}

{% macro default__star_except(column_names) -%}
    {#- Every column of the FROM clause but the named ones. -#}
    * exclude ({{ column_names | join(', ') }})
{%- endmacro %}

{% macro spark__star_except(column_names) -%}
    * except ({{ column_names | join(', ') }})
{%- endmacro %}
