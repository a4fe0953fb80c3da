{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='order_id',
        on_schema_change='fail'
    )
}}

-- Every order of fct_orders with the first CRM touchpoint that reached its golden customer strictly after it was
-- placed (null when none has yet): the follow-up rpt_relationship_health judges against its window and as-of
-- date. The match reads every touchpoint, whatever its date; a reader that looks back from an as-of date drops a
-- match after that date (every later touchpoint is later still).
-- Incremental, one customer at a time: a run matches again every order of the golden customers with an order
-- fct_orders wrote since the newest computed_at here (fct_orders writes every order of a customer whose orders
-- moved, renumbered) and of those with a touchpoint int_touchpoints_converted wrote since, with the customer such
-- a touchpoint had before. An order's match depends only on its own customer's touchpoints, and an order never
-- leaves fct_orders (a moved order is written again under its new customer), so the rows replace those of their
-- order_id.
with orders as (

    select * from {{ ref('fct_orders') }}

),

touchpoints as (

    select * from {{ ref('int_touchpoints_converted') }}

),

-- read on incremental runs only: the same tables for the customers to match again, each read by one CTE alone
orders_for_scope as ( -- noqa: ST03

    select * from {{ ref('fct_orders') }}

),

touchpoints_for_scope as ( -- noqa: ST03

    select * from {{ ref('int_touchpoints_converted') }}

),

{%- if is_incremental() %}

    customers_to_match as (

        select orders_for_scope.golden_customer_id
        from orders_for_scope
        where orders_for_scope.computed_at > {{ last_computed_at() }}

        union

        select touchpoints_for_scope.golden_customer_id
        from touchpoints_for_scope
        where touchpoints_for_scope.computed_at > {{ last_computed_at() }}

        union

        {{ previous_customers_written_since('touchpoints_for_scope') }}

    ),
{%- endif %}

orders_to_match as (

    select
        orders.order_id,
        orders.golden_customer_id,
        orders.placed_at,
        orders.order_date
    from orders
    {%- if is_incremental() %}
        where orders.golden_customer_id in (select customers_to_match.golden_customer_id from customers_to_match)
    {%- endif %}

),

touchpoints_to_match as (

    select
        touchpoints.golden_customer_id,
        touchpoints.touched_at
    from touchpoints
    {%- if is_incremental() %}
        where touchpoints.golden_customer_id in (select customers_to_match.golden_customer_id from customers_to_match)
    {%- endif %}

),

-- the first touchpoint after each order (one at the very time of the order is not a follow-up to it)
matched as (

    {{ next_event_after(
        'orders_to_match', 'touchpoints_to_match', 'golden_customer_id', 'placed_at', 'touched_at',
        ['order_id', 'golden_customer_id', 'placed_at', 'order_date'], 'next_touched_at'
    ) }}

),

final as (

    select
        order_id,
        golden_customer_id,
        placed_at,
        order_date,
        next_touched_at,
        {{ build_started_at() }} as computed_at
    from matched

)

select * from final
