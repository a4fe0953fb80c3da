-- One row per sell-through line a dealer reported: our product or a competitor's, units and revenue
-- in the reported currency and in the reporting currency (at the rate of the month's first day).
-- A table rebuilt in full every build (a few hundred thousand lines for two thousand dealers): a report
-- file that lands late, a rate or product that lands later, or a line quarantined later all reach it.

with dealer_sales as (

    select * from {{ ref('stg_dealer_portal__dealer_sales') }}

),

products as (

    select * from {{ ref('stg_shop__products') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_filled') }}

),

final as (

    select
        dealer_sales.report_line_id,
        dealer_sales.dealer_id,
        dealer_sales.period_month,
        dealer_sales.product_id,
        coalesce(products.brand, dealer_sales.competitor_brand) as brand,
        dealer_sales.product_id is not null and coalesce(products.is_own_brand, false) as is_own_brand,
        dealer_sales.category as product_category,
        dealer_sales.quantity,
        dealer_sales.currency_code,
        {{ to_decimal("dealer_sales.revenue_amount", 18, 4) }} as revenue_amount,
        cast(fx_rates.rate_to_reporting as double) as fx_rate_to_reporting,
        {{ to_decimal("dealer_sales.revenue_amount * fx_rates.rate_to_reporting", 18, 4) }} as revenue_amount_reporting,
        dealer_sales.loaded_at
    from dealer_sales
    left join products
        on dealer_sales.product_id = products.product_id
    left join fx_rates
        on
            dealer_sales.period_month = fx_rates.rate_date
            and dealer_sales.currency_code = fx_rates.currency_code

)

select * from final
