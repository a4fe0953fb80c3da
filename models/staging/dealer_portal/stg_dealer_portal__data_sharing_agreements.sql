with checked as (

    select * from {{ ref('base_dealer_portal__data_sharing_agreements') }}

),

staged as (

    select
        agreement_id,
        dealer_id,
        agreement_version,
        shares_sell_through,
        receives_scorecard,
        receives_lead_funnel,
        receives_lead_contacts,
        receives_campaign_results,
        valid_from,
        valid_to,
        loaded_at
    from checked
    where quarantine_reason is null

)

select * from staged
