with checked as (

    select * from {{ ref('base_dealer_portal__dealer_sales') }}

),

staged as (

    select
        report_line_id,
        dealer_id,
        period_month,
        product_id,
        competitor_brand,
        category,
        quantity,
        revenue_amount,
        currency_code,
        loaded_at
    from checked
    where quarantine_reason is null

)

select * from staged
