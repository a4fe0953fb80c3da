{{ config(meta={'dagster': {'ref': {'name': 'rpt_campaign_results'}}}) }}

-- Campaign lead figures add up several dealers and go to every dealer. Recomputed here from fct_leads: a
-- published figure needs more than min_peers dealers behind it (so a dealer subtracting its own still faces
-- min_peers others) and no dealer above max_peer_weight_share of leads, won leads or won value; a withheld one
-- shows no figure and gives a reason. Rows returned break it.
with campaign_results as (

    select * from {{ ref('rpt_campaign_results') }}

),

leads as (

    select * from {{ ref('fct_leads') }}

),

peer_benchmark_rules as (

    select * from {{ ref('peer_benchmark_rules') }}

),

rules as (

    select
        max(case when rule_name = 'min_peers' then rule_value end) as min_peers,
        max(case when rule_name = 'max_peer_weight_share' then rule_value end) as max_peer_weight_share
    from peer_benchmark_rules

),

totals as (

    select
        campaign_id,
        count(distinct lead_id) as leads_generated,
        count(distinct case when is_won then lead_id end) as leads_won,
        sum(won_amount_reporting) as won_amount_reporting
    from leads
    where campaign_id is not null
    group by campaign_id

),

per_dealer as (

    select
        campaign_id,
        dealer_id,
        count(distinct lead_id) as leads_generated,
        count(distinct case when is_won then lead_id end) as leads_won,
        sum(won_amount_reporting) as won_amount_reporting
    from leads
    where campaign_id is not null and dealer_id is not null
    group by campaign_id, dealer_id

),

dealer_shares as (

    select
        per_dealer.campaign_id,
        count(*) as dealer_count,
        sum(case when per_dealer.leads_won > 0 then 1 else 0 end) as won_dealer_count,
        max(per_dealer.leads_generated / nullif(totals.leads_generated, 0)) as max_share_generated,
        max(per_dealer.leads_won / nullif(totals.leads_won, 0)) as max_share_won,
        max(per_dealer.won_amount_reporting / nullif(totals.won_amount_reporting, 0)) as max_share_won_amount
    from per_dealer
    inner join totals
        on per_dealer.campaign_id = totals.campaign_id
    group by per_dealer.campaign_id

)

select
    campaign_results.campaign_id,
    campaign_results.is_lead_figures_published,
    campaign_results.lead_figures_withheld_reason,
    dealer_shares.dealer_count,
    dealer_shares.won_dealer_count,
    dealer_shares.max_share_generated,
    dealer_shares.max_share_won,
    dealer_shares.max_share_won_amount
from campaign_results
cross join rules
left join dealer_shares
    on campaign_results.campaign_id = dealer_shares.campaign_id
where
    (
        (
            campaign_results.leads_generated is not null
            or campaign_results.leads_won is not null
            or campaign_results.lead_won_amount_reporting is not null
        )
        and (
            coalesce(dealer_shares.dealer_count, 0) <= rules.min_peers
            or coalesce(dealer_shares.won_dealer_count, 0) <= rules.min_peers
            or dealer_shares.max_share_generated > rules.max_peer_weight_share
            or dealer_shares.max_share_won > rules.max_peer_weight_share
            or dealer_shares.max_share_won_amount > rules.max_peer_weight_share
            or not campaign_results.is_lead_figures_published
        )
    )
    or (
        not campaign_results.is_lead_figures_published
        and campaign_results.lead_figures_withheld_reason is null
    )
