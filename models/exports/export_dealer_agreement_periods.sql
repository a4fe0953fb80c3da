-- Which data-sharing agreement version is in force for a dealer on any date: one row per dealer and span of days
-- during which one version applies. On a date, a dealer's agreement is its highest version valid that day (valid
-- from valid_from through valid_to, open when valid_to is null; the higher agreement id breaks a tie of versions).
-- The set of valid versions changes only on a valid_from or the day after a valid_to, so the rule is applied once
-- per span between those boundaries, and neighbouring spans with the same winner are joined. The extract writer
-- picks the row whose span holds its as-of date: at most one per dealer, none on a day without a valid version.

with agreements as (

    select * from {{ ref('dim_dealer_agreements') }}

),

boundaries as (

    select
        dealer_id,
        valid_from as span_start_date
    from agreements
    where valid_from is not null

    union

    select
        dealer_id,
        cast({{ dbt.dateadd('day', 1, 'valid_to') }} as date) as span_start_date
    from agreements
    where valid_to is not null

),

spans as (

    select
        dealer_id,
        span_start_date,
        lead(span_start_date) over (partition by dealer_id order by span_start_date) as next_span_start_date
    from boundaries

),

ranked as (

    select
        spans.dealer_id,
        spans.span_start_date,
        cast({{ dbt.dateadd('day', -1, 'spans.next_span_start_date') }} as date) as span_end_date,
        agreements.agreement_id,
        agreements.agreement_version,
        agreements.shares_sell_through,
        agreements.receives_scorecard,
        agreements.receives_lead_funnel,
        agreements.receives_lead_contacts,
        agreements.receives_campaign_results,
        row_number() over (
            partition by spans.dealer_id, spans.span_start_date
            order by agreements.agreement_version desc, agreements.agreement_id desc
        ) as version_rank
    from spans
    inner join agreements
        on
            spans.dealer_id = agreements.dealer_id
            and spans.span_start_date >= agreements.valid_from
            and (agreements.valid_to is null or spans.span_start_date <= agreements.valid_to)

),

in_force as (

    select
        *,
        lag(agreement_id) over (partition by dealer_id order by span_start_date) as previous_agreement_id,
        lag(span_end_date) over (partition by dealer_id order by span_start_date) as previous_span_end_date
    from ranked
    where version_rank = 1

),

joined as (

    select
        *,
        sum(
            case
                when
                    agreement_id = previous_agreement_id
                    and cast({{ dbt.dateadd('day', 1, 'previous_span_end_date') }} as date) = span_start_date
                    then 0
                else 1
            end
        ) over (partition by dealer_id order by span_start_date rows between unbounded preceding and current row)
            as run_number
    from in_force

),

final as (

    select
        dealer_id,
        agreement_id,
        agreement_version,
        shares_sell_through,
        receives_scorecard,
        receives_lead_funnel,
        receives_lead_contacts,
        receives_campaign_results,
        min(span_start_date) as in_force_from_date,
        case when count(span_end_date) = count(*) then max(span_end_date) end as in_force_to_date
    from joined
    group by
        dealer_id,
        run_number,
        agreement_id,
        agreement_version,
        shares_sell_through,
        receives_scorecard,
        receives_lead_funnel,
        receives_lead_contacts,
        receives_campaign_results

)

select * from final
