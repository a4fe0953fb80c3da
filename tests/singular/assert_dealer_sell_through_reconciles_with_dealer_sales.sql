{{ config(meta={'dagster': {'ref': {'name': 'rpt_dealer_sell_through'}}}) }}
-- rpt_dealer_sell_through adds up to fct_dealer_sales (units and revenue, own and competitor) and to the
-- dealers' purchases. Rows returned are dealers whose totals differ.
with sell_through as (

    select * from {{ ref('rpt_dealer_sell_through') }}

),

dealer_sales as (

    select * from {{ ref('fct_dealer_sales') }}

),

purchases as (

    select * from {{ ref('stg_dealer_portal__dealer_purchases') }}

),

report_totals as (

    select
        dealer_id,
        sum(own_units_sold + competitor_units_sold) as units_sold,
        sum(total_revenue_reporting) as revenue_reporting,
        sum(own_units_purchased) as units_purchased
    from sell_through
    group by dealer_id

),

sales_totals as (

    select
        dealer_id,
        sum(quantity) as units_sold,
        sum(coalesce(revenue_amount_reporting, 0)) as revenue_reporting
    from dealer_sales
    group by dealer_id

),

purchase_totals as (

    select
        dealer_id,
        sum(quantity) as units_purchased
    from purchases
    group by dealer_id

)

select
    coalesce(report_totals.dealer_id, sales_totals.dealer_id, purchase_totals.dealer_id) as dealer_id,
    report_totals.units_sold,
    sales_totals.units_sold as expected_units_sold,
    report_totals.units_purchased,
    purchase_totals.units_purchased as expected_units_purchased
from report_totals
full outer join sales_totals
    on report_totals.dealer_id = sales_totals.dealer_id
full outer join purchase_totals
    on coalesce(report_totals.dealer_id, sales_totals.dealer_id) = purchase_totals.dealer_id
where
    coalesce(report_totals.units_sold, 0) <> coalesce(sales_totals.units_sold, 0)
    or abs(coalesce(report_totals.revenue_reporting, 0) - coalesce(sales_totals.revenue_reporting, 0)) > 0.01
    or coalesce(report_totals.units_purchased, 0) <> coalesce(purchase_totals.units_purchased, 0)
