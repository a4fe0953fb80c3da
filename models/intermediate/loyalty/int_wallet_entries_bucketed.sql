{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='transaction_id',
        on_schema_change='fail'
    )
}}

-- Every wallet movement of a member (one wallet per loyalty member) split into the two money buckets and
-- guarded points, with running balances: the movement's own columns (int_wallet_transactions_converted) beside
-- the figures computed for it (int_wallet_entries_balanced, where the bucket and points rules are described) and
-- the day's rate to the reporting currency. Incremental one member at a time (delete+insert on transaction_id): a
-- run takes again the members int_wallet_entries_balanced computed after the newest computed_at here.

with converted as (

    select * from {{ ref('int_wallet_transactions_converted') }}

),

balanced as (

    select * from {{ ref('int_wallet_entries_balanced') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_filled') }}

),

balanced_taken as (

    -- on an incremental run, the members computed since (every row of a member computed again is stamped)
    select * from balanced
    {%- if is_incremental() %}
        where balanced.computed_at > {{ last_computed_at() }}
    {%- endif %}

),

converted_taken as (

    select * from converted
    {%- if is_incremental() %}
        where converted.member_id in (select balanced_taken.member_id from balanced_taken)
    {%- endif %}

),

final as (

    select
        converted_taken.transaction_id,
        converted_taken.member_id,
        converted_taken.golden_customer_id,
        balanced_taken.entry_sequence,
        converted_taken.transaction_type,
        balanced_taken.entry_type,
        converted_taken.transacted_at,
        converted_taken.transaction_date,
        converted_taken.currency_code,
        converted_taken.order_id,
        converted_taken.campaign_id,
        converted_taken.amount,
        balanced_taken.paid_amount,
        balanced_taken.bonus_amount,
        -- null, never 0, when the day has no rate (staging quarantines such movements): no silent zero
        fx_rates.rate_to_reporting,
        converted_taken.amount_reporting,
        balanced_taken.paid_balance,
        balanced_taken.bonus_balance,
        converted_taken.points,
        balanced_taken.points_applied,
        balanced_taken.points_refused,
        balanced_taken.points_balance,
        balanced_taken.points_expire_at,
        balanced_taken.recharge_tier_name,
        balanced_taken.tier_bonus_amount_reporting,
        converted_taken.loaded_at,
        converted_taken.staged_at,
        balanced_taken.computed_at
    from converted_taken
    inner join balanced_taken
        on converted_taken.transaction_id = balanced_taken.transaction_id
    left join fx_rates
        on
            converted_taken.transaction_date = fx_rates.rate_date
            and converted_taken.currency_code = fx_rates.currency_code

)

select * from final
