-- One row per after-sales complaint ticket: the product complained about (manufacturer, supplier, category),
-- the dealer that sold it, the complaint type from the taxonomy seed, the escalation path, the outcome, time
-- to resolve, compensation in the reporting currency, and whether the customer ordered again afterwards.

with staged_tickets as (

    select * from {{ ref('stg_service__after_sales_tickets') }}

),

order_lines as (

    select * from {{ ref('fct_order_lines') }}

),

products as (

    select * from {{ ref('stg_shop__products') }}

),

taxonomy as (

    select * from {{ ref('complaint_taxonomy') }}

),

followups as (

    select * from {{ ref('int_ticket_followups_aggregated') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_filled') }}

),

tickets as (

    select
        *,
        cast({{ dbt.datediff('opened_at', 'closed_at', 'second') }} / cast(3600 as double) as double) as hours_to_close  -- noqa: LT05
    from staged_tickets

),

final as (

    select
        tickets.ticket_id,
        tickets.order_line_id,
        followups.golden_customer_id,
        tickets.customer_id as shop_customer_id,
        tickets.dealer_id,
        order_lines.product_id,
        products.manufacturer,
        products.supplier,
        products.category as product_category,
        tickets.complaint_type,
        taxonomy.complaint_label,
        coalesce(taxonomy.is_quality_defect, false) as is_quality_defect,
        taxonomy.severity,
        tickets.escalated_to,
        tickets.escalated_to <> 'none' as is_escalated,
        tickets.resolution,
        case
            when tickets.closed_at is null then 'open'
            when tickets.resolution in ('resolved', 'replaced', 'refunded') then 'resolved'
            when tickets.resolution = 'rejected' then 'rejected'
            else 'unresolved'
        end as resolution_outcome,
        tickets.opened_at,
        tickets.closed_at,
        tickets.hours_to_close,
        tickets.currency_code,
        {{ to_decimal("tickets.compensation_amount", 18, 4) }} as compensation_amount,
        {{ to_decimal("tickets.compensation_amount * fx_rates.rate_to_reporting", 18, 4) }}
            as compensation_amount_reporting,
        followups.is_retention_observable,
        followups.followup_order_count > 0 as has_followup_order,
        cast(followups.followup_order_count as bigint) as followup_order_count,
        {{ to_decimal("followups.followup_net_revenue_reporting", 18, 4) }} as followup_net_revenue_reporting,
        tickets.loaded_at
    from tickets
    left join order_lines
        on tickets.order_line_id = order_lines.order_line_id
    left join products
        on order_lines.product_id = products.product_id
    left join taxonomy
        on tickets.complaint_type = taxonomy.complaint_type
    left join followups
        on tickets.ticket_id = followups.ticket_id
    left join fx_rates
        on
            cast(tickets.opened_at as date) = fx_rates.rate_date
            and tickets.currency_code = fx_rates.currency_code

)

select * from final
