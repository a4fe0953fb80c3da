-- One row per data-sharing agreement version: what the dealer shares with us and what it receives, and
-- when the version applies. A dealer's agreement on a date is its highest version valid on that date.

with agreements as (

    select * from {{ ref('stg_dealer_portal__data_sharing_agreements') }}

),

final as (

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
        agreement_version = max(agreement_version) over (partition by dealer_id) as is_latest_version
    from agreements

)

select * from final
