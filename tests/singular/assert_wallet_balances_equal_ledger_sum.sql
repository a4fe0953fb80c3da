{{ config(meta={'dagster': {'ref': {'name': 'rpt_wallet_balances'}}}) }}
-- Every daily balance equals the sum of the customer's ledger entries up to and including that day: money per
-- wallet currency valued at the day's rate (to within a cent), points exactly. The sums are running sums of the
-- ledger's daily totals per customer and currency, read at each balance day (one sort, not a join of every
-- balance day with every earlier entry). It checks the customers whose balances the newest build computed (every
-- customer after a full build; after an incremental one, those whose ledger changed: the others' balances and
-- entries are as they were when they passed, and test_incremental proves the increments equal a full refresh).

with all_balances as (

    select * from {{ ref('rpt_wallet_balances') }}

),

all_ledger as (

    select * from {{ ref('fct_wallet_ledger') }}

),

checked_customers as (

    select distinct golden_customer_id
    from all_balances
    where computed_at = {{ newest_written(ref('rpt_wallet_balances'), 'computed_at') }}

),

balances as (

    select *
    from all_balances
    where golden_customer_id in (select checked_customers.golden_customer_id from checked_customers)

),

ledger as (

    select *
    from all_ledger
    where golden_customer_id in (select checked_customers.golden_customer_id from checked_customers)

),

fx_rates as (

    select * from {{ ref('int_fx_rates_filled') }}

),

ledger_days as (

    select
        golden_customer_id,
        currency_code,
        transaction_date,
        count(*) as entry_count,
        sum(paid_amount) as paid_sum,
        sum(bonus_amount) as bonus_sum,
        sum(points_applied) as points_sum
    from ledger
    group by golden_customer_id, currency_code, transaction_date

),

customer_currencies as (

    select distinct
        golden_customer_id,
        currency_code
    from ledger_days

),

days_in_order as (

    -- the ledger's days and, per currency the customer holds, the balance days; a balance day sorts after the
    -- ledger day of the same date, so its running sums include that day's entries
    select
        golden_customer_id,
        currency_code,
        transaction_date as day_date,
        false as is_balance_day,
        entry_count,
        paid_sum,
        bonus_sum,
        points_sum
    from ledger_days

    union all

    select
        balances.golden_customer_id,
        customer_currencies.currency_code,
        balances.balance_date as day_date,
        true as is_balance_day,
        0 as entry_count,
        0 as paid_sum,
        0 as bonus_sum,
        0 as points_sum
    from balances
    inner join customer_currencies
        on balances.golden_customer_id = customer_currencies.golden_customer_id

),

running_sums as (

    select
        golden_customer_id,
        currency_code,
        day_date as balance_date,
        is_balance_day,
        sum(entry_count) over running as entries_so_far,
        sum(paid_sum) over running as paid_sum,
        sum(bonus_sum) over running as bonus_sum,
        sum(points_sum) over running as points_sum
    from days_in_order
    window running as (
        partition by golden_customer_id, currency_code
        order by day_date, is_balance_day
        rows between unbounded preceding and current row
    )

),

ledger_sums as (

    -- the currencies with an entry on or before the balance day
    select *
    from running_sums
    where is_balance_day and entries_so_far > 0

),

ledger_totals as (

    select
        ledger_sums.golden_customer_id,
        ledger_sums.balance_date,
        sum(ledger_sums.paid_sum * fx_rates.rate_to_reporting) as paid_reporting,
        sum(ledger_sums.bonus_sum * fx_rates.rate_to_reporting) as bonus_reporting,
        sum(ledger_sums.points_sum) as points
    from ledger_sums
    left join fx_rates
        on
            ledger_sums.balance_date = fx_rates.rate_date
            and ledger_sums.currency_code = fx_rates.currency_code
    group by ledger_sums.golden_customer_id, ledger_sums.balance_date

)

select
    balances.golden_customer_id,
    balances.balance_date,
    balances.paid_balance_reporting,
    ledger_totals.paid_reporting,
    balances.bonus_balance_reporting,
    ledger_totals.bonus_reporting,
    balances.points_balance,
    ledger_totals.points
from balances
left join ledger_totals
    on
        balances.golden_customer_id = ledger_totals.golden_customer_id
        and balances.balance_date = ledger_totals.balance_date
where
    ledger_totals.golden_customer_id is null
    or abs(balances.paid_balance_reporting - ledger_totals.paid_reporting) > 0.01
    or abs(balances.bonus_balance_reporting - ledger_totals.bonus_reporting) > 0.01
    or balances.points_balance != ledger_totals.points
