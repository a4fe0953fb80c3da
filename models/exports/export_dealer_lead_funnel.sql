-- The lead funnel as dealers receive it: each dealer's leads at every funnel step by month of assignment,
-- region and lead source.

with lead_funnel as (

    select * from {{ ref('rpt_lead_funnel') }}

),

final as (

    select
        assigned_month,
        dealer_id,
        region,
        lead_source,
        leads_assigned,
        leads_accepted,
        leads_declined,
        leads_contacted,
        leads_won,
        leads_lost,
        leads_open,
        leads_bounced_in,
        leads_bounced_out,
        leads_answered,
        response_hours_total,
        response_hours_mean,
        response_hours_median,
        conversion_rate,
        won_amount_reporting
    from lead_funnel

)

select * from final
