-- One row per golden customer with an order on or before the as-of date: how well the relationship is
-- tended. A purchase is untended when no CRM touchpoint reached the customer within
-- `relationship_touch_window_days` after it (judged only once that window has closed by the as-of date).
-- Touchpoints by kind with their cost in the reporting currency, days since the last touch, whether the last
-- purchase went untended, and whether the customer churned (no order for `churn_after_days` or more). The
-- customer's segments (customer type, RFM and behavioural segment) let the summary compare churn by segment.
with reporting_dates as (

    select * from {{ ref('int_reporting_dates') }}

),

-- every order with its first touchpoint after it (int_orders_follow_up_matched matches them incrementally)
orders_matched as (

    select * from {{ ref('int_orders_follow_up_matched') }}
    where order_date <= (select reporting_dates.as_of_date from reporting_dates)

),

touchpoints as (

    select * from {{ ref('int_touchpoints_converted') }}
    where touched_date <= (select reporting_dates.as_of_date from reporting_dates)

),

customer_ids as (

    select * from {{ ref('int_customer_ids_resolved') }}

),

shop_customers as (

    select * from {{ ref('stg_shop__customers') }}

),

customer_segments as (

    select * from {{ ref('int_customer_segments_scored') }}

),

as_of as (

    select reporting_dates.as_of_date from reporting_dates

),

customer_types as (

    -- the customer type of the golden customer's shop accounts ('business' wins when accounts disagree)
    select
        customer_ids.golden_customer_id,
        min(shop_customers.customer_type) as customer_type
    from shop_customers
    inner join customer_ids
        on
            customer_ids.source_system = 'shop'
            and shop_customers.customer_id = customer_ids.source_customer_id
    group by customer_ids.golden_customer_id

),

crm_contacts as (

    select distinct golden_customer_id
    from customer_ids
    where source_system = 'crm' and is_crosswalk_resolved

),

-- the first touchpoint after each order up to the as-of date (one at the very time of the order is not a
-- follow-up to it): the first one after it at all, when that is on or before the as-of date
order_next_touches as (

    select
        order_id,
        golden_customer_id,
        placed_at,
        order_date,
        case
            when cast(next_touched_at as date) <= (select as_of.as_of_date from as_of) then next_touched_at
        end as next_touched_at
    from orders_matched

),

orders_judged as (

    select
        order_id,
        golden_customer_id,
        placed_at,
        order_date,
        case
            when
                coalesce(
                    next_touched_at
                    <= {{ dbt.dateadd('day', var('relationship_touch_window_days'), 'placed_at') }},
                    false
                )
                then 'tended'
            when
                cast({{ dbt.dateadd('day', var('relationship_touch_window_days'), 'placed_at') }} as date)
                <= (select as_of.as_of_date from as_of)
                then 'untended'
            else 'follow_up_pending'
        end as follow_up_status
    from order_next_touches

),

customer_orders as (

    select
        golden_customer_id,
        count(*) as order_count,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        count(*) filter (where follow_up_status = 'untended') as untended_orders,
        count(*) filter (where follow_up_status <> 'follow_up_pending') as orders_with_closed_window,
        -- the status of the latest order (the greatest order id among orders placed at the same time)
        {{ max_by_key('follow_up_status', ['placed_at', 'order_id']) }} as last_purchase_follow_up_status
    from orders_judged
    group by golden_customer_id

),

customer_touchpoints as (

    select
        golden_customer_id,
        count(*) as touchpoints,
        count(*) filter (where touchpoint_type = 'call') as call_touchpoints,
        count(*) filter (where touchpoint_type = 'visit') as visit_touchpoints,
        count(*) filter (where touchpoint_type = 'email') as email_touchpoints,
        count(*) filter (where touchpoint_type = 'greeting_card') as greeting_card_touchpoints,
        count(*) filter (where touchpoint_type = 'gift') as gift_touchpoints,
        sum(cost_amount_reporting) as touchpoint_cost_reporting,
        sum(cost_amount_reporting) filter (where touchpoint_type = 'call') as call_cost_reporting,
        sum(cost_amount_reporting) filter (where touchpoint_type = 'visit') as visit_cost_reporting,
        sum(cost_amount_reporting) filter (where touchpoint_type = 'email') as email_cost_reporting,
        sum(cost_amount_reporting) filter (where touchpoint_type = 'greeting_card') as greeting_card_cost_reporting,
        sum(cost_amount_reporting) filter (where touchpoint_type = 'gift') as gift_cost_reporting,
        max(touched_at) as last_touched_at
    from touchpoints
    group by golden_customer_id

),

final as (

    select
        customer_orders.golden_customer_id,
        as_of.as_of_date,
        coalesce(customer_types.customer_type, 'unknown') as customer_type,
        customer_segments.rfm_segment,
        customer_segments.behavioural_segment,
        crm_contacts.golden_customer_id is not null as has_crm_contact,
        customer_orders.order_count,
        customer_orders.first_order_date,
        customer_orders.last_order_date,
        customer_orders.orders_with_closed_window,
        customer_orders.untended_orders,
        {{ to_decimal("
            customer_orders.untended_orders * 1.0 / nullif(customer_orders.orders_with_closed_window, 0)",
            9, 4
        ) }} as untended_order_share,
        customer_orders.last_purchase_follow_up_status,
        customer_orders.last_purchase_follow_up_status = 'untended' as is_last_purchase_untended,
        coalesce(customer_touchpoints.touchpoints, 0) as touchpoints,
        coalesce(customer_touchpoints.call_touchpoints, 0) as call_touchpoints,
        coalesce(customer_touchpoints.visit_touchpoints, 0) as visit_touchpoints,
        coalesce(customer_touchpoints.email_touchpoints, 0) as email_touchpoints,
        coalesce(customer_touchpoints.greeting_card_touchpoints, 0) as greeting_card_touchpoints,
        coalesce(customer_touchpoints.gift_touchpoints, 0) as gift_touchpoints,
        {{ to_decimal("coalesce(customer_touchpoints.touchpoint_cost_reporting, 0)", 18, 4) }}
            as touchpoint_cost_reporting,
        {{ to_decimal("coalesce(customer_touchpoints.call_cost_reporting, 0)", 18, 4) }} as call_cost_reporting,
        {{ to_decimal("coalesce(customer_touchpoints.visit_cost_reporting, 0)", 18, 4) }} as visit_cost_reporting,
        {{ to_decimal("coalesce(customer_touchpoints.email_cost_reporting, 0)", 18, 4) }} as email_cost_reporting,
        {{ to_decimal("coalesce(customer_touchpoints.greeting_card_cost_reporting, 0)", 18, 4) }}
            as greeting_card_cost_reporting,
        {{ to_decimal("coalesce(customer_touchpoints.gift_cost_reporting, 0)", 18, 4) }} as gift_cost_reporting,
        customer_touchpoints.last_touched_at,
        cast(
            {{ dbt.datediff('cast(customer_touchpoints.last_touched_at as date)', 'as_of.as_of_date', 'day') }}
            as integer
        ) as days_since_last_touch,
        cast(
            {{ dbt.datediff('customer_orders.last_order_date', 'as_of.as_of_date', 'day') }}
            as integer
        ) as days_since_last_order,
        {{ dbt.datediff('customer_orders.last_order_date', 'as_of.as_of_date', 'day') }}
        >= {{ var('churn_after_days') }} as is_churned
    from customer_orders
    cross join as_of
    left join customer_types
        on customer_orders.golden_customer_id = customer_types.golden_customer_id
    left join crm_contacts
        on customer_orders.golden_customer_id = crm_contacts.golden_customer_id
    left join customer_touchpoints
        on customer_orders.golden_customer_id = customer_touchpoints.golden_customer_id
    left join customer_segments
        on customer_orders.golden_customer_id = customer_segments.golden_customer_id

)

select * from final
