-- Full-amount gift and ranking contest campaigns, one row per campaign and participating customer: the
-- customer's qualifying spend (net order value after refunds, in the reporting currency, of orders placed in
-- the campaign window — a refunded order does not qualify), rank, the prize the `campaign_prize_rules` seed
-- gives for that rank and spend, and the campaign's economics: its cost (marketing cost plus prizes)
-- against the incremental spend it drew, the participants' spend in the window minus their spend in the
-- equally long window just before it (their baseline).

with orders as (

    select * from {{ ref('fct_orders') }}

),

campaigns as (

    select * from {{ ref('stg_marketing__campaigns') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_filled') }}

),

prize_rules as (

    select * from {{ ref('campaign_prize_rules') }}

),

contests as (

    select
        campaigns.campaign_id,
        campaigns.campaign_name,
        campaigns.campaign_type,
        campaigns.starts_at,
        campaigns.ends_at,
        campaigns.starts_at - (campaigns.ends_at - campaigns.starts_at) as baseline_starts_at,
        {{ to_decimal("campaigns.cost_amount * fx_rates.rate_to_reporting", 18, 4) }} as marketing_cost_reporting
    from campaigns
    left join fx_rates
        on
            cast(campaigns.starts_at as date) = fx_rates.rate_date
            and campaigns.currency_code = fx_rates.currency_code
    where campaigns.campaign_type in ('full_amount_gift', 'ranking_contest')

),

contest_days as (

    -- every calendar day a contest's baseline period or window touches, so the orders are matched to the contests on
    -- their order day (an equality join) before the exact bounds are applied, instead of a range join of every order
    select
        contests.campaign_id,
        contests.starts_at,
        contests.baseline_starts_at,
        contests.ends_at,
        cast({{ dbt.dateadd('day', 'contests.day_offset', 'cast(contests.baseline_starts_at as date)') }} as date)
            as order_date
    from (
        select
            contests.*,
            {{ explode_integer_range('0', dbt.datediff(
                'cast(contests.baseline_starts_at as date)', 'cast(contests.ends_at as date)', 'day'
            )) }} as day_offset
        from contests
    ) as contests

),

contest_spend as (

    -- each customer's spend in the contest window and in the baseline period of the same length just before it, from
    -- one pass over the orders of both periods; participants are the customers whose window spend is positive
    select
        contests.campaign_id,
        orders.golden_customer_id,
        sum(
            case when orders.placed_at >= contests.starts_at then orders.net_amount_after_refunds_reporting end
        ) as qualifying_spend_reporting,
        sum(
            case when orders.placed_at < contests.starts_at then orders.net_amount_after_refunds_reporting end
        ) as baseline_spend_reporting
    from contest_days as contests
    inner join orders
        on
            contests.order_date = orders.order_date
            and orders.placed_at between contests.baseline_starts_at and contests.ends_at
    group by contests.campaign_id, orders.golden_customer_id
    having
        sum(
            case when orders.placed_at >= contests.starts_at then orders.net_amount_after_refunds_reporting end
        ) > 0

),

ranked as (

    select
        campaign_id,
        golden_customer_id,
        qualifying_spend_reporting,
        coalesce(baseline_spend_reporting, 0) as baseline_spend_reporting,
        row_number() over (
            partition by campaign_id
            order by qualifying_spend_reporting desc, golden_customer_id asc
        ) as spend_rank
    from contest_spend

),

prizes_earned as (

    select
        ranked.*,
        prize_rules.prize_name,
        coalesce(prize_rules.prize_value_reporting, 0) as prize_value_reporting
    from ranked
    inner join contests
        on ranked.campaign_id = contests.campaign_id
    left join prize_rules
        on
            contests.campaign_type = prize_rules.campaign_type
            and ranked.qualifying_spend_reporting >= prize_rules.min_qualifying_spend_reporting
            and (prize_rules.rank_from is null or ranked.spend_rank >= prize_rules.rank_from)
            and (prize_rules.rank_to is null or ranked.spend_rank <= prize_rules.rank_to)

),

campaign_totals as (

    select
        campaign_id,
        count(*) as participant_count,
        count(prize_name) as prize_winner_count,
        sum(qualifying_spend_reporting) as qualifying_spend_reporting,
        sum(baseline_spend_reporting) as baseline_spend_reporting,
        sum(prize_value_reporting) as prize_cost_reporting
    from prizes_earned
    group by campaign_id

),

final as (

    select
        prizes_earned.campaign_id,
        prizes_earned.golden_customer_id,
        contests.campaign_name,
        contests.campaign_type,
        contests.starts_at as campaign_starts_at,
        contests.ends_at as campaign_ends_at,
        {{ to_decimal("prizes_earned.qualifying_spend_reporting", 18, 4) }} as qualifying_spend_reporting,
        {{ to_decimal("prizes_earned.baseline_spend_reporting", 18, 4) }} as baseline_spend_reporting,
        cast(prizes_earned.spend_rank as bigint) as spend_rank,
        prizes_earned.prize_name,
        {{ to_decimal("prizes_earned.prize_value_reporting", 18, 4) }} as prize_value_reporting,
        cast(campaign_totals.participant_count as bigint) as campaign_participant_count,
        cast(campaign_totals.prize_winner_count as bigint) as campaign_prize_winner_count,
        {{ to_decimal("campaign_totals.qualifying_spend_reporting", 18, 4) }} as campaign_spend_reporting,
        {{ to_decimal("campaign_totals.baseline_spend_reporting", 18, 4) }} as campaign_baseline_spend_reporting,
        {{ to_decimal("
            campaign_totals.qualifying_spend_reporting - campaign_totals.baseline_spend_reporting",
            18, 4
        ) }} as campaign_incremental_spend_reporting,
        contests.marketing_cost_reporting as campaign_marketing_cost_reporting,
        {{ to_decimal("campaign_totals.prize_cost_reporting", 18, 4) }} as campaign_prize_cost_reporting,
        {{ to_decimal("
            contests.marketing_cost_reporting + campaign_totals.prize_cost_reporting",
            18, 4
        ) }} as campaign_total_cost_reporting,
        cast(
            cast(campaign_totals.qualifying_spend_reporting - campaign_totals.baseline_spend_reporting as double)
            / nullif(contests.marketing_cost_reporting + campaign_totals.prize_cost_reporting, 0)
            as double
        ) as incremental_spend_per_cost
    from prizes_earned
    inner join contests
        on prizes_earned.campaign_id = contests.campaign_id
    inner join campaign_totals
        on prizes_earned.campaign_id = campaign_totals.campaign_id

)

select * from final
