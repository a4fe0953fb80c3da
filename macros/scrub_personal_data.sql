{#- Free text with the personal data a person may type into it masked: e-mail addresses become `[email]`,
    card-like numbers (13-19 digits in groups of four, spaces or dashes allowed) `[card number]`, and any other
    run of seven or more digits (phone numbers, with `+`, spaces, dots, dashes or brackets between them; also
    long account numbers and dates written in digits) `[phone number]`. The patterns use no backslash, so one
    literal serves DuckDB (RE2) and Spark (Java). -#}
{% macro scrub_personal_data(column_name) -%}
    {{ return(adapter.dispatch('scrub_personal_data', 'relationship_warehouse')(column_name)) }}
{%- endmacro %}

{% macro personal_data_patterns() -%}
    {{ return([
        ("[A-Za-z0-9._%+''-]+@[A-Za-z0-9-]+([.][A-Za-z0-9-]+)*[.][A-Za-z]{2,}", '[email]'),
        ('[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{1,7}', '[card number]'),
        ('[+]?[(]?[0-9]([ ().-]{0,2}[0-9]){6,}', '[phone number]'),
    ]) }}
{%- endmacro %}

{% macro default__scrub_personal_data(column_name) -%}
    {%- set ns = namespace(sql=column_name) -%}
    {%- for pattern, mask in personal_data_patterns() -%}
        {%- set ns.sql = "regexp_replace(" ~ ns.sql ~ ", '" ~ pattern ~ "', '" ~ mask ~ "', 'g')" -%}
    {%- endfor -%}
    {{ ns.sql }}
{%- endmacro %}

{% macro spark__scrub_personal_data(column_name) -%}
    {%- set ns = namespace(sql=column_name) -%}
    {%- for pattern, mask in personal_data_patterns() -%}
        {%- set ns.sql = "regexp_replace(" ~ ns.sql ~ ", '" ~ pattern ~ "', '" ~ mask ~ "')" -%}
    {%- endfor -%}
    {{ ns.sql }}
{%- endmacro %}
