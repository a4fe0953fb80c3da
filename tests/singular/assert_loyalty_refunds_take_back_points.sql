{{ config(meta={'dagster': {'ref': {'name': 'fct_wallet_ledger'}}}) }}
-- Buy, earn, refund, keep the points is impossible: for every refunded order that earned points, the points
-- taken back are the refunded share of what it earned (to within a point of rounding), and never more than
-- it earned.

with orders as (

    select * from {{ ref('fct_orders') }}

),

ledger as (

    select * from {{ ref('fct_wallet_ledger') }}

),

order_points as (

    select
        order_id,
        sum(case when entry_type = 'points_earned' then points_applied else 0 end) as points_earned,
        -sum(case when entry_type = 'points_reversal' then points_applied else 0 end) as points_taken_back,
        sum(case when entry_type = 'points_reversal' then points_refused else 0 end) as points_refused
    from ledger
    where order_id is not null and entry_type in ('points_earned', 'points_reversal')
    group by order_id

)

select
    order_points.order_id,
    order_points.points_earned,
    order_points.points_taken_back,
    order_points.points_refused,
    orders.refunded_amount,
    orders.net_amount
from order_points
left join orders
    on order_points.order_id = orders.order_id
where
    order_points.points_taken_back > order_points.points_earned
    or (
        orders.refunded_amount > 0
        and order_points.points_taken_back + order_points.points_refused
        < floor(order_points.points_earned * least(orders.refunded_amount / nullif(orders.net_amount, 0), 1)) - 1
    )
