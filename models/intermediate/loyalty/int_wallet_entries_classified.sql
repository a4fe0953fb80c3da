{{ config(materialized='ephemeral') }}

-- The ledger meaning of every wallet movement, row by row: its entry type, and what its money does to the bonus
-- bucket in the first pass of int_wallet_entries_balanced.
--
-- Entry types: a negative `points_earned` is a `points_reversal` (an order's points taken back); a staff
-- `manual_adjustment` is a `goodwill_credit` when it adds money or points, an `adjustment_debit` otherwise; every
-- other movement keeps its transaction type.
-- Money buckets: top-up bonuses and goodwill credits are bonus credit (`bonus_credit_amount`); every debit (spend,
-- staff debit) is a `debit_amount`, which uses bonus credit first; every other credit (top-ups, refunds) is paid
-- money. A refund's share of bonus is decided later, once the bonus each order's spend used is known.
--
-- Ephemeral and per row: int_wallet_entries_balanced reads it with its member filter outside, and the filter goes
-- through this projection to the movements.

with converted as (

    select * from {{ ref('int_wallet_transactions_converted') }}

),

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
        points,
        computed_at
    from converted

),

final as (

    select
        transaction_id,
        member_id,
        transacted_at,
        entry_type,
        order_id,
        amount,
        amount_reporting,
        points,
        case
            when amount > 0 and entry_type in ('top_up_bonus', 'goodwill_credit') then amount
            else 0
        end as bonus_credit_amount,
        case when amount < 0 then -amount else 0 end as debit_amount,
        computed_at
    from classified

)

select * from final
