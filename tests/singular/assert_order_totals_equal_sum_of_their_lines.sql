{{ config(meta={'dagster': {'ref': {'name': 'fct_orders'}}}) }}
-- Every order's amounts equal the sum of its lines, in both currencies. It checks the orders the newest build
-- wrote (every order after a full build; after an incremental one, the changed orders, which include every order
-- whose lines were written, and their customers' later orders: the others are as they were when they passed).
with all_orders as (

    select * from {{ ref('fct_orders') }}

),

lines as (

    select * from {{ ref('fct_order_lines') }}

),

orders as (

    select *
    from all_orders
    where computed_at = {{ newest_written(ref('fct_orders'), 'computed_at') }}

),

line_totals as (

    select
        order_id,
        count(*) as line_count,
        sum(gross_amount) as gross_amount,
        sum(net_amount) as net_amount,
        sum(refunded_amount_reporting) as refunded_amount_reporting,
        sum(net_amount_reporting) as net_amount_reporting
    from lines
    where order_id in (select orders.order_id from orders)
    group by order_id

)

select
    orders.order_id,
    orders.net_amount,
    line_totals.net_amount as lines_net_amount
from orders
left join line_totals
    on orders.order_id = line_totals.order_id
where
    orders.line_count != coalesce(line_totals.line_count, 0)
    or orders.gross_amount != coalesce(line_totals.gross_amount, 0)
    or orders.net_amount != coalesce(line_totals.net_amount, 0)
    or orders.net_amount_reporting != coalesce(line_totals.net_amount_reporting, 0)
    or orders.refunded_amount_reporting != coalesce(line_totals.refunded_amount_reporting, 0)
