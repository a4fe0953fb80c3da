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
        reason,
        refunded_at,
        loaded_at
    from checked
    where quarantine_reason is null

)

select * from staged
