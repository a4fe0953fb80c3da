with checked as (

    select * from {{ ref('base_promotions__lottery_draws') }}

),

staged as (

    select
        draw_id,
        campaign_id,
        customer_id,
        order_id,
        prize_id,
        drawn_at,
        loaded_at
    from checked
    where quarantine_reason is null

)

select * from staged
