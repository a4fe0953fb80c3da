-- One row per month of assignment, dealer, lead region and lead source: how many leads reached each step of
-- the funnel, how fast the dealer answered, how many converted and what they were worth, and how many leads
-- bounced in from or out to another dealer. Sums add up across any of the four dimensions (response and
-- conversion rates can be recomputed from the sums and counts).

with leads as (

    select * from {{ ref('fct_leads') }}

),

final as (

    select
        assigned_month,
        dealer_id,
        coalesce(region, 'unknown') as region,
        coalesce(lead_source, 'unknown') as lead_source,
        count(*) as leads_assigned,
        count(accepted_at) as leads_accepted,
        count(declined_at) as leads_declined,
        count(first_contact_at) as leads_contacted,
        cast(sum(case when is_won then 1 else 0 end) as bigint) as leads_won,
        cast(sum(case when is_lost then 1 else 0 end) as bigint) as leads_lost,
        cast(
            sum(case when accepted_at is not null and not is_won and not is_lost then 1 else 0 end) as bigint
        ) as leads_open,
        cast(sum(case when is_received_from_other_dealer then 1 else 0 end) as bigint) as leads_bounced_in,
        cast(sum(case when is_passed_to_other_dealer then 1 else 0 end) as bigint) as leads_bounced_out,
        count(response_hours) as leads_answered,
        cast({{ sum_of_hours('response_hours') }} as double) as response_hours_total,
        cast({{ mean_of_hours('response_hours') }} as double) as response_hours_mean,
        cast(percentile_cont(0.5) within group (order by response_hours) as double) as response_hours_median,
        cast(
            sum(case when is_won then 1 else 0 end)
            / nullif(sum(case when is_won or is_lost then 1 else 0 end), 0) as double
        ) as conversion_rate,
        {{ to_decimal("coalesce(sum(won_amount_reporting), 0)", 18, 4) }} as won_amount_reporting
    from leads
    group by assigned_month, dealer_id, coalesce(region, 'unknown'), coalesce(lead_source, 'unknown')

)

select * from final
