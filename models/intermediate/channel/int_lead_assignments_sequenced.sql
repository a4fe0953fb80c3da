-- One row per lead and dealer it was assigned to: the lifecycle steps at that dealer from the lead events,
-- the assignment's position in the lead's routing (a declined lead bounces to the next dealer), and the won
-- deal value in the reporting currency at the rate of the day it was won.

with lead_events as (

    select * from {{ ref('stg_marketing__lead_events') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_filled') }}

),

steps as (

    select
        lead_id,
        dealer_id,
        min(case when event_type = 'assigned' then event_at end) as assigned_at,
        min(case when event_type = 'accepted' then event_at end) as accepted_at,
        min(case when event_type = 'declined' then event_at end) as declined_at,
        min(case when event_type = 'contacted' then event_at end) as first_contact_at,
        min(case when event_type = 'won' then event_at end) as won_at,
        min(case when event_type = 'lost' then event_at end) as lost_at,
        sum(case when event_type = 'won' then won_amount end) as won_amount,
        max(case when event_type = 'won' then currency_code end) as won_currency_code,
        min(event_at) as first_event_at,
        max(loaded_at) as loaded_at
    from lead_events
    group by lead_id, dealer_id

),

timed as (

    select
        *,
        coalesce(accepted_at, declined_at) as responded_at
    from steps

),

sequenced as (

    select
        *,
        {{ dbt.datediff('assigned_at', 'responded_at', 'second') }} / cast(3600 as double) as response_hours,  -- noqa: LT05
        {{ dbt.datediff('assigned_at', 'first_contact_at', 'second') }} / cast(3600 as double) as first_contact_hours,  -- noqa: LT05
        row_number() over (
            partition by lead_id order by coalesce(assigned_at, first_event_at), dealer_id
        ) as assignment_number,
        count(*) over (partition by lead_id) as lead_dealer_count
    from timed

),

final as (

    select
        sequenced.lead_id,
        sequenced.dealer_id,
        sequenced.assignment_number,
        sequenced.lead_dealer_count,
        sequenced.assigned_at,
        sequenced.accepted_at,
        sequenced.declined_at,
        sequenced.first_contact_at,
        sequenced.won_at,
        sequenced.lost_at,
        cast(sequenced.response_hours as double) as response_hours,
        cast(sequenced.first_contact_hours as double) as first_contact_hours,
        sequenced.won_amount,
        sequenced.won_currency_code,
        {{ to_decimal("sequenced.won_amount * fx_rates.rate_to_reporting", 18, 4) }} as won_amount_reporting,
        sequenced.loaded_at
    from sequenced
    left join fx_rates
        on
            cast(sequenced.won_at as date) = fx_rates.rate_date
            and sequenced.won_currency_code = fx_rates.currency_code

)

select * from final
