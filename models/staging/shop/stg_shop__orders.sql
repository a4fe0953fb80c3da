with checked as (

    select * from {{ ref('base_shop__orders') }}

),

staged as (

    select
        order_id,
        customer_id,
        placed_at,
        placed_at_local,
        currency_code,
        sales_channel,
        acquisition_channel,
        discount_code,
        dealer_id,
        loaded_at,
        staged_at
    from checked
    where quarantine_reason is null

)

select * from staged
