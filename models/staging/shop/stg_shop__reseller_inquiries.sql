with checked as (

    select * from {{ ref('base_shop__reseller_inquiries') }}

),

staged as (

    select
        inquiry_id,
        customer_id,
        inquiry_channel,
        message,
        inquired_at,
        loaded_at
    from checked
    where quarantine_reason is null

)

select * from staged
