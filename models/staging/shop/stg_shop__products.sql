with checked as (

    select * from {{ ref('base_shop__products') }}

),

staged as (

    select
        product_id,
        sku,
        product_name,
        category,
        manufacturer,
        brand,
        is_own_brand,
        supplier,
        list_price,
        currency_code,
        loaded_at
    from checked
    where quarantine_reason is null

)

select * from staged
