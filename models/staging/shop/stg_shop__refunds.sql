-- Free text (`meta.content: free_text` in the contract) leaves staging with e-mail addresses, phone and card-like
-- numbers masked (scrub_personal_data), so no mart, serving file or extract receives them.
with checked as (

    select * from {{ ref('base_shop__refunds') }}

),

staged as (

    select
        refund_id,
        order_id,
        order_line_id,
        refund_amount,
        currency_code,
        {{ scrub_personal_data('reason') }} as reason,
        refunded_at,
        loaded_at,
        staged_at
    from checked
    where quarantine_reason is null

)

select * from staged
