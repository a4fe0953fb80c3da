-- One row per golden customer with at least one order up to the as-of date (int_reporting_dates):
-- lifetime and trailing-12-month order behaviour in the reporting currency. Shared by segments, vendor
-- potential and the customer dimension.
with reporting_dates as (

    select * from {{ ref('int_reporting_dates') }}

),

orders as (

    select * from {{ ref('fct_orders') }}
    where order_date <= (select reporting_dates.as_of_date from reporting_dates)

),

as_of as (

    select reporting_dates.as_of_date from reporting_dates

),

ranked as (

    select
        orders.*,
        -- fct_orders numbers each customer's orders by placed_at then order_id; orders after the as-of date
        -- come after every order kept, so the first is the same
        orders.customer_order_number as order_rank,
        orders.order_date > {{ dbt.dateadd('month', -12, '(select as_of.as_of_date from as_of)') }}
            as is_in_last_12_months
    from orders

),

summarised as (

    select
        ranked.golden_customer_id,
        min(ranked.placed_at) as first_order_at,
        min(ranked.order_date) as first_order_date,
        max(ranked.order_date) as last_order_date,
        max(case when ranked.order_rank = 1 then ranked.order_id end) as first_order_id,
        max(case when ranked.order_rank = 1 then ranked.acquisition_channel end) as acquisition_channel,
        max(case when ranked.order_rank = 1 then ranked.discount_code end) as first_order_discount_code,
        coalesce(bool_or(ranked.order_rank = 1 and ranked.used_first_order_discount), false)
            as used_first_order_discount,
        count(*) as lifetime_orders,
        sum(ranked.units) as lifetime_units,
        sum(ranked.net_amount_reporting) as lifetime_net_amount_reporting,
        sum(ranked.net_amount_after_refunds_reporting) as lifetime_net_revenue_reporting,
        count(case when ranked.is_in_last_12_months then 1 end) as orders_last_12_months,
        sum(case when ranked.is_in_last_12_months then ranked.net_amount_reporting end)
            as net_amount_last_12_months_reporting,
        count(distinct case
            when ranked.is_in_last_12_months then {{ dbt.date_trunc('month', 'ranked.order_date') }}
        end) as active_months_last_12_months
    from ranked
    group by ranked.golden_customer_id

),

final as (

    select
        summarised.golden_customer_id,
        as_of.as_of_date,
        summarised.first_order_at,
        summarised.first_order_date,
        summarised.last_order_date,
        summarised.first_order_id,
        summarised.acquisition_channel,
        summarised.first_order_discount_code,
        summarised.used_first_order_discount,
        summarised.lifetime_orders,
        summarised.lifetime_units,
        summarised.lifetime_net_amount_reporting,
        summarised.lifetime_net_revenue_reporting,
        summarised.lifetime_net_amount_reporting / summarised.lifetime_orders as average_order_value_reporting,
        summarised.lifetime_units / summarised.lifetime_orders as average_units_per_order,
        summarised.orders_last_12_months,
        coalesce(summarised.net_amount_last_12_months_reporting, 0) as net_amount_last_12_months_reporting,
        coalesce(summarised.net_amount_last_12_months_reporting, 0)
        / nullif(summarised.orders_last_12_months, 0) as average_order_value_last_12_months_reporting,
        summarised.active_months_last_12_months,
        {{ dbt.datediff('summarised.last_order_date', 'as_of.as_of_date', 'day') }} as days_since_last_order,  -- noqa: LT05
        {{ dbt.datediff('summarised.first_order_date', 'as_of.as_of_date', 'day') }} as days_since_first_order  -- noqa: LT05
    from summarised
    cross join as_of

)

select * from final
