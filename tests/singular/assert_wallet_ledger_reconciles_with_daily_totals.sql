{{ config(meta={'dagster': {'ref': {'name': 'fct_wallet_ledger'}}}) }}
-- The ledger reconciles with the loyalty system's own totals per day and transaction type: the same number
-- of transactions, the same points, and the same money in the reporting currency (the system reports USD;
-- to within half a cent plus a hundredth of a cent per transaction, for rounding of each row to 4 decimals
-- and of the system's total to 2).

with ledger as (

    select * from {{ ref('fct_wallet_ledger') }}

),

daily_totals as (

    select * from {{ ref('stg_loyalty__daily_totals') }}

),

ledger_totals as (

    select
        transaction_date,
        transaction_type,
        count(*) as transaction_count,
        sum(points) as points_total,
        sum(amount_reporting) as amount_total
    from ledger
    group by transaction_date, transaction_type

),

reported_days as (

    select
        min(total_date) as first_total_date,
        max(total_date) as last_total_date
    from daily_totals

)

select
    coalesce(ledger_totals.transaction_date, daily_totals.total_date) as total_date,
    coalesce(ledger_totals.transaction_type, daily_totals.transaction_type) as transaction_type,
    ledger_totals.transaction_count as ledger_count,
    daily_totals.transaction_count as system_count,
    ledger_totals.points_total as ledger_points,
    daily_totals.points_total as system_points,
    ledger_totals.amount_total as ledger_amount,
    daily_totals.amount_total as system_amount
from ledger_totals
full outer join daily_totals
    on
        ledger_totals.transaction_date = daily_totals.total_date
        and ledger_totals.transaction_type = daily_totals.transaction_type
cross join reported_days
where
    coalesce(ledger_totals.transaction_date, daily_totals.total_date)
    between reported_days.first_total_date and reported_days.last_total_date
    and (
        ledger_totals.transaction_count is distinct from daily_totals.transaction_count
        or ledger_totals.points_total is distinct from daily_totals.points_total
        or abs(ledger_totals.amount_total - daily_totals.amount_total)
        > 0.005 + 0.0001 * ledger_totals.transaction_count
    )
