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
-- Every run compares the whole calendar (a few thousand rows) and writes it again.
with filled as (

    select * from {{ ref('int_fx_rates_filled') }}

),

{%- if is_incremental() %}

    built as (

        select * from {{ this }}

    ),

    final as (

        select
            coalesce(filled.rate_date, built.rate_date) as rate_date,
            coalesce(filled.currency_code, built.currency_code) as currency_code,
            filled.rate_to_reporting,
            case
                when
                    built.rate_date is not null
                    and coalesce(
                        filled.rate_to_reporting = built.rate_to_reporting,
                        filled.rate_to_reporting is null and built.rate_to_reporting is null
                    )
                    then built.changed_at
                else {{ build_started_at() }}
            end as changed_at
        from filled
        full outer join built
            on
                filled.rate_date = built.rate_date
                and filled.currency_code = built.currency_code

    )
{%- else %}

    final as (

        select
            rate_date,
            currency_code,
            rate_to_reporting,
            {{ build_started_at() }} as changed_at
        from filled

    )
{%- endif %}

select * from final
