with checked as (

    select * from {{ ref('base_shop__custom_order_requests') }}

),

staged as (

    select
        request_id,
        customer_id,
        product_category,
        quantity_requested,
        description,
        requested_at,
        loaded_at
    from checked
    where quarantine_reason is null

)

select * from staged
