-- Free text (`meta.content: free_text` in the contract) leaves staging with e-mail addresses, phone and card-like
-- numbers masked (scrub_personal_data), so no mart, serving file or extract receives them.
with checked as (

    select * from {{ ref('base_shop__custom_order_requests') }}

),

staged as (

    select
        request_id,
        customer_id,
        product_category,
        quantity_requested,
        {{ scrub_personal_data('description') }} as description,
        requested_at,
        loaded_at
    from checked
    where quarantine_reason is null

)

select * from staged
