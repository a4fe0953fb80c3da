{{ config(meta={'dagster': {'ref': {'name': 'rpt_wallet_balances'}}}) }}
-- No wallet ever holds less than nothing: paid money, bonus credit and points are never below zero, neither
-- after any ledger entry nor in the daily balances.

with ledger as (

    select * from {{ ref('fct_wallet_ledger') }}

),

balances as (

    select * from {{ ref('rpt_wallet_balances') }}

),

negative_entries as (

    select
        'fct_wallet_ledger' as model_name,
        transaction_id as row_id
    from ledger
    where paid_balance < 0 or bonus_balance < 0 or points_balance < 0

),

negative_days as (

    select
        'rpt_wallet_balances' as model_name,
        golden_customer_id || '|' || cast(balance_date as string) as row_id
    from balances
    where
        paid_balance_reporting < 0 or bonus_balance_reporting < 0 or points_balance < 0
        or points_expiring_30_days > points_expiring_60_days
        or points_expiring_60_days > points_expiring_90_days
        or points_expiring_90_days > points_balance

)

select * from negative_entries
union all
select * from negative_days
