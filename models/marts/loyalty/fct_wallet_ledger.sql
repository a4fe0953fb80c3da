{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='transaction_id',
        on_schema_change='fail'
    )
}}

-- Every staged wallet movement as a signed ledger entry: money split into paid and bonus buckets (in the
-- wallet currency and the reporting currency), points as recorded and as applied after the double-deduction
-- guard, running balances per wallet, and for each points lot what became of it (redeemed, expired, taken
-- back, remaining). Bucket and lot rules: see int_wallet_entries_bucketed and int_points_lots_consumed.
-- Incremental one member at a time (delete+insert on transaction_id): a run takes again the members
-- int_wallet_entries_bucketed took after the newest computed_at here.

with entries as (

    select * from {{ ref('int_wallet_entries_bucketed') }}

),

lot_consumption as (

    select * from {{ ref('int_points_lots_consumed') }}

),

entries_taken as (

    select * from entries
    {%- if is_incremental() %}
        where entries.computed_at > {{ last_computed_at() }}
    {%- endif %}

),

lot_outcomes as (

    select
        lot_transaction_id,
        sum(case when deduction_entry_type = 'points_redeemed' then points_consumed else 0 end) as redeemed,
        sum(case when deduction_entry_type = 'points_expired' then points_consumed else 0 end) as expired,
        sum(
            case when deduction_entry_type not in ('points_redeemed', 'points_expired') then points_consumed else 0 end
        ) as taken_back
    from lot_consumption
    {%- if is_incremental() %}
        where lot_consumption.member_id in (select entries_taken.member_id from entries_taken)
    {%- endif %}
    group by lot_transaction_id

),

reporting_split as (

    select
        *,
        {{ to_decimal("bonus_amount * rate_to_reporting", 18, 4) }} as bonus_amount_reporting
    from entries_taken

),

final as (

    select
        reporting_split.transaction_id,
        reporting_split.golden_customer_id,
        reporting_split.member_id,
        cast(reporting_split.entry_sequence as bigint) as entry_sequence,
        reporting_split.transaction_type,
        reporting_split.entry_type,
        reporting_split.transacted_at,
        reporting_split.transaction_date,
        reporting_split.order_id,
        reporting_split.campaign_id,
        reporting_split.currency_code,
        reporting_split.amount,
        reporting_split.paid_amount,
        reporting_split.bonus_amount,
        reporting_split.paid_balance,
        reporting_split.bonus_balance,
        reporting_split.amount_reporting,
        {{ to_decimal("
            reporting_split.amount_reporting - reporting_split.bonus_amount_reporting",
            18, 4
        ) }} as paid_amount_reporting,
        reporting_split.bonus_amount_reporting,
        reporting_split.points,
        reporting_split.points_applied,
        reporting_split.points_refused,
        reporting_split.points_balance,
        reporting_split.points_expire_at,
        cast(
            case when reporting_split.points_applied > 0 then coalesce(lot_outcomes.redeemed, 0) end as bigint
        ) as lot_points_redeemed,
        cast(
            case when reporting_split.points_applied > 0 then coalesce(lot_outcomes.expired, 0) end as bigint
        ) as lot_points_expired,
        cast(
            case when reporting_split.points_applied > 0 then coalesce(lot_outcomes.taken_back, 0) end as bigint
        ) as lot_points_taken_back,
        cast(
            case
                when reporting_split.points_applied > 0
                    then
                        reporting_split.points_applied - coalesce(lot_outcomes.redeemed, 0)
                        - coalesce(lot_outcomes.expired, 0) - coalesce(lot_outcomes.taken_back, 0)
            end as bigint
        ) as lot_points_remaining,
        reporting_split.recharge_tier_name,
        reporting_split.tier_bonus_amount_reporting,
        reporting_split.loaded_at,
        reporting_split.staged_at,
        reporting_split.computed_at
    from reporting_split
    left join lot_outcomes
        on reporting_split.transaction_id = lot_outcomes.lot_transaction_id

)

select * from final
