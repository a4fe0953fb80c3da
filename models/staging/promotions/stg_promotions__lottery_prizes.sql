with checked as (

    select * from {{ ref('base_promotions__lottery_prizes') }}

),

staged as (

    select
        prize_id,
        campaign_id,
        prize_name,
        advertised_odds,
        stock_quantity,
        prize_value_amount,
        currency_code,
        loaded_at
    from checked
    where quarantine_reason is null

)

select * from staged
