{{ config(meta={'dagster': {'ref': {'name': 'fct_refunds'}}}) }}
-- Refunds dated in fct_refunds add up, per order, to the refunds fct_orders carries.
with refunds_per_order as (

    select
        order_id,
        sum(refund_amount_reporting) as refund_amount_reporting
    from {{ ref('fct_refunds') }}
    group by order_id

)

select
    orders.order_id,
    orders.refunded_amount_reporting,
    refunds_per_order.refund_amount_reporting
from {{ ref('fct_orders') }} as orders
full outer join refunds_per_order
    on orders.order_id = refunds_per_order.order_id
where
    abs(
        coalesce(orders.refunded_amount_reporting, 0)
        - coalesce(refunds_per_order.refund_amount_reporting, 0)
    ) > 0.01
