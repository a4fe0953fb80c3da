-- The leads each dealer was sent, one row per lead and dealer, as dealers receive them. The lead id is here in
-- clear: the extract writer replaces it with a keyed hash (its secret never enters the warehouse) and adds the
-- contact details of consented leads from the publication's lead-contact snapshot, for dealers whose agreement
-- covers them. Contact details, the assignment id and the load time are not part of this dataset.

with leads as (

    select * from {{ ref('fct_leads') }}

),

final as (

    select
        lead_id,
        dealer_id,
        assignment_number,
        is_bounced,
        is_received_from_other_dealer,
        is_passed_to_other_dealer,
        lead_source,
        campaign_id,
        country_code,
        region,
        created_at,
        assigned_at,
        assigned_month,
        accepted_at,
        declined_at,
        first_contact_at,
        closed_at,
        lead_stage,
        response_hours,
        first_contact_hours,
        is_won,
        is_lost,
        won_currency_code,
        won_amount,
        won_amount_reporting,
        has_contact_consent
    from leads

)

select * from final
