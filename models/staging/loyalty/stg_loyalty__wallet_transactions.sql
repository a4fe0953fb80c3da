with checked as (

    select * from {{ ref('base_loyalty__wallet_transactions') }}

),

staged as (

    select
        transaction_id,
        member_id,
        transaction_type,
        amount,
        points,
        currency_code,
        order_id,
        campaign_id,
        transacted_at,
        loaded_at,
        staged_at
    from checked
    where quarantine_reason is null

)

select * from staged
