-- One row per lead and dealer it was routed to (a lead a dealer declines bounces to another dealer, so it
-- has one row per dealer): source, campaign and region of the lead, each lifecycle step at that dealer,
-- response time, outcome and the revenue won. Contact details are PII; extracts pass them on only where the
-- lead consented and the dealer's agreement covers lead contacts.

with assignments as (

    select * from {{ ref('int_lead_assignments_sequenced') }}

),

leads as (

    select * from {{ ref('stg_marketing__leads') }}

),

final as (

    select
        assignments.lead_id || '|' || assignments.dealer_id as lead_assignment_id,
        assignments.lead_id,
        assignments.dealer_id,
        cast(assignments.assignment_number as integer) as assignment_number,
        assignments.lead_dealer_count > 1 as is_bounced,
        assignments.assignment_number > 1 as is_received_from_other_dealer,
        assignments.declined_at is not null
        and assignments.assignment_number < assignments.lead_dealer_count as is_passed_to_other_dealer,
        leads.lead_source,
        leads.campaign_id,
        leads.country_code,
        leads.region,
        leads.created_at,
        assignments.assigned_at,
        cast({{ dbt.date_trunc('month', 'coalesce(assignments.assigned_at, leads.created_at)') }} as date)
            as assigned_month,
        assignments.accepted_at,
        assignments.declined_at,
        assignments.first_contact_at,
        coalesce(assignments.won_at, assignments.lost_at) as closed_at,
        case
            when assignments.won_at is not null then 'won'
            when assignments.lost_at is not null then 'lost'
            when assignments.declined_at is not null then 'declined'
            when assignments.first_contact_at is not null then 'contacted'
            when assignments.accepted_at is not null then 'accepted'
            else 'assigned'
        end as lead_stage,
        assignments.response_hours,
        assignments.first_contact_hours,
        assignments.won_at is not null as is_won,
        assignments.lost_at is not null as is_lost,
        assignments.won_currency_code,
        {{ to_decimal("assignments.won_amount", 18, 4) }} as won_amount,
        {{ to_decimal("assignments.won_amount_reporting", 18, 4) }} as won_amount_reporting,
        coalesce(leads.has_contact_consent, false) as has_contact_consent,
        leads.contact_name,
        leads.contact_email,
        leads.contact_phone,
        assignments.loaded_at
    from assignments
    left join leads
        on assignments.lead_id = leads.lead_id

)

select * from final
