-- Every wallet movement of a member (one wallet per loyalty member) split into the two money buckets and
-- guarded points, with running balances. Set-based: no loops, only running sums and running minimums.
--
-- Money buckets, in the wallet's currency:
--   * top-ups and other credits are paid money; top-up bonuses and staff goodwill credits are bonus credit;
--   * every debit (spend, staff debit) uses bonus credit first, then paid money. The bonus balance is the
--     running sum X of (bonus credits - debits) reflected at zero: X - least(0, running minimum of X);
--   * a refund credit first gives back the bonus its order's spend used (less what earlier refunds of the
--     order already gave back), then paid money. The bonus a spend used is computed in a first pass where
--     refunds count as paid money; the second pass puts the refunds' bonus share into the bonus bucket.
-- Points: a reversal (negative `points_earned`) takes back at most what its order earned, less what earlier
-- reversals of the order already took back — points are never deducted twice; and no deduction takes more
-- than the member holds (a reversal after the points were redeemed takes back what is left; the rest is
-- `points_refused`). The loyalty system's own redemptions and expiries are expected never to be refused
-- (tested).

with converted as (

    select * from {{ ref('int_wallet_transactions_converted') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_filled') }}

),

recharge_tiers as (

    select * from {{ ref('recharge_tiers') }}

),

programme_rules as (

    select * from {{ ref('loyalty_programme_rules') }}

),

expiry_rule as (

    select cast(rule_value as integer) as points_expiry_days
    from programme_rules
    where rule_name = 'points_expiry_days'

),

classified as (

    select
        converted.transaction_id,
        converted.member_id,
        converted.golden_customer_id,
        converted.transaction_type,
        case
            when converted.transaction_type = 'points_earned' and converted.points < 0 then 'points_reversal'
            when converted.transaction_type = 'manual_adjustment' and (converted.amount > 0 or converted.points > 0)
                then 'goodwill_credit'
            when converted.transaction_type = 'manual_adjustment' then 'adjustment_debit'
            else converted.transaction_type
        end as entry_type,
        converted.transacted_at,
        converted.transaction_date,
        converted.currency_code,
        converted.amount,
        converted.amount_reporting,
        coalesce(fx_rates.rate_to_reporting, 0) as rate_to_reporting,
        converted.points,
        converted.order_id,
        converted.campaign_id,
        converted.loaded_at,
        row_number() over (
            partition by converted.member_id
            order by converted.transacted_at, converted.transaction_id
        ) as entry_sequence
    from converted
    left join fx_rates
        on
            converted.transaction_date = fx_rates.rate_date
            and converted.currency_code = fx_rates.currency_code

),

money_flows as (

    select
        *,
        case
            when amount > 0 and entry_type in ('top_up_bonus', 'goodwill_credit') then amount
            else 0
        end as bonus_credit,
        case when amount < 0 then -amount else 0 end as debit
    from classified

),

first_pass as (

    select
        *,
        sum(bonus_credit - debit) over member_history as bonus_flow_running
    from money_flows
    window member_history as (
        partition by member_id order by entry_sequence rows between unbounded preceding and current row
    )

),

first_pass_balances as (

    select
        *,
        bonus_flow_running - least(0, min(bonus_flow_running) over member_history) as bonus_balance
    from first_pass
    window member_history as (
        partition by member_id order by entry_sequence rows between unbounded preceding and current row
    )

),

spend_bonus_per_order as (

    select
        member_id,
        order_id,
        sum(bonus_used) as bonus_used
    from (
        select
            member_id,
            order_id,
            lag(bonus_balance, 1, 0) over (partition by member_id order by entry_sequence)
            - bonus_balance as bonus_used,
            entry_type
        from first_pass_balances
    ) as debits
    where entry_type = 'spend' and order_id is not null
    group by member_id, order_id

),

refund_splits as (

    select
        money_flows.transaction_id,
        least(
            sum(money_flows.amount) over refund_history,
            coalesce(spend_bonus_per_order.bonus_used, 0)
        ) - least(
            coalesce(sum(money_flows.amount) over refund_history, 0) - money_flows.amount,
            coalesce(spend_bonus_per_order.bonus_used, 0)
        ) as refund_bonus
    from money_flows
    left join spend_bonus_per_order
        on
            money_flows.member_id = spend_bonus_per_order.member_id
            and money_flows.order_id = spend_bonus_per_order.order_id
    where money_flows.entry_type = 'refund_credit' and money_flows.amount > 0
    window refund_history as (
        partition by money_flows.member_id, money_flows.order_id
        order by money_flows.entry_sequence
        rows between unbounded preceding and current row
    )

),

second_pass as (

    select
        money_flows.*,
        money_flows.bonus_credit + coalesce(refund_splits.refund_bonus, 0) as bonus_credit_final
    from money_flows
    left join refund_splits
        on money_flows.transaction_id = refund_splits.transaction_id

),

second_pass_running as (

    select
        *,
        sum(bonus_credit_final - debit) over member_history as bonus_flow_running
    from second_pass
    window member_history as (
        partition by member_id order by entry_sequence rows between unbounded preceding and current row
    )

),

second_pass_balances as (

    select
        *,
        bonus_flow_running - least(0, min(bonus_flow_running) over member_history) as bonus_balance
    from second_pass_running
    window member_history as (
        partition by member_id order by entry_sequence rows between unbounded preceding and current row
    )

),

money_split as (

    select
        *,
        bonus_balance - lag(bonus_balance, 1, 0) over (partition by member_id order by entry_sequence)
            as bonus_amount
    from second_pass_balances

),

points_earned_per_order as (

    select
        member_id,
        order_id,
        sum(points) as points_earned
    from classified
    where entry_type = 'points_earned' and points > 0 and order_id is not null
    group by member_id, order_id

),

reversal_caps as (

    select
        classified.transaction_id,
        least(
            sum(-classified.points) over reversal_history,
            coalesce(points_earned_per_order.points_earned, 0)
        ) - least(
            sum(-classified.points) over reversal_history + classified.points,
            coalesce(points_earned_per_order.points_earned, 0)
        ) as points_taken_back
    from classified
    left join points_earned_per_order
        on
            classified.member_id = points_earned_per_order.member_id
            and classified.order_id = points_earned_per_order.order_id
    where classified.entry_type = 'points_reversal'
    window reversal_history as (
        partition by classified.member_id, classified.order_id
        order by classified.entry_sequence
        rows between unbounded preceding and current row
    )

),

points_order_capped as (

    select
        money_split.*,
        case
            when money_split.entry_type = 'points_reversal' then -reversal_caps.points_taken_back
            else money_split.points
        end as points_capped
    from money_split
    left join reversal_caps
        on money_split.transaction_id = reversal_caps.transaction_id

),

points_running as (

    select
        *,
        sum(points_capped) over member_history as points_flow_running
    from points_order_capped
    window member_history as (
        partition by member_id order by entry_sequence rows between unbounded preceding and current row
    )

),

points_reflected as (

    -- A deduction never takes more points than the member holds: the balance is the running sum reflected at
    -- zero (the part of a deduction beyond the balance is refused, see `points_refused`).
    select
        *,
        points_flow_running - least(0, min(points_flow_running) over member_history) as points_balance
    from points_running
    window member_history as (
        partition by member_id order by entry_sequence rows between unbounded preceding and current row
    )

),

points_guarded as (

    select
        *,
        points_balance - lag(points_balance, 1, 0) over (partition by member_id order by entry_sequence)
            as points_applied
    from points_reflected

),

top_up_tiers as (

    select
        points_guarded.transaction_id,
        max(recharge_tiers.min_top_up_amount_reporting) as tier_min_amount_reporting
    from points_guarded
    inner join recharge_tiers
        on points_guarded.amount_reporting >= recharge_tiers.min_top_up_amount_reporting
    where points_guarded.entry_type = 'top_up'
    group by points_guarded.transaction_id

),

top_up_bonus_earned as (

    select
        top_up_tiers.transaction_id,
        recharge_tiers.tier_name,
        recharge_tiers.bonus_amount_reporting
    from top_up_tiers
    inner join recharge_tiers
        on top_up_tiers.tier_min_amount_reporting = recharge_tiers.min_top_up_amount_reporting

),

final as (

    select
        points_guarded.transaction_id,
        points_guarded.member_id,
        points_guarded.golden_customer_id,
        points_guarded.entry_sequence,
        points_guarded.transaction_type,
        points_guarded.entry_type,
        points_guarded.transacted_at,
        points_guarded.transaction_date,
        points_guarded.currency_code,
        points_guarded.order_id,
        points_guarded.campaign_id,
        points_guarded.amount,
        cast(points_guarded.amount - points_guarded.bonus_amount as decimal(18, 4)) as paid_amount,
        cast(points_guarded.bonus_amount as decimal(18, 4)) as bonus_amount,
        points_guarded.rate_to_reporting,
        points_guarded.amount_reporting,
        cast(
            sum(points_guarded.amount - points_guarded.bonus_amount) over member_history as decimal(18, 4)
        ) as paid_balance,
        cast(points_guarded.bonus_balance as decimal(18, 4)) as bonus_balance,
        points_guarded.points,
        cast(points_guarded.points_applied as integer) as points_applied,
        cast(points_guarded.points_applied - points_guarded.points as integer) as points_refused,
        cast(points_guarded.points_balance as bigint) as points_balance,
        case
            when points_guarded.points_applied > 0
                then points_guarded.transacted_at + to_days(expiry_rule.points_expiry_days)
        end as points_expire_at,
        top_up_bonus_earned.tier_name as recharge_tier_name,
        case
            when points_guarded.entry_type = 'top_up'
                then cast(coalesce(top_up_bonus_earned.bonus_amount_reporting, 0) as decimal(18, 4))
        end as tier_bonus_amount_reporting,
        points_guarded.loaded_at
    from points_guarded
    cross join expiry_rule
    left join top_up_bonus_earned
        on points_guarded.transaction_id = top_up_bonus_earned.transaction_id
    window member_history as (
        partition by points_guarded.member_id
        order by points_guarded.entry_sequence
        rows between unbounded preceding and current row
    )

)

select * from final
