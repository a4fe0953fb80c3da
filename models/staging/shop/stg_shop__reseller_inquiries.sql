-- Free text (`meta.content: free_text` in the contract) leaves staging with e-mail addresses, phone and card-like
-- numbers masked (scrub_personal_data), so no mart, serving file or extract receives them.
with checked as (

    select * from {{ ref('base_shop__reseller_inquiries') }}

),

staged as (

    select
        inquiry_id,
        customer_id,
        inquiry_channel,
        {{ scrub_personal_data('message') }} as message,
        inquired_at,
        loaded_at
    from checked
    where quarantine_reason is null

)

select * from staged
