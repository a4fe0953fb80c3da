{% macro is_unknown_currency(currencies_relation, currency_column) -%}
    {#-
        True when `currency_column` is null or not a code of `currencies_relation` (the currencies seed, passed
        in by the model from its import CTE so its lineage stays visible); staging quarantines such rows as
        `unknown_currency`.
    -#}
    ({{ currency_column }} is null or {{ currency_column }} not in (
        select {{ currencies_relation }}.currency_code from {{ currencies_relation }}
    ))
{%- endmacro %}
