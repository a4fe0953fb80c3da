{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['rate_date', 'currency_code'],
        on_schema_change='fail'
    )
}}

-- When each day's rate in the reporting currency last changed: one row per currency and day int_fx_rates_filled
-- holds or once held, with the build that first saw its current rate. A rate file that lands (late or not),
-- corrects a rate or fills a carried-forward day changes the rate of those days only; a file that lands again
-- with the same rates changes nothing. The incremental models that convert amounts at the day's rate convert
-- again the amounts on or after the first day whose rate changed since they last ran (changed_at after their
-- newest computed_at). A day int_fx_rates_filled no longer holds stays with a null rate (it changed too).
-- Every run compares the whole calendar (a few thousand rows) and writes the days that changed (macro
-- changes_tracked).
with filled as (

    select * from {{ ref('int_fx_rates_filled') }}

),

final as (

    {{ changes_tracked('filled', ['rate_date', 'currency_code'], ['rate_to_reporting']) }}

)

select * from final
