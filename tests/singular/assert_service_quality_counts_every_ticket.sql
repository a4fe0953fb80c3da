{{ config(meta={'dagster': {'ref': {'name': 'rpt_after_sales_quality'}}}) }}
-- Every ticket on a known product is counted once in each breakdown of rpt_after_sales_quality.
-- Rows returned are breakdowns whose ticket total differs from fct_after_sales_tickets.
with quality as (

    select * from {{ ref('rpt_after_sales_quality') }}

),

tickets as (

    select * from {{ ref('fct_after_sales_tickets') }}

),

expected as (

    select count(*) as ticket_count
    from tickets
    where product_id is not null

),

counted as (

    select
        breakdown_type,
        sum(ticket_count) as ticket_count
    from quality
    group by breakdown_type

)

select
    counted.breakdown_type,
    counted.ticket_count,
    expected.ticket_count as expected_ticket_count
from counted
cross join expected
where counted.ticket_count <> expected.ticket_count
