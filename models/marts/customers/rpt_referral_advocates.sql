-- One row per advocate (a golden customer who made a CRM referral or listed a friend in MDM on or before the
-- as-of date): friends listed, referrals made and their rate per quarter over a trailing window, referred
-- customers who bought and their revenue net of refunds, the longest chain of converted referrals starting
-- at the advocate, and self-referral / duplicate-contact suspicions.
with recursive reporting_dates as (

    select * from {{ ref('int_reporting_dates') }}

),

referrals as (

    select * from {{ ref('fct_referrals') }}
    where linked_date <= (select reporting_dates.as_of_date from reporting_dates)

),

as_of as (

    select reporting_dates.as_of_date from reporting_dates

),

rate_window as (

    select
        as_of_date,
        cast(
            {{ dbt.dateadd('month', -var('referral_rate_window_months'), 'as_of_date') }}
            as date
        ) as window_start_date
    from as_of

),

chain_edges as (

    -- converted links between two different customers; self-referrals cannot extend a chain
    select distinct
        advocate_golden_customer_id as from_customer_id,
        referred_golden_customer_id as to_customer_id
    from referrals
    where
        has_converted
        and not is_self_referral
        and referred_golden_customer_id <> advocate_golden_customer_id

),

chains as (

    -- every simple path advocate -> referred customer -> who they referred ..., up to the depth cap;
    -- the path string guards against cycles (a customer never appears twice on one path)
    select
        from_customer_id as root_customer_id,
        to_customer_id as node_customer_id,
        1 as chain_length,
        '|' || from_customer_id || '|' || to_customer_id || '|' as visited_path
    from chain_edges
    union all
    select
        chains.root_customer_id,
        chain_edges.to_customer_id as node_customer_id,
        chains.chain_length + 1 as chain_length,
        chains.visited_path || chain_edges.to_customer_id || '|' as visited_path
    from chains
    inner join chain_edges
        on chains.node_customer_id = chain_edges.from_customer_id
    where
        chains.chain_length < {{ var('referral_chain_max_depth') }}
        and {{ dbt.position("'|' || chain_edges.to_customer_id || '|'", "chains.visited_path") }} = 0

),

chain_depths as (

    select
        root_customer_id,
        max(chain_length) as chain_depth
    from chains
    group by root_customer_id

),

referred_buyers as (

    -- each referred customer who bought counts once per advocate, however many edges point at them;
    -- suspected self-referrals do not count
    select distinct
        advocate_golden_customer_id,
        referred_golden_customer_id,
        referred_net_amount_after_refunds_reporting
    from referrals
    where has_converted and not is_self_referral

),

buyer_totals as (

    select
        advocate_golden_customer_id,
        count(*) as referred_customers_who_bought,
        sum(referred_net_amount_after_refunds_reporting) as referred_net_amount_after_refunds_reporting
    from referred_buyers
    group by advocate_golden_customer_id

),

edge_totals as (

    select
        referrals.advocate_golden_customer_id,
        count(*) filter (where referrals.edge_type = 'friends_family') as friends_listed,
        count(*) filter (where referrals.edge_type = 'referral') as referrals_made,
        count(*) filter (
            where
            referrals.edge_type = 'referral'
            and referrals.linked_date > rate_window.window_start_date
        ) as referrals_in_window,
        min(referrals.linked_at) filter (where referrals.edge_type = 'referral') as first_referred_at,
        max(referrals.linked_at) filter (where referrals.edge_type = 'referral') as last_referred_at,
        count(distinct referrals.referred_golden_customer_id) filter (
            where not referrals.is_self_referral
        ) as referred_customers_known,
        count(*) filter (where referrals.is_self_referral) as self_referrals,
        count(*) filter (where referrals.is_duplicate_contact) as duplicate_contact_links
    from referrals
    cross join rate_window
    group by referrals.advocate_golden_customer_id

),

final as (

    select
        edge_totals.advocate_golden_customer_id,
        as_of.as_of_date,
        edge_totals.friends_listed,
        edge_totals.referrals_made,
        edge_totals.referrals_in_window,
        cast(
            edge_totals.referrals_in_window * 3.0 / {{ var('referral_rate_window_months') }} as decimal(18, 2)
        ) as referrals_per_quarter,
        edge_totals.first_referred_at,
        edge_totals.last_referred_at,
        edge_totals.referred_customers_known,
        coalesce(buyer_totals.referred_customers_who_bought, 0) as referred_customers_who_bought,
        {{ to_decimal("
            coalesce(buyer_totals.referred_net_amount_after_refunds_reporting, 0)",
            18, 4
        ) }} as referred_net_amount_after_refunds_reporting,
        cast(coalesce(chain_depths.chain_depth, 0) as integer) as chain_depth,
        edge_totals.self_referrals,
        edge_totals.duplicate_contact_links
    from edge_totals
    cross join as_of
    left join buyer_totals
        on edge_totals.advocate_golden_customer_id = buyer_totals.advocate_golden_customer_id
    left join chain_depths
        on edge_totals.advocate_golden_customer_id = chain_depths.root_customer_id

)

select * from final
