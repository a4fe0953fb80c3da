{{ config(materialized='view') }}

-- One row per staged refund with its amount in the reporting currency at the rate of the refund's UTC day (staging
-- quarantines a refund with no rate for its day as missing_fx_rate). fct_refunds dates refunds by this day;
-- fct_order_lines attributes them to the refunded lines. A view, so that each reader plans it with its own filter.

with refunds as (

    select * from {{ ref('stg_shop__refunds') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_filled') }}

),

final as (

    select
        refunds.refund_id,
        refunds.order_id,
        refunds.order_line_id,
        refunds.refunded_at,
        cast(refunds.refunded_at as date) as refund_date,
        refunds.reason,
        refunds.currency_code,
        refunds.refund_amount,
        refunds.refund_amount * fx_rates.rate_to_reporting as refund_amount_reporting,
        refunds.loaded_at,
        refunds.staged_at
    from refunds
    left join fx_rates
        on
            cast(refunds.refunded_at as date) = fx_rates.rate_date
            and refunds.currency_code = fx_rates.currency_code

)

select * from final
