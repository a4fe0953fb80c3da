-- One row per refund of a staged order, dated when it happened, in the refund's currency and in the
-- reporting currency at the refund day's rate (int_refunds_converted) — so revenue by period can subtract refunds
-- in the period they happen (fct_orders carries them on the order instead).
with refunds as (

    select * from {{ ref('int_refunds_converted') }}

),

orders as (

    select * from {{ ref('fct_orders') }}

),

final as (

    select
        refunds.refund_id,
        refunds.order_id,
        refunds.order_line_id,
        orders.golden_customer_id,
        refunds.refunded_at,
        refunds.refund_date,
        orders.order_date,
        refunds.reason,
        refunds.currency_code,
        {{ to_decimal("refunds.refund_amount", 18, 4) }} as refund_amount,
        {{ to_decimal("refunds.refund_amount_reporting", 18, 4) }} as refund_amount_reporting
    from refunds
    inner join orders
        on refunds.order_id = orders.order_id

)

select * from final
