{{ config(meta={'dagster': {'ref': {'name': 'rpt_acquisition_cohorts'}}}) }}
-- Every customer with a first order up to the as-of date is in exactly one cohort (month 0 counts add up),
-- month 0 retention is 1, and cohort revenue over all months equals the net sales of fct_orders minus the
-- refunds of fct_refunds, both up to the as-of date. Returns a row per broken claim.
with reporting_dates as (

    select * from {{ ref('int_reporting_dates') }}

),

cohorts as (

    select * from {{ ref('rpt_acquisition_cohorts') }}

),

orders as (

    select * from {{ ref('fct_orders') }}
    where order_date <= (select reporting_dates.as_of_date from reporting_dates)

),

refunds as (

    select * from {{ ref('fct_refunds') }}
    where
        refund_date <= (select reporting_dates.as_of_date from reporting_dates)
        and order_date <= (select reporting_dates.as_of_date from reporting_dates)

),

expected as (

    select
        (select count(distinct orders.golden_customer_id) from orders) as customers,
        (select sum(orders.net_amount_reporting) from orders)
        - coalesce((select sum(refunds.refund_amount_reporting) from refunds), 0) as net_revenue

),

built as (

    select
        sum(customers_in_cohort) filter (where months_since_first_order = 0) as customers,
        sum(net_amount_after_refunds_reporting) as net_revenue,
        count(*) filter (where months_since_first_order = 0 and retention_rate <> 1) as month_zero_not_retained
    from cohorts

)

select
    'customers' as claim,
    expected.customers as expected_value,
    built.customers as built_value
from expected
cross join built
where expected.customers <> built.customers
union all
select
    'net_revenue' as claim,
    expected.net_revenue as expected_value,
    built.net_revenue as built_value
from expected
cross join built
where abs(expected.net_revenue - built.net_revenue) > 0.01
union all
select
    'month_zero_retention' as claim,
    0 as expected_value,
    built.month_zero_not_retained as built_value
from built
where built.month_zero_not_retained > 0
