{% macro fx_rate_is_missing(rates_relation, currency_column, date_expression) -%}
    {#-
        True when an amount in `currency_column` on day `date_expression` cannot be converted to the reporting
        currency: no staged rate of the currency (nor, when the reporting currency is not USD, of the reporting
        currency) published on that day or within the `fx_rate_max_age_days` var before it. An amount in the
        reporting currency needs no rate, nor do US dollars (rates are per USD). Qualify the columns with their relation (`renamed.currency_code`): the
        subquery has columns of the same names. `rates_relation` is the staged rates (stg_reference__fx_rates), passed in by
        the model so its lineage stays visible. int_fx_rates_filled applies the same window, so every row this
        lets through gets a rate downstream.
    -#}
    {%- set currencies = [currency_column] -%}
    {%- if var('reporting_currency') != 'USD' -%}
        {%- do currencies.append("'" ~ var('reporting_currency') ~ "'") -%}
    {%- endif -%}
    (
        {%- for currency in currencies %}
        ({{ currency_column }} != '{{ var("reporting_currency") }}' and {{ currency }} != 'USD' and not exists (
            select 1 from {{ rates_relation }} as published_rates
            where
                published_rates.currency_code = {{ currency }}
                and published_rates.rate_date <= cast({{ date_expression }} as date)
                and published_rates.rate_date >= {{ dbt.dateadd('day', -1 * var('fx_rate_max_age_days'), 'cast(' ~ date_expression ~ ' as date)') }}
        ))
        {%- if not loop.last %} or{% endif %}
        {%- endfor %}
    )
{%- endmacro %}
