with checked as (

    select * from {{ ref('base_marketing__campaigns') }}

),

staged as (

    select
        campaign_id,
        campaign_name,
        campaign_type,
        discount_code,
        cost_amount,
        currency_code,
        starts_at,
        ends_at,
        loaded_at
    from checked
    where quarantine_reason is null

)

select * from staged
