-- One row per shipment line we sent a dealer: the product's category, the month shipped, and the purchase
-- value in the reporting currency at the rate of the shipping day.

with dealer_purchases as (

    select * from {{ ref('stg_dealer_portal__dealer_purchases') }}

),

products as (

    select * from {{ ref('stg_shop__products') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_filled') }}

),

final as (

    select
        dealer_purchases.purchase_id,
        dealer_purchases.dealer_id,
        dealer_purchases.product_id,
        products.category as product_category,
        cast({{ dbt.date_trunc('month', 'dealer_purchases.shipped_at') }} as date) as period_month,
        dealer_purchases.quantity,
        dealer_purchases.quantity * dealer_purchases.unit_price as purchase_amount,
        dealer_purchases.quantity * dealer_purchases.unit_price * fx_rates.rate_to_reporting
            as purchase_amount_reporting
    from dealer_purchases
    left join products
        on dealer_purchases.product_id = products.product_id
    left join fx_rates
        on
            cast(dealer_purchases.shipped_at as date) = fx_rates.rate_date
            and dealer_purchases.currency_code = fx_rates.currency_code

)

select * from final
