-- Every wallet movement of a member (one wallet per loyalty member) split into the two money buckets and
-- guarded points, with running balances: the movement's own columns (int_wallet_transactions_converted) beside
-- the figures computed for it (int_wallet_entries_balanced, where the bucket and points rules are described) and
-- the day's rate to the reporting currency.

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
        coalesce(fx_rates.rate_to_reporting, 0) as rate_to_reporting,
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
        converted.staged_at
    from converted
    inner join balanced
        on converted.transaction_id = balanced.transaction_id
    left join fx_rates
        on
            converted.transaction_date = fx_rates.rate_date
            and converted.currency_code = fx_rates.currency_code

)

select * from final
