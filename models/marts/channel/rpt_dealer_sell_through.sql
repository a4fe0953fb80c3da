-- One row per dealer, month and product category: the sell-through the dealer reported (our brand and
-- competitor brands, reporting currency), our share of the dealer's category sales, and what it bought from us
-- in that category and month.

with dealer_sales as (

    select * from {{ ref('fct_dealer_sales') }}

),

purchases as (

    select * from {{ ref('int_dealer_purchases_converted') }}

),

sales_by_category as (

    select
        dealer_id,
        period_month,
        product_category,
        sum(case when is_own_brand then quantity else 0 end) as own_units_sold,
        sum(case when not is_own_brand then quantity else 0 end) as competitor_units_sold,
        sum(case when is_own_brand then revenue_amount_reporting else 0 end) as own_revenue_reporting,
        sum(case when not is_own_brand then revenue_amount_reporting else 0 end) as competitor_revenue_reporting
    from dealer_sales
    group by dealer_id, period_month, product_category

),

purchases_by_category as (

    select
        dealer_id,
        period_month,
        product_category,
        sum(quantity) as own_units_purchased,
        sum(purchase_amount_reporting) as own_purchase_amount_reporting
    from purchases
    group by dealer_id, period_month, product_category

),

joined as (

    select
        coalesce(sales_by_category.dealer_id, purchases_by_category.dealer_id) as dealer_id,
        coalesce(sales_by_category.period_month, purchases_by_category.period_month) as period_month,
        coalesce(sales_by_category.product_category, purchases_by_category.product_category) as product_category,
        coalesce(sales_by_category.own_units_sold, 0) as own_units_sold,
        coalesce(sales_by_category.competitor_units_sold, 0) as competitor_units_sold,
        coalesce(sales_by_category.own_revenue_reporting, 0) as own_revenue_reporting,
        coalesce(sales_by_category.competitor_revenue_reporting, 0) as competitor_revenue_reporting,
        coalesce(purchases_by_category.own_units_purchased, 0) as own_units_purchased,
        coalesce(purchases_by_category.own_purchase_amount_reporting, 0) as own_purchase_amount_reporting
    from sales_by_category
    full outer join purchases_by_category
        on
            sales_by_category.dealer_id = purchases_by_category.dealer_id
            and sales_by_category.period_month = purchases_by_category.period_month
            and sales_by_category.product_category = purchases_by_category.product_category

),

final as (

    select
        dealer_id,
        period_month,
        product_category,
        cast(own_units_sold as bigint) as own_units_sold,
        cast(competitor_units_sold as bigint) as competitor_units_sold,
        {{ to_decimal("own_revenue_reporting", 18, 4) }} as own_revenue_reporting,
        {{ to_decimal("competitor_revenue_reporting", 18, 4) }} as competitor_revenue_reporting,
        {{ to_decimal("own_revenue_reporting + competitor_revenue_reporting", 18, 4) }} as total_revenue_reporting,
        cast(
            own_revenue_reporting / nullif(own_revenue_reporting + competitor_revenue_reporting, 0) as double
        ) as own_revenue_share,
        cast(own_units_purchased as bigint) as own_units_purchased,
        {{ to_decimal("own_purchase_amount_reporting", 18, 4) }} as own_purchase_amount_reporting
    from joined

)

select * from final
