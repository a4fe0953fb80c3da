{{ config(meta={'dagster': {'ref': {'name': 'fct_wallet_ledger'}}}) }}
-- Points expire by the lot rule: an expiry consumes only lots that expire at that very moment (earned
-- `points_expiry_days` before, oldest-expiring first), and no lot keeps points past its expiry.

with consumption as (

    select * from {{ ref('int_points_lots_consumed') }}

),

ledger as (

    select * from {{ ref('fct_wallet_ledger') }}

),

wrong_lot_expired as (

    select
        lot_transaction_id as transaction_id,
        'expired a lot that does not expire then' as problem
    from consumption
    where deduction_entry_type = 'points_expired' and points_expire_at != deducted_at

),

kept_past_expiry as (

    select
        transaction_id,
        'lot keeps points past its expiry' as problem
    from ledger
    where
        lot_points_remaining > 0
        and points_expire_at <= (select max(ledger_end.transacted_at) from ledger as ledger_end)

)

select * from wrong_lot_expired
union all
select * from kept_past_expiry
