{% macro fx_rate_is_missing(rates_relation, currency_column, date_expression) -%}
    {#-
        True when an amount in `currency_column` on day `date_expression` cannot be converted to the reporting
        currency: no staged rate of the currency (nor, when the reporting currency is not USD, of the reporting
        currency) published on that day or within the `fx_rate_max_age_days` var before it. An amount in the
        reporting currency needs no rate, nor do US dollars (rates are per USD). Qualify the columns with their relation (`renamed.currency_code`): the
        subquery has columns of the same names. `rates_relation` is the staged rates (stg_reference__fx_rates), passed in by
        the model so its lineage stays visible. int_fx_rates_filled applies the same window, so every row this
        lets through gets a rate downstream. Each published rate covers its own day and the
        `fx_rate_max_age_days` days after it; the check looks the amount's day up among the covered days of its
        currency (an equality lookup, not a range comparison with every rate) through not_among: on DuckDB an `in`
        correlated on the currency alone (a `not exists` correlated on the timestamp makes DuckDB look every
        distinct timestamp up apart), on Spark a `not exists`. A missing day is `true`: no covered day matches it.
    -#}
    {%- set currencies = [currency_column] -%}
    {%- if var('reporting_currency') != 'USD' -%}
        {%- do currencies.append("'" ~ var('reporting_currency') ~ "'") -%}
    {%- endif -%}
    {%- set covered_days -%}
        select
            published_rates.currency_code,
            cast({{ dbt.dateadd('day', 'rate_age.days', 'published_rates.rate_date') }} as date) as covered_date
        from {{ rates_relation }} as published_rates
        cross join (
            {%- for days in range(var('fx_rate_max_age_days') + 1) %}
            select {{ days }} as days{% if not loop.last %} union all{% endif %}
            {%- endfor %}
        ) as rate_age
    {%- endset -%}
    (
        {%- for currency in currencies %}
        ({{ currency_column }} != '{{ var("reporting_currency") }}' and {{ currency }} != 'USD' and coalesce(
            {{ not_among(
                'cast(' ~ date_expression ~ ' as date)',
                'cast(' ~ date_expression ~ ' as date)',
                '(' ~ covered_days ~ ') as covered_days',
                'covered_days.covered_date',
                'covered_days.currency_code = ' ~ currency ~ ' and covered_days.covered_date is not null'
            ) }},
            true
        ))
        {%- if not loop.last %} or{% endif %}
        {%- endfor %}
    )
{%- endmacro %}
