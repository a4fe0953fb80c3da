-- Each dealer's own sell-through as it receives it back: by month and product category, with our share of
-- its category sales and what it bought from us.

with sell_through as (

    select * from {{ ref('rpt_dealer_sell_through') }}

),

final as (

    select
        dealer_id,
        period_month,
        product_category,
        own_units_sold,
        competitor_units_sold,
        own_revenue_reporting,
        competitor_revenue_reporting,
        total_revenue_reporting,
        own_revenue_share,
        own_units_purchased,
        own_purchase_amount_reporting
    from sell_through

)

select * from final
