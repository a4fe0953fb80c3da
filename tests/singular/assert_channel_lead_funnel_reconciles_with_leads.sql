{{ config(meta={'dagster': {'ref': {'name': 'rpt_lead_funnel'}}}) }}
-- The lead funnel loses and invents nothing: per dealer, its counts and won revenue equal those of fct_leads,
-- and every staged lead event's lead-dealer pair is a row of fct_leads. Rows returned are mismatches.
with funnel as (

    select * from {{ ref('rpt_lead_funnel') }}

),

leads as (

    select * from {{ ref('fct_leads') }}

),

lead_events as (

    select * from {{ ref('stg_marketing__lead_events') }}

),

funnel_by_dealer as (

    select
        dealer_id,
        sum(leads_assigned) as leads_assigned,
        sum(leads_won) as leads_won,
        sum(won_amount_reporting) as won_amount_reporting
    from funnel
    group by dealer_id

),

leads_by_dealer as (

    select
        dealer_id,
        count(*) as leads_assigned,
        sum(case when is_won then 1 else 0 end) as leads_won,
        coalesce(sum(won_amount_reporting), 0) as won_amount_reporting
    from leads
    group by dealer_id

),

mismatched_dealers as (

    select coalesce(funnel_by_dealer.dealer_id, leads_by_dealer.dealer_id) as dealer_id
    from funnel_by_dealer
    full outer join leads_by_dealer
        on funnel_by_dealer.dealer_id = leads_by_dealer.dealer_id
    where
        funnel_by_dealer.leads_assigned is distinct from leads_by_dealer.leads_assigned
        or funnel_by_dealer.leads_won is distinct from leads_by_dealer.leads_won
        or funnel_by_dealer.won_amount_reporting is distinct from leads_by_dealer.won_amount_reporting

),

missing_pairs as (

    select distinct lead_events.lead_id || '|' || lead_events.dealer_id as dealer_id
    from lead_events
    left join leads
        on
            lead_events.lead_id = leads.lead_id
            and lead_events.dealer_id = leads.dealer_id
    where leads.lead_id is null

)

select * from mismatched_dealers
union all
select * from missing_pairs
