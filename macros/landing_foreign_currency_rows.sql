{% macro landing_foreign_currency_rows(relations, reporting_currency) -%}
    {#-
        How many rows of the given relations (each with a `currency_code` column) hold a well-formed currency
        code (three letters, after trimming and upper-casing) other than the reporting currency.
    -#}
    {{ return(adapter.dispatch('landing_foreign_currency_rows', 'relationship_warehouse')(relations, reporting_currency)) }}
{%- endmacro %}

{% macro default__landing_foreign_currency_rows(relations, reporting_currency) -%}
    {%- set selects = [] -%}
    {%- for relation in relations -%}
        {%- do selects.append('select upper(trim(currency_code)) as currency_code from ' ~ relation) -%}
    {%- endfor -%}
    {%- set query -%}
        select count(*) from ({{ selects | join(' union all ') }}) as landed
        where currency_code <> '{{ reporting_currency }}' and regexp_full_match(currency_code, '[A-Z]{3}')
    {%- endset -%}
    {{ return(run_query(query).columns[0].values()[0]) }}
{%- endmacro %}
