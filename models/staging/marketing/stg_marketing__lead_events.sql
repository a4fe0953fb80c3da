with checked as (

    select * from {{ ref('base_marketing__lead_events') }}

),

staged as (

    select
        lead_event_id,
        lead_id,
        dealer_id,
        event_type,
        won_amount,
        currency_code,
        event_at,
        loaded_at
    from checked
    where quarantine_reason is null

)

select * from staged
