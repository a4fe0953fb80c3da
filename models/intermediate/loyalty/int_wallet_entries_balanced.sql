{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='transaction_id',
        on_schema_change='fail'
    )
}}

-- The figures computed for every wallet movement of a member (one wallet per loyalty member): its place in the
-- member's history, its split into the two money buckets, its guarded points, the running balances and the
-- top-up tier it reached; int_wallet_entries_bucketed joins them to the movement's own columns. Set-based: no
-- loops, only running sums and running minimums.
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
--
-- A member's history is in time order (transacted_at, then transaction_id; `entry_sequence` numbers it). Each
-- reflected balance is computed both through the entry and before it, so the amount an entry moved is their
-- difference. The paid balance is the running sum of amounts less the bonus balance, because the bonus amounts
-- of a member's entries add up to its bonus balance.
--
-- Incremental, one member at a time: a run computes again, in full, every member with a movement
-- int_wallet_transactions_converted wrote after the newest computed_at here (and the member such a movement
-- belonged to before), and every member when the rules it applies (recharge tiers, points expiry days) differ
-- from those the rows were computed with (rules_digest); the rows replace those of their transaction_id.

with converted as (

    select * from {{ ref('int_wallet_transactions_converted') }}

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

rules_digest as (

    -- what the rules applied here are: a row computed with other rules is computed again
    select
        md5(
            coalesce((
                select
                    string_agg(
                        concat_ws(',', tier_name, min_top_up_amount_reporting, bonus_amount_reporting), ';'
                        order by min_top_up_amount_reporting, tier_name
                    )
                from recharge_tiers
            ), '')
            || '|' || coalesce((select cast(max(points_expiry_days) as varchar) from expiry_rule), '')
        ) as rules_digest

),
{%- if is_incremental() %}

    built as (

        select * from {{ this }}

    ),

    members_to_compute as (

        select converted.member_id
        from converted
        where
            converted.computed_at > {{ last_computed_at() }}
            or (select max(built.rules_digest) from built) is distinct from (
                select rules_digest.rules_digest from rules_digest
            )

        union

        -- the member a movement written since belonged to before (a corrected row may name another member)
        select built.member_id
        from built
        where built.transaction_id in (
            select converted.transaction_id
            from converted
            where converted.computed_at > {{ last_computed_at() }}
        )

    ),
{%- endif %}

classified as (

    select
        transaction_id,
        member_id,
        transacted_at,
        case
            when transaction_type = 'points_earned' and points < 0 then 'points_reversal'
            when transaction_type = 'manual_adjustment' and (amount > 0 or points > 0)
                then 'goodwill_credit'
            when transaction_type = 'manual_adjustment' then 'adjustment_debit'
            else transaction_type
        end as entry_type,
        order_id,
        amount,
        amount_reporting,
        points
    from converted
    {%- if is_incremental() %}
        where converted.member_id in (select members_to_compute.member_id from members_to_compute)
    {%- endif %}

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
        {{ capped_cumulative_take('-classified.points', 'points_earned_per_order.points_earned', 'reversal_history') }}
            as points_taken_back
    from classified
    left join points_earned_per_order
        on
            classified.member_id = points_earned_per_order.member_id
            and classified.order_id = points_earned_per_order.order_id
    where classified.entry_type = 'points_reversal'
    window reversal_history as (
        partition by classified.member_id, classified.order_id
        order by classified.transacted_at, classified.transaction_id
        rows between unbounded preceding and current row
    )

),

balance_flows as (

    -- The narrow rows the balances are computed on: first-pass bonus flow (refunds count as paid money) and
    -- points capped per order.
    select
        classified.transaction_id,
        classified.member_id,
        classified.transacted_at,
        classified.entry_type,
        classified.order_id,
        classified.amount,
        classified.points,
        case
            when classified.amount > 0 and classified.entry_type in ('top_up_bonus', 'goodwill_credit')
                then classified.amount
            else 0
        end as bonus_credit,
        case when classified.amount < 0 then -classified.amount else 0 end as debit,
        case
            when classified.entry_type = 'points_reversal' then -reversal_caps.points_taken_back
            else classified.points
        end as points_capped
    from classified
    left join reversal_caps
        on classified.transaction_id = reversal_caps.transaction_id

),

running_sums as (

    select
        transaction_id,
        member_id,
        transacted_at,
        entry_type,
        order_id,
        amount,
        points,
        bonus_credit,
        debit,
        points_capped,
        row_number() over member_history as entry_sequence,
        sum(bonus_credit - debit) over member_history as first_pass_flow_running,
        sum(points_capped) over member_history as points_flow_running,
        count(points_capped) over member_history as points_entries_counted,
        sum(amount) over member_history as amount_running
    from balance_flows
    window member_history as (
        partition by member_id
        order by transacted_at, transaction_id
        rows between unbounded preceding and current row
    )

),

running_sums_before as (

    -- The running sums as they stood before each entry: 0 before a member's first entry; null while no entry
    -- before it had points (as the sum of no points is).
    select
        *,
        first_pass_flow_running - (bonus_credit - debit) as first_pass_flow_running_before,
        case
            when entry_sequence = 1 then 0
            when points_entries_counted - case when points_capped is null then 0 else 1 end = 0 then null
            else points_flow_running - coalesce(points_capped, 0)
        end as points_flow_running_before
    from running_sums

),

first_pass_balances as (

    -- Bonus balance of the first pass and guarded points balance, through each entry and before it. A deduction
    -- never takes more points than the member holds: the points balance is the running sum reflected at zero
    -- (the part of a deduction beyond the balance is refused, see `points_refused`). The lowest running sum
    -- before an entry, counting the 0 before the first, is the running minimum of the sums before each entry.
    select
        transaction_id,
        member_id,
        transacted_at,
        entry_sequence,
        entry_type,
        order_id,
        amount,
        points,
        bonus_credit,
        debit,
        amount_running,
        first_pass_flow_running
        - least(0, min(first_pass_flow_running) over member_history) as first_pass_bonus_balance,
        first_pass_flow_running_before
        - min(first_pass_flow_running_before) over member_history as first_pass_bonus_balance_before,
        points_flow_running - least(0, min(points_flow_running) over member_history) as points_balance,
        points_flow_running_before - min(points_flow_running_before) over member_history as points_balance_before
    from running_sums_before
    window member_history as (
        partition by member_id order by entry_sequence rows between unbounded preceding and current row
    )

),

spend_bonus_per_order as (

    select
        member_id,
        order_id,
        sum(first_pass_bonus_balance_before - first_pass_bonus_balance) as bonus_used
    from first_pass_balances
    where entry_type = 'spend' and order_id is not null
    group by member_id, order_id

),

refund_splits as (

    select
        first_pass_balances.transaction_id,
        {{ capped_cumulative_take('first_pass_balances.amount', 'spend_bonus_per_order.bonus_used', 'refund_history') }}
            as refund_bonus
    from first_pass_balances
    left join spend_bonus_per_order
        on
            first_pass_balances.member_id = spend_bonus_per_order.member_id
            and first_pass_balances.order_id = spend_bonus_per_order.order_id
    where first_pass_balances.entry_type = 'refund_credit' and first_pass_balances.amount > 0
    window refund_history as (
        partition by first_pass_balances.member_id, first_pass_balances.order_id
        order by first_pass_balances.entry_sequence
        rows between unbounded preceding and current row
    )

),

members_with_refund_bonus as (

    -- Only a refund that gives bonus back makes the second pass differ from the first; every other member's
    -- bonus balances are the first pass's.
    select distinct first_pass_balances.member_id
    from first_pass_balances
    inner join refund_splits
        on first_pass_balances.transaction_id = refund_splits.transaction_id
    where refund_splits.refund_bonus != 0

),

second_pass_flows as (

    select
        first_pass_balances.transaction_id,
        first_pass_balances.member_id,
        first_pass_balances.entry_sequence,
        first_pass_balances.bonus_credit + coalesce(refund_splits.refund_bonus, 0) - first_pass_balances.debit
            as bonus_flow
    from first_pass_balances
    inner join members_with_refund_bonus
        on first_pass_balances.member_id = members_with_refund_bonus.member_id
    left join refund_splits
        on first_pass_balances.transaction_id = refund_splits.transaction_id

),

second_pass_running as (

    select
        *,
        sum(bonus_flow) over member_history as bonus_flow_running
    from second_pass_flows
    window member_history as (
        partition by member_id order by entry_sequence rows between unbounded preceding and current row
    )

),

second_pass_balances as (

    select
        transaction_id,
        bonus_flow_running - least(0, min(bonus_flow_running) over member_history) as bonus_balance,
        bonus_flow_running - bonus_flow - min(bonus_flow_running - bonus_flow) over member_history
            as bonus_balance_before
    from second_pass_running
    window member_history as (
        partition by member_id order by entry_sequence rows between unbounded preceding and current row
    )

),

balances as (

    select
        first_pass_balances.transaction_id,
        first_pass_balances.member_id,
        first_pass_balances.transacted_at,
        first_pass_balances.entry_sequence,
        first_pass_balances.entry_type,
        first_pass_balances.amount,
        first_pass_balances.points,
        first_pass_balances.amount_running,
        first_pass_balances.points_balance,
        first_pass_balances.points_balance_before,
        case
            when second_pass_balances.transaction_id is null then first_pass_balances.first_pass_bonus_balance
            else second_pass_balances.bonus_balance
        end as bonus_balance,
        case
            when second_pass_balances.transaction_id is null then first_pass_balances.first_pass_bonus_balance_before
            else second_pass_balances.bonus_balance_before
        end as bonus_balance_before
    from first_pass_balances
    left join second_pass_balances
        on first_pass_balances.transaction_id = second_pass_balances.transaction_id

),

entries as (

    select
        transaction_id,
        member_id,
        transacted_at,
        entry_sequence,
        entry_type,
        amount,
        points,
        bonus_balance - bonus_balance_before as bonus_amount,
        bonus_balance,
        amount_running - bonus_balance as paid_balance,
        points_balance - points_balance_before as points_applied,
        points_balance
    from balances

),

top_up_tiers as (

    select
        classified.transaction_id,
        max(recharge_tiers.min_top_up_amount_reporting) as tier_min_amount_reporting
    from classified
    inner join recharge_tiers
        on classified.amount_reporting >= recharge_tiers.min_top_up_amount_reporting
    where classified.entry_type = 'top_up'
    group by classified.transaction_id

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
        entries.transaction_id,
        entries.member_id,
        entries.entry_sequence,
        entries.entry_type,
        cast(entries.amount - entries.bonus_amount as decimal(18, 4)) as paid_amount,
        cast(entries.bonus_amount as decimal(18, 4)) as bonus_amount,
        cast(entries.paid_balance as decimal(18, 4)) as paid_balance,
        cast(entries.bonus_balance as decimal(18, 4)) as bonus_balance,
        cast(entries.points_applied as integer) as points_applied,
        cast(entries.points_applied - entries.points as integer) as points_refused,
        cast(entries.points_balance as bigint) as points_balance,
        case
            when entries.points_applied > 0
                then entries.transacted_at + to_days(expiry_rule.points_expiry_days)
        end as points_expire_at,
        top_up_bonus_earned.tier_name as recharge_tier_name,
        case
            when entries.entry_type = 'top_up'
                then cast(coalesce(top_up_bonus_earned.bonus_amount_reporting, 0) as decimal(18, 4))
        end as tier_bonus_amount_reporting,
        rules_digest.rules_digest,
        {{ build_started_at() }} as computed_at
    from entries
    cross join expiry_rule
    cross join rules_digest
    left join top_up_bonus_earned
        on entries.transaction_id = top_up_bonus_earned.transaction_id

)

select * from final
