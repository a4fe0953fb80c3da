{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='transaction_id',
        on_schema_change='fail'
    )
}}

-- The figures computed for every wallet movement of a member (one wallet per loyalty member): its place in the
-- member's history, its split into paid money and bonus credit, its guarded points and the running balances,
-- beside the top-up tier it reached (the tier whose range of amounts, int_recharge_tiers_ranged, holds it) and the
-- rules it was computed with (int_wallet_rules_digested). int_wallet_entries_bucketed joins them to the movement's
-- own columns.
--
-- Every step here is a running sum or minimum over a member's history, so it runs on the members this run
-- computes, selected first. The entries come classified (int_wallet_entries_classified: entry type, bonus credit
-- and debit of each); a member's history is in time order (transacted_at, then transaction_id; `entry_sequence`
-- numbers it). A balance that never goes below zero is its running sum reflected at zero
-- (balance_reflected_at_zero), computed through each entry and before it: what an entry moved is the difference.
--
-- 1. Points reversal caps: a reversal takes back at most what its order earned, less what earlier reversals of
--    the order already took back (capped_cumulative_take) — points are never deducted twice.
-- 2. First pass, with the points: bonus credit less debits, reflected at zero, is the bonus balance when every
--    refund counts as paid money (each debit uses bonus first). Capped points, reflected at zero, are the points
--    balance: no deduction takes more than the member holds (a reversal after the points were redeemed takes
--    back what is left; the rest is `points_refused`; redemptions and expiries are expected never to be refused,
--    tested).
-- 3. Refund splits and second pass: a refund first gives back the bonus its order's spend used in the first pass
--    (less what earlier refunds of the order gave back), then paid money. Only members with such a refund are
--    computed again, their refunds' bonus share counted as bonus credit.
-- The paid balance is the running sum of amounts less the bonus balance (the bonus amounts of a member's entries
-- add up to its bonus balance).
-- 4. Top-up tier: the tier whose range of amounts (int_recharge_tiers_ranged) holds a top-up's reporting amount,
--    looked up here rather than upstream so that only the top-ups of the members computed are looked up.
--
-- Incremental, one member at a time: a run computes again, in full, every member with a movement
-- int_wallet_transactions_converted wrote after the newest computed_at here (and the member such a movement
-- belonged to before), and every member when the rules differ from those the rows were computed with
-- (rules_digest); the rows replace those of their transaction_id.

with classified as (

    select * from {{ ref('int_wallet_entries_classified') }}

),

tier_ranges as (

    select * from {{ ref('int_recharge_tiers_ranged') }}

),

wallet_rules as (

    select * from {{ ref('int_wallet_rules_digested') }}

),

-- read on incremental runs only: the movements with their member and computed_at, as int_wallet_entries_classified
-- passes them on (one row each), for the members to compute, so the classified entries have one reader and stream
converted_for_scope as ( -- noqa: ST03

    select * from {{ ref('int_wallet_transactions_converted') }}

),
{%- if is_incremental() %}

    built as (

        select * from {{ this }}

    ),

    built_for_rules as (

        select * from {{ this }}

    ),

    members_to_compute as (

        select converted.member_id
        from converted_for_scope as converted
        where
            converted.computed_at > {{ last_computed_at() }}
            or (select max(built.rules_digest) from built_for_rules as built) is distinct from (
                select wallet_rules.rules_digest from wallet_rules
            )

        union

        -- the member a movement written since belonged to before (a corrected row may name another member)
        select built.member_id
        from built
        where built.transaction_id in (
            select converted.transaction_id
            from converted_for_scope as converted
            where converted.computed_at > {{ last_computed_at() }}
        )

    ),
{%- endif %}

entries as (

    -- the entries of the members this run computes (every member on a full build); every window reads these
    select * from classified
    {%- if is_incremental() %}
        where classified.member_id in (select members_to_compute.member_id from members_to_compute)
    {%- endif %}

),

points_earned_per_order as (

    select
        member_id,
        order_id,
        sum(points) as points_earned
    from entries
    where entry_type = 'points_earned' and points > 0 and order_id is not null
    group by member_id, order_id

),

reversal_caps as (

    select
        entries.transaction_id,
        {{ capped_cumulative_take('-entries.points', 'points_earned_per_order.points_earned', 'reversal_history') }}
            as points_taken_back
    from entries
    left join points_earned_per_order
        on
            entries.member_id = points_earned_per_order.member_id
            and entries.order_id = points_earned_per_order.order_id
    where entries.entry_type = 'points_reversal'
    window reversal_history as (
        partition by entries.member_id, entries.order_id
        order by entries.transacted_at, entries.transaction_id
        rows between unbounded preceding and current row
    )

),

balance_flows as (

    -- the narrow rows the balances are computed on: first-pass bonus flow and points capped per order
    select
        entries.transaction_id,
        entries.member_id,
        entries.transacted_at,
        entries.entry_type,
        entries.order_id,
        entries.amount,
        entries.points,
        entries.bonus_credit_amount - entries.debit_amount as first_pass_flow,
        case
            when entries.entry_type = 'points_reversal' then -reversal_caps.points_taken_back
            else entries.points
        end as points_capped
    from entries
    left join reversal_caps
        on entries.transaction_id = reversal_caps.transaction_id

),

running_sums as (

    select
        *,
        row_number() over member_history as entry_sequence,
        sum(first_pass_flow) over member_history as first_pass_flow_running,
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
        first_pass_flow_running - first_pass_flow as first_pass_flow_running_before,
        case
            when entry_sequence = 1 then 0
            when points_entries_counted - case when points_capped is null then 0 else 1 end = 0 then null
            else points_flow_running - coalesce(points_capped, 0)
        end as points_flow_running_before
    from running_sums

),

first_pass_balances as (

    select
        transaction_id,
        member_id,
        transacted_at,
        entry_sequence,
        entry_type,
        order_id,
        amount,
        points,
        first_pass_flow,
        amount_running,
        {{ balance_reflected_at_zero('first_pass_flow_running', 'member_history') }} as first_pass_bonus_balance,
        {{ balance_reflected_at_zero('first_pass_flow_running_before', 'member_history') }}
            as first_pass_bonus_balance_before,
        {{ balance_reflected_at_zero('points_flow_running', 'member_history') }} as points_balance,
        {{ balance_reflected_at_zero('points_flow_running_before', 'member_history') }} as points_balance_before
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

    -- only a refund that gives bonus back makes the second pass differ from the first
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
        first_pass_balances.first_pass_flow + coalesce(refund_splits.refund_bonus, 0) as bonus_flow
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
        {{ balance_reflected_at_zero('bonus_flow_running', 'member_history') }} as bonus_balance,
        {{ balance_reflected_at_zero('bonus_flow_running - bonus_flow', 'member_history') }} as bonus_balance_before
    from second_pass_running
    window member_history as (
        partition by member_id order by entry_sequence rows between unbounded preceding and current row
    )

),

balances as (

    -- the second pass's bonus balances where a member has one, the first pass's otherwise
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

top_ups_tiered as (

    -- each top-up with the recharge tier whose range of amounts holds its reporting amount
    select
        entries.transaction_id,
        tier_ranges.tier_name,
        tier_ranges.bonus_amount_reporting
    from entries
    inner join tier_ranges
        on
            entries.amount_reporting >= tier_ranges.min_top_up_amount_reporting
            and (
                tier_ranges.next_tier_min_amount_reporting is null
                or entries.amount_reporting < tier_ranges.next_tier_min_amount_reporting
            )
    where entries.entry_type = 'top_up'

),

final as (

    select
        balances.transaction_id,
        balances.member_id,
        balances.entry_sequence,
        balances.entry_type,
        {{ to_decimal("balances.amount - (balances.bonus_balance - balances.bonus_balance_before)", 18, 4) }}
            as paid_amount,
        {{ to_decimal("balances.bonus_balance - balances.bonus_balance_before", 18, 4) }} as bonus_amount,
        {{ to_decimal("balances.amount_running - balances.bonus_balance", 18, 4) }} as paid_balance,
        {{ to_decimal("balances.bonus_balance", 18, 4) }} as bonus_balance,
        cast(balances.points_balance - balances.points_balance_before as integer) as points_applied,
        cast(balances.points_balance - balances.points_balance_before - balances.points as integer)
            as points_refused,
        cast(balances.points_balance as bigint) as points_balance,
        case
            when balances.points_balance - balances.points_balance_before > 0
                then {{ add_days("balances.transacted_at", "wallet_rules.points_expiry_days") }}
        end as points_expire_at,
        top_ups_tiered.tier_name as recharge_tier_name,
        case
            when balances.entry_type = 'top_up'
                then {{ to_decimal("coalesce(top_ups_tiered.bonus_amount_reporting, 0)", 18, 4) }}
        end as tier_bonus_amount_reporting,
        wallet_rules.rules_digest,
        {{ build_started_at() }} as computed_at
    from balances
    cross join wallet_rules
    left join top_ups_tiered
        on balances.transaction_id = top_ups_tiered.transaction_id

)

select * from final
