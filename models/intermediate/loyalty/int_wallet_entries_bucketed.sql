{{ config(materialized='view') }}

-- Every wallet movement of a member (one wallet per loyalty member) split into the two money buckets and
-- guarded points, with running balances: the movement's own columns (int_wallet_transactions_converted) beside
-- the figures computed for it (int_wallet_entries_balanced, where the bucket and points rules are described) and
-- the day's rate to the reporting currency. A view, row by row: its consumers (int_points_lots_consumed,
-- fct_wallet_ledger) filter it on computed_at (int_wallet_entries_balanced's), which the engine applies to that
-- table before the join, so an incremental run joins only the members computed since. Stored, it was a third copy
-- of every member history, rewritten on each new day (and then compacted by DuckDB) for nothing a reader needs.

with converted as (

    select * from {{ ref('int_wallet_transactions_converted') }}

),

balanced as (

    select * from {{ ref('int_wallet_entries_balanced') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_filled') }}

),

final as (

    select
        converted.transaction_id,
        converted.member_id,
        converted.golden_customer_id,
        balanced.entry_sequence,
        converted.transaction_type,
        balanced.entry_type,
        converted.transacted_at,
        converted.transaction_date,
        converted.currency_code,
        converted.order_id,
        converted.campaign_id,
        converted.amount,
        balanced.paid_amount,
        balanced.bonus_amount,
        -- null, never 0, when the day has no rate (staging quarantines such movements): no silent zero
        fx_rates.rate_to_reporting,
        converted.amount_reporting,
        balanced.paid_balance,
        balanced.bonus_balance,
        converted.points,
        balanced.points_applied,
        balanced.points_refused,
        balanced.points_balance,
        balanced.points_expire_at,
        balanced.recharge_tier_name,
        balanced.tier_bonus_amount_reporting,
        converted.loaded_at,
        converted.staged_at,
        balanced.computed_at
    from converted
    inner join balanced
        on converted.transaction_id = balanced.transaction_id
    left join fx_rates
        on
            converted.transaction_date = fx_rates.rate_date
            and converted.currency_code = fx_rates.currency_code

)

select * from final
