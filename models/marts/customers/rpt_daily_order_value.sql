-- One row per order day (UTC): the orders placed that day, their net amount and average order value in the
-- reporting currency (after discounts, before refunds), the average order value of the 28 previous order days
-- and the day's ratio to it. A unit error upstream (cents read as units, a wrong exchange rate) moves a day's
-- average far from its trailing weeks; the audit's `rpt_daily_order_value` suite checks that ratio.
with orders as (

    select * from {{ ref('fct_orders') }}

),

daily as (

    select
        order_date,
        count(*) as order_count,
        sum(net_amount_reporting) as net_amount_reporting,
        {{ average_as_double("net_amount_reporting") }} as average_order_value_reporting
    from orders
    group by order_date

),

with_trailing as (

    select
        order_date,
        order_count,
        net_amount_reporting,
        average_order_value_reporting,
        avg(average_order_value_reporting) over (
            order by order_date
            rows between 28 preceding and 1 preceding
        ) as trailing_average_order_value_reporting
    from daily

),

final as (

    select
        order_date,
        order_count,
        {{ to_decimal("net_amount_reporting", 18, 4) }} as net_amount_reporting,
        {{ to_decimal("average_order_value_reporting", 18, 4) }} as average_order_value_reporting,
        {{ to_decimal("trailing_average_order_value_reporting", 18, 4) }}
            as trailing_28_order_day_average_order_value_reporting,
        cast(
            average_order_value_reporting / nullif(trailing_average_order_value_reporting, 0) as double
        ) as average_order_value_vs_trailing_28_order_days
    from with_trailing

)

select * from final
