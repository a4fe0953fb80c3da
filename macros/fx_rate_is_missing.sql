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
        currency (an equality lookup, not a range comparison with every rate). On DuckDB the lookup is an `in`
        correlated on the currency alone (a missing day is `true`, as no covered day matches it): a `not exists`
        correlated on the timestamp makes DuckDB look every distinct timestamp up apart. Spark keeps the
        `not exists` (it plans a NOT IN inside a `case` as a nested-loop join; see not_among).
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
        ({{ currency_column }} != '{{ var("reporting_currency") }}' and {{ currency }} != 'USD' and
            {%- if target.type == 'spark' %}
            not exists (
                select 1
                from ({{ covered_days }}) as covered_days
                where
                    covered_days.currency_code = {{ currency }}
                    and covered_days.covered_date = cast({{ date_expression }} as date)
            )
            {%- else %}
            coalesce(
                cast({{ date_expression }} as date) not in (
                    select covered_days.covered_date
                    from ({{ covered_days }}) as covered_days
                    where
                        covered_days.currency_code = {{ currency }}
                        and covered_days.covered_date is not null
                ),
                true
            )
            {%- endif %}
        )
        {%- if not loop.last %} or{% endif %}
        {%- endfor %}
    )
{%- endmacro %}
