with checked as (

    select * from {{ ref('base_dealer_portal__dealer_purchases') }}

),

staged as (

    select
        purchase_id,
        dealer_id,
        product_id,
        quantity,
        unit_price,
        currency_code,
        shipped_at,
        loaded_at
    from checked
    where quarantine_reason is null

)

select * from staged
