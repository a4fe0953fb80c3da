-- Points and wallet liability per month, what finance asks: points issued, taken back, redeemed and expired
-- in the month; breakage (the share of settled points that expired rather than being redeemed), in the month
-- and cumulatively; and the outstanding liability at month end: unredeemed paid money and bonus credit (the
-- wallets' balances in their own currencies valued at the rate of the month's last day with data) plus points
-- held at their coupon value (`point_value_reporting`).

with ledger as (

    select * from {{ ref('fct_wallet_ledger') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_filled') }}

),

programme_rules as (

    select * from {{ ref('loyalty_programme_rules') }}

),

point_value as (

    select {{ to_decimal("rule_value", 18, 4) }} as point_value_reporting
    from programme_rules
    where rule_name = 'point_value_reporting'

),

monthly as (

    select
        cast({{ dbt.date_trunc('month', 'transaction_date') }} as date) as report_month,
        sum(case when points_applied > 0 then points_applied else 0 end) as points_issued,
        sum(
            case
                when points_applied < 0 and entry_type in ('points_reversal', 'adjustment_debit')
                    then -points_applied
                else 0
            end
        ) as points_taken_back,
        sum(case when entry_type = 'points_redeemed' then -points_applied else 0 end) as points_redeemed,
        sum(case when entry_type = 'points_expired' then -points_applied else 0 end) as points_expired,
        sum(points_applied) as points_net_change
    from ledger
    group by cast({{ dbt.date_trunc('month', 'transaction_date') }} as date)

),

monthly_money as (

    select
        cast({{ dbt.date_trunc('month', 'transaction_date') }} as date) as report_month,
        currency_code,
        sum(paid_amount) as paid_net_change,
        sum(bonus_amount) as bonus_net_change
    from ledger
    group by cast({{ dbt.date_trunc('month', 'transaction_date') }} as date), currency_code

),

months as (

    {{ date_series("(select min(report_month) from monthly)", "(select max(report_month) from monthly)",
                   "calendar_date") }}

),

month_series as (

    select distinct cast({{ dbt.date_trunc('month', 'calendar_date') }} as date) as report_month
    from months

),

filled as (

    select
        month_series.report_month,
        coalesce(monthly.points_issued, 0) as points_issued,
        coalesce(monthly.points_taken_back, 0) as points_taken_back,
        coalesce(monthly.points_redeemed, 0) as points_redeemed,
        coalesce(monthly.points_expired, 0) as points_expired,
        coalesce(monthly.points_net_change, 0) as points_net_change
    from month_series
    left join monthly
        on month_series.report_month = monthly.report_month

),

running as (

    select
        *,
        sum(points_net_change) over month_history as points_outstanding,
        sum(points_expired) over month_history as points_expired_to_date,
        sum(points_redeemed) over month_history as points_redeemed_to_date
    from filled
    window month_history as (order by report_month rows between unbounded preceding and current row)

),

money_outstanding as (

    -- Balances per currency at month end, valued at the rate of the month's last day with data.
    select
        month_series.report_month,
        sum(
            monthly_money.paid_net_change * month_end_rates.rate_to_reporting
        ) as paid_outstanding_reporting,
        sum(
            monthly_money.bonus_net_change * month_end_rates.rate_to_reporting
        ) as bonus_outstanding_reporting
    from month_series
    inner join monthly_money
        on month_series.report_month >= monthly_money.report_month
    inner join fx_rates as month_end_rates
        on
            monthly_money.currency_code = month_end_rates.currency_code
            and month_end_rates.rate_date = least(
                cast({{ dbt.last_day('month_series.report_month', 'month') }} as date),
                (select max(ledger.transaction_date) from ledger)
            )
    group by month_series.report_month

),

final as (

    select
        running.report_month,
        cast(running.points_issued as bigint) as points_issued,
        cast(running.points_taken_back as bigint) as points_taken_back,
        cast(running.points_redeemed as bigint) as points_redeemed,
        cast(running.points_expired as bigint) as points_expired,
        cast(
            running.points_expired / nullif(running.points_expired + running.points_redeemed, 0) as double
        ) as breakage_rate,
        cast(
            running.points_expired_to_date / nullif(running.points_expired_to_date + running.points_redeemed_to_date, 0)
            as double
        ) as breakage_rate_to_date,
        cast(running.points_outstanding as bigint) as points_outstanding,
        {{ to_decimal(
            "coalesce(money_outstanding.paid_outstanding_reporting, 0)", 18, 4
        ) }} as paid_liability_reporting,
        {{ to_decimal("coalesce(money_outstanding.bonus_outstanding_reporting, 0)", 18, 4) }}
            as bonus_liability_reporting,
        {{ to_decimal("running.points_outstanding * point_value.point_value_reporting", 18, 4) }}
            as points_liability_reporting,
        {{ to_decimal("
            coalesce(money_outstanding.paid_outstanding_reporting, 0)
            + coalesce(money_outstanding.bonus_outstanding_reporting, 0)
            + running.points_outstanding * point_value.point_value_reporting", 18, 4) }} as total_liability_reporting
    from running
    cross join point_value
    left join money_outstanding
        on running.report_month = money_outstanding.report_month

)

select * from final
