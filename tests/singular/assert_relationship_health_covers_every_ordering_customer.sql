{{ config(meta={'dagster': {'ref': {'name': 'rpt_relationship_health'}}}) }}
-- rpt_relationship_health has one row per golden customer with an order up to the as-of date, and its order
-- counts are consistent (untended <= judged <= all orders, same total as fct_orders). Returns offending rows.
with reporting_dates as (

    select * from {{ ref('int_reporting_dates') }}

),

health as (

    select * from {{ ref('rpt_relationship_health') }}

),

orders as (

    select * from {{ ref('fct_orders') }}
    where order_date <= (select reporting_dates.as_of_date from reporting_dates)

),

customer_orders as (

    select
        golden_customer_id,
        count(*) as order_count
    from orders
    group by golden_customer_id

)

select
    coalesce(customer_orders.golden_customer_id, health.golden_customer_id) as golden_customer_id,
    customer_orders.order_count as expected_orders,
    health.order_count as built_orders,
    health.orders_with_closed_window,
    health.untended_orders
from customer_orders
full outer join health
    on customer_orders.golden_customer_id = health.golden_customer_id
where
    customer_orders.golden_customer_id is null
    or health.golden_customer_id is null
    or customer_orders.order_count <> health.order_count
    or health.untended_orders > health.orders_with_closed_window
    or health.orders_with_closed_window > health.order_count
