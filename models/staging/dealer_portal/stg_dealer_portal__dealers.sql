with checked as (

    select * from {{ ref('base_dealer_portal__dealers') }}

),

staged as (

    select
        dealer_id,
        dealer_name,
        country_code,
        region,
        tier,
        joined_at,
        shop_customer_id,
        loaded_at
    from checked
    where quarantine_reason is null

)

select * from staged
