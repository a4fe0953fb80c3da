-- One row per ticket outcome (resolved, rejected, unresolved, open) and complaint type: of the complaints
-- whose retention window is over, how many customers ordered again within it and what those orders were
-- worth — what an unresolved complaint costs against a resolved one.

with tickets as (

    select * from {{ ref('fct_after_sales_tickets') }}

),

final as (

    select
        resolution_outcome,
        complaint_type,
        count(*) as observed_ticket_count,
        count(distinct golden_customer_id) as customer_count,
        count(distinct case when has_followup_order then golden_customer_id end) as retained_customer_count,
        cast(
            count(distinct case when has_followup_order then golden_customer_id end) * 1.0
            / nullif(count(distinct golden_customer_id), 0) as double
        ) as retention_rate,
        {{ to_decimal("sum(followup_net_revenue_reporting)", 18, 4) }} as followup_net_revenue_reporting,
        {{ to_decimal("
            sum(followup_net_revenue_reporting) / nullif(count(*), 0)",
            18, 4
        ) }} as followup_net_revenue_per_ticket_reporting
    from tickets
    where is_retention_observable
    group by resolution_outcome, complaint_type

)

select * from final
