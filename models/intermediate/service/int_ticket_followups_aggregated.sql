-- One row per after-sales ticket: did the complaining customer (golden id) order again within the retention
-- window after opening the ticket, and what those orders were worth. A ticket whose window is not yet over
-- (it ends after the last order in the warehouse) is marked not observable.

with tickets as (

    select * from {{ ref('stg_service__after_sales_tickets') }}

),

customer_ids as (

    select * from {{ ref('int_customer_ids_resolved') }}

),

orders as (

    select * from {{ ref('fct_orders') }}

),

-- the same orders for the last order time: each read by one CTE alone, so the engine streams the columns it needs
-- instead of holding every order for two readers
orders_for_last_order as (

    select * from {{ ref('fct_orders') }}

),

channel_rules as (

    select * from {{ ref('channel_rules') }}

),

rules as (

    select
        cast(
            max(case when rule_name = 'complaint_retention_window_days' then rule_value end) as integer
        ) as window_days
    from channel_rules

),

last_order as (

    select max(placed_at) as last_placed_at
    from orders_for_last_order

),

ticket_windows as (

    select
        tickets.ticket_id,
        coalesce(customer_ids.golden_customer_id, 'shop:' || tickets.customer_id) as golden_customer_id,
        tickets.opened_at,
        {{ dbt.dateadd('day', 'rules.window_days', 'tickets.opened_at') }} as window_ends_at,
        {{ dbt.dateadd('day', 'rules.window_days', 'tickets.opened_at') }} <= last_order.last_placed_at
            as is_retention_observable
    from tickets
    cross join rules
    cross join last_order
    left join customer_ids
        on
            customer_ids.source_system = 'shop'
            and tickets.customer_id = customer_ids.source_customer_id

),

followups as (

    select
        ticket_windows.ticket_id,
        count(*) as followup_order_count,
        sum(orders.net_amount_after_refunds_reporting) as followup_net_revenue_reporting
    from ticket_windows
    inner join orders
        on
            ticket_windows.golden_customer_id = orders.golden_customer_id
            and ticket_windows.opened_at < orders.placed_at
            and ticket_windows.window_ends_at >= orders.placed_at
    group by ticket_windows.ticket_id

),

final as (

    select
        ticket_windows.ticket_id,
        ticket_windows.golden_customer_id,
        ticket_windows.is_retention_observable,
        coalesce(followups.followup_order_count, 0) as followup_order_count,
        coalesce(followups.followup_net_revenue_reporting, 0) as followup_net_revenue_reporting
    from ticket_windows
    left join followups
        on ticket_windows.ticket_id = followups.ticket_id

)

select * from final
