-- Every daily balance equals the sum of the customer's ledger entries up to and including that day: money per
-- wallet currency valued at the day's rate (to within a cent), points exactly.

with balances as (

    select * from {{ ref('rpt_wallet_balances') }}

),

ledger as (

    select * from {{ ref('fct_wallet_ledger') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_filled') }}

),

ledger_sums as (

    select
        balances.golden_customer_id,
        balances.balance_date,
        ledger.currency_code,
        sum(ledger.paid_amount) as paid_sum,
        sum(ledger.bonus_amount) as bonus_sum,
        sum(ledger.points_applied) as points_sum
    from balances
    inner join ledger
        on
            balances.golden_customer_id = ledger.golden_customer_id
            and balances.balance_date >= ledger.transaction_date
    group by balances.golden_customer_id, balances.balance_date, ledger.currency_code

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
