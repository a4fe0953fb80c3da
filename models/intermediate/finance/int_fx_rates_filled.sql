-- One rate per currency and calendar day, expressed in the reporting currency. Days without a published
-- rate (weekends, holidays, gaps) carry the latest earlier rate forward, for at most the
-- `fx_rate_max_age_days` var; a day further from its last rate has no row, and staging quarantines the
-- amounts of such a day (missing_fx_rate, macro fx_rate_is_missing) so no reporting amount is null or zero.
with published_rates as (

    select * from {{ ref('stg_reference__fx_rates') }}

),

rates as (

    -- One US dollar is worth one US dollar on every day a rate was published.
    select
        rate_date,
        currency_code,
        rate_to_usd
    from published_rates
    where currency_code != 'USD'

    union all

    select distinct
        rate_date,
        'USD' as currency_code,
        1.0 as rate_to_usd
    from published_rates

),

reporting_rates as (

    select
        rate_date,
        rate_to_usd as reporting_rate_to_usd
    from rates
    where currency_code = '{{ var("reporting_currency") }}'

),

rates_in_reporting as (

    select
        rates.rate_date,
        rates.currency_code,
        rates.rate_to_usd / reporting_rates.reporting_rate_to_usd as rate_to_reporting
    from rates
    inner join reporting_rates
        on rates.rate_date = reporting_rates.rate_date

),

calendar as (

    {{ date_series(
        "(select min(rate_date) from rates)",
        dbt.dateadd('day', var('fx_rate_max_age_days'), "(select max(rate_date) from rates)")
    ) }}

),

currencies as (

    select distinct currency_code from rates_in_reporting

),

spine as (

    select
        calendar.calendar_date as rate_date,
        currencies.currency_code
    from calendar
    cross join currencies

),

filled as (

    select
        spine.rate_date,
        spine.currency_code,
        {{ last_value_ignoring_nulls("rates_in_reporting.rate_to_reporting") }} over (
            partition by spine.currency_code
            order by spine.rate_date
            rows between unbounded preceding and current row
        ) as rate_to_reporting,
        {{ last_value_ignoring_nulls("rates_in_reporting.rate_date") }} over (
            partition by spine.currency_code
            order by spine.rate_date
            rows between unbounded preceding and current row
        ) as published_rate_date,
        rates_in_reporting.rate_to_reporting is null as is_carried_forward
    from spine
    left join rates_in_reporting
        on
            spine.rate_date = rates_in_reporting.rate_date
            and spine.currency_code = rates_in_reporting.currency_code

),

reporting_calendar as (

    {{ date_series(
        "cast('" ~ var('fx_calendar_start_date') ~ "' as date)",
        "cast('" ~ var('fx_calendar_end_date') ~ "' as date)"
    ) }}

),

published_reporting_days as (

    select distinct rate_date from reporting_rates

),

reporting_currency_rates as (

    -- The reporting currency is worth itself on every day, whether or not any rate was published (a shop
    -- selling only in the reporting currency needs no rate file).
    select
        reporting_calendar.calendar_date as rate_date,
        '{{ var("reporting_currency") }}' as currency_code,
        cast(1.0 as double) as rate_to_reporting,
        published_days.rate_date is null as is_carried_forward
    from reporting_calendar
    left join published_reporting_days as published_days
        on reporting_calendar.calendar_date = published_days.rate_date

),

final as (

    select
        rate_date,
        currency_code,
        rate_to_reporting,
        is_carried_forward
    from filled
    where
        rate_to_reporting is not null
        and currency_code != '{{ var("reporting_currency") }}'
        and published_rate_date >= {{ dbt.dateadd('day', -1 * var('fx_rate_max_age_days'), 'rate_date') }}

    union all

    select * from reporting_currency_rates

)

select * from final
