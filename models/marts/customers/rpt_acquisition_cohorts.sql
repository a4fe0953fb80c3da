-- One row per acquisition cohort (first-order month × acquisition channel × first-order offer) and month
-- since the first order (0 up to the as-of month): customers in the cohort, how many ordered that month
-- (retention), their revenue that month (net sales of orders placed in the month minus refunds made in the
-- month, so refunds count in the period they happen) and cumulatively per cohort customer, and the share of
-- bargain hunters (first order used a first-order discount, no order since, as of the as-of date).
with reporting_dates as (

    select * from {{ ref('int_reporting_dates') }}

),

orders as (

    select * from {{ ref('fct_orders') }}
    where order_date <= (select reporting_dates.as_of_date from reporting_dates)

),

-- the first orders again, read by one CTE only: every other figure comes from one pass over the orders
-- (customer_months), so the engine streams the 20-million-row fact instead of holding a copy of it
first_order_rows as (

    select * from {{ ref('fct_orders') }}
    where is_first_order and order_date <= (select reporting_dates.as_of_date from reporting_dates)

),

refunds as (

    select * from {{ ref('fct_refunds') }}
    where refund_date <= (select reporting_dates.as_of_date from reporting_dates)

),

campaigns as (

    select * from {{ ref('stg_marketing__campaigns') }}

),

as_of as (

    select reporting_dates.as_of_date from reporting_dates

),

offer_campaigns as (

    select
        discount_code,
        min(campaign_id) as campaign_id
    from campaigns
    where discount_code is not null
    group by discount_code

),

customer_months as (

    -- each customer's orders per calendar month: one row per customer active in the month
    select
        golden_customer_id,
        cast({{ dbt.date_trunc('month', 'order_date') }} as date) as calendar_month,
        count(*) as order_count,
        sum(net_amount_reporting) as net_sales_amount_reporting
    from orders
    group by golden_customer_id, calendar_month

),

customer_order_counts as (

    select
        golden_customer_id,
        sum(order_count) as order_count
    from customer_months
    group by golden_customer_id

),

first_orders as (

    select
        first_order_rows.golden_customer_id,
        cast({{ dbt.date_trunc('month', 'first_order_rows.order_date') }} as date) as cohort_month,
        coalesce(first_order_rows.acquisition_channel, 'unknown') as acquisition_channel,
        coalesce(first_order_rows.discount_code, 'none') as first_order_offer,
        first_order_rows.used_first_order_discount and customer_order_counts.order_count = 1 as is_bargain_hunter
    from first_order_rows
    inner join customer_order_counts
        on first_order_rows.golden_customer_id = customer_order_counts.golden_customer_id

),

cohorts as (

    select
        cohort_month,
        acquisition_channel,
        first_order_offer,
        count(*) as customers_in_cohort,
        count(*) filter (where is_bargain_hunter) as bargain_hunters
    from first_orders
    group by cohort_month, acquisition_channel, first_order_offer

),

calendar_months as (

    select distinct cast({{ dbt.date_trunc('month', 'calendar_date') }} as date) as calendar_month
    from (
        {{ date_series("(select min(cohort_month) from first_orders)", "(select as_of_date from as_of)") }}
    ) as calendar_days

),

cohort_months as (

    select
        cohorts.*,
        calendar_months.calendar_month,
        cast(
            {{ dbt.datediff('cohorts.cohort_month', 'calendar_months.calendar_month', 'month') }}
            as integer
        ) as months_since_first_order
    from cohorts
    inner join calendar_months
        on cohorts.cohort_month <= calendar_months.calendar_month

),

customer_refund_months as (

    -- each customer's refunds per calendar month they were made in (never before the order's day)
    select
        golden_customer_id,
        cast({{ dbt.date_trunc('month', 'greatest(refund_date, order_date)') }} as date) as calendar_month,
        sum(refund_amount_reporting) as refunded_amount_reporting
    from refunds
    where order_date <= (select reporting_dates.as_of_date from reporting_dates)
    group by golden_customer_id, calendar_month

),

monthly_activity as (

    select
        first_orders.cohort_month,
        first_orders.acquisition_channel,
        first_orders.first_order_offer,
        customer_months.calendar_month,
        count(*) as active_customers,
        sum(customer_months.net_sales_amount_reporting) as net_sales_amount_reporting
    from customer_months
    inner join first_orders
        on customer_months.golden_customer_id = first_orders.golden_customer_id
    group by
        first_orders.cohort_month,
        first_orders.acquisition_channel,
        first_orders.first_order_offer,
        customer_months.calendar_month

),

monthly_refunds as (

    select
        first_orders.cohort_month,
        first_orders.acquisition_channel,
        first_orders.first_order_offer,
        customer_refund_months.calendar_month,
        sum(customer_refund_months.refunded_amount_reporting) as refunded_amount_reporting
    from customer_refund_months
    inner join first_orders
        on customer_refund_months.golden_customer_id = first_orders.golden_customer_id
    group by
        first_orders.cohort_month,
        first_orders.acquisition_channel,
        first_orders.first_order_offer,
        customer_refund_months.calendar_month

),

measured as (

    select
        cohort_months.cohort_month,
        cohort_months.acquisition_channel,
        cohort_months.first_order_offer,
        cohort_months.months_since_first_order,
        cohort_months.calendar_month,
        cohort_months.customers_in_cohort,
        coalesce(monthly_activity.active_customers, 0) as active_customers,
        coalesce(monthly_activity.net_sales_amount_reporting, 0) as net_sales_amount_reporting,
        coalesce(monthly_refunds.refunded_amount_reporting, 0) as refunded_amount_reporting,
        coalesce(monthly_activity.net_sales_amount_reporting, 0)
        - coalesce(monthly_refunds.refunded_amount_reporting, 0) as net_amount_after_refunds_reporting,
        sum(
            coalesce(monthly_activity.net_sales_amount_reporting, 0)
            - coalesce(monthly_refunds.refunded_amount_reporting, 0)
        ) over (
            partition by cohort_months.cohort_month, cohort_months.acquisition_channel, cohort_months.first_order_offer
            order by cohort_months.months_since_first_order
            rows between unbounded preceding and current row
        ) as cumulative_net_amount_after_refunds_reporting,
        cohort_months.bargain_hunters
    from cohort_months
    left join monthly_activity
        on
            cohort_months.cohort_month = monthly_activity.cohort_month
            and cohort_months.acquisition_channel = monthly_activity.acquisition_channel
            and cohort_months.first_order_offer = monthly_activity.first_order_offer
            and cohort_months.calendar_month = monthly_activity.calendar_month
    left join monthly_refunds
        on
            cohort_months.cohort_month = monthly_refunds.cohort_month
            and cohort_months.acquisition_channel = monthly_refunds.acquisition_channel
            and cohort_months.first_order_offer = monthly_refunds.first_order_offer
            and cohort_months.calendar_month = monthly_refunds.calendar_month

),

final as (

    select
        measured.cohort_month,
        measured.acquisition_channel,
        measured.first_order_offer,
        offer_campaigns.campaign_id as first_order_offer_campaign_id,
        measured.months_since_first_order,
        measured.calendar_month,
        measured.customers_in_cohort,
        measured.active_customers,
        {{ to_decimal("measured.active_customers * 1.0 / measured.customers_in_cohort", 9, 4) }} as retention_rate,
        {{ to_decimal("measured.net_sales_amount_reporting", 18, 4) }} as net_sales_amount_reporting,
        {{ to_decimal("measured.refunded_amount_reporting", 18, 4) }} as refunded_amount_reporting,
        {{ to_decimal("measured.net_amount_after_refunds_reporting", 18, 4) }} as net_amount_after_refunds_reporting,
        {{ to_decimal("
            measured.cumulative_net_amount_after_refunds_reporting / measured.customers_in_cohort",
            18, 4
        ) }} as cumulative_net_amount_per_customer_reporting,
        measured.bargain_hunters,
        {{ to_decimal("measured.bargain_hunters * 1.0 / measured.customers_in_cohort", 9, 4) }} as bargain_hunter_share
    from measured
    left join offer_campaigns
        on measured.first_order_offer = offer_campaigns.discount_code

)

select * from final
