-- One row per breakdown (manufacturer, product, supplier, dealer) value and complaint type of the taxonomy:
-- units shipped (shop order lines), tickets and tickets per million units, escalation paths, outcomes, time
-- to close and compensation. Every value that shipped units has a row for every complaint type, so a zero
-- rate is shown as zero rather than missing; with no ticket at all (no service system landed) it is empty.
-- Direct sales (no dealer) appear as dealer 'direct'.

with order_lines as (

    select * from {{ ref('fct_order_lines') }}

),

products as (

    select * from {{ ref('stg_shop__products') }}

),

tickets as (

    select * from {{ ref('fct_after_sales_tickets') }}

),

taxonomy as (

    select * from {{ ref('complaint_taxonomy') }}

),

units_by_product_dealer as (

    select
        product_id,
        coalesce(dealer_id, 'direct') as dealer_id,
        sum(quantity) as units_shipped
    from order_lines
    group by product_id, coalesce(dealer_id, 'direct')

),

units_with_product as (

    select
        units_by_product_dealer.product_id,
        units_by_product_dealer.dealer_id,
        units_by_product_dealer.units_shipped,
        coalesce(products.manufacturer, 'unknown') as manufacturer,
        coalesce(products.supplier, 'unknown') as supplier
    from units_by_product_dealer
    left join products
        on units_by_product_dealer.product_id = products.product_id

),

units_by_breakdown as (

    select
        'manufacturer' as breakdown_type,
        manufacturer as breakdown_value,
        sum(units_shipped) as units_shipped
    from units_with_product
    group by manufacturer
    union all
    select
        'product' as breakdown_type,
        product_id as breakdown_value,
        sum(units_shipped) as units_shipped
    from units_with_product
    group by product_id
    union all
    select
        'supplier' as breakdown_type,
        supplier as breakdown_value,
        sum(units_shipped) as units_shipped
    from units_with_product
    group by supplier
    union all
    select
        'dealer' as breakdown_type,
        dealer_id as breakdown_value,
        sum(units_shipped) as units_shipped
    from units_with_product
    group by dealer_id

),

tickets_by_dimension as (

    select
        'manufacturer' as breakdown_type,
        coalesce(manufacturer, 'unknown') as breakdown_value,
        *
    from tickets
    union all
    select
        'product' as breakdown_type,
        coalesce(product_id, 'unknown') as breakdown_value,
        *
    from tickets
    union all
    select
        'supplier' as breakdown_type,
        coalesce(supplier, 'unknown') as breakdown_value,
        *
    from tickets
    union all
    select
        'dealer' as breakdown_type,
        coalesce(dealer_id, 'direct') as breakdown_value,
        *
    from tickets

),

ticket_stats as (

    select
        breakdown_type,
        breakdown_value,
        complaint_type,
        count(*) as ticket_count,
        sum(case when escalated_to = 'manufacturer' then 1 else 0 end) as escalated_to_manufacturer_count,
        sum(case when escalated_to = 'agent' then 1 else 0 end) as escalated_to_agent_count,
        sum(case when escalated_to = 'third_party_lab' then 1 else 0 end) as escalated_to_third_party_lab_count,
        sum(case when resolution_outcome = 'resolved' then 1 else 0 end) as resolved_ticket_count,
        sum(case when resolution_outcome = 'open' then 1 else 0 end) as open_ticket_count,
        {{ mean_of_hours('hours_to_close') }} as mean_hours_to_close,
        sum(compensation_amount_reporting) as compensation_amount_reporting
    from tickets_by_dimension
    group by breakdown_type, breakdown_value, complaint_type

),

grid as (

    select
        units_by_breakdown.breakdown_type,
        units_by_breakdown.breakdown_value,
        units_by_breakdown.units_shipped,
        taxonomy.complaint_type,
        taxonomy.is_quality_defect
    from units_by_breakdown
    cross join taxonomy

),

final as (

    select
        grid.breakdown_type,
        grid.breakdown_value,
        grid.complaint_type,
        grid.is_quality_defect,
        cast(grid.units_shipped as bigint) as units_shipped,
        cast(coalesce(ticket_stats.ticket_count, 0) as bigint) as ticket_count,
        cast(
            coalesce(ticket_stats.ticket_count, 0) * 1000000.0 / nullif(grid.units_shipped, 0) as double
        ) as tickets_per_million_units,
        cast(coalesce(ticket_stats.escalated_to_manufacturer_count, 0) as bigint)
            as escalated_to_manufacturer_count,
        cast(coalesce(ticket_stats.escalated_to_agent_count, 0) as bigint) as escalated_to_agent_count,
        cast(coalesce(ticket_stats.escalated_to_third_party_lab_count, 0) as bigint)
            as escalated_to_third_party_lab_count,
        cast(coalesce(ticket_stats.resolved_ticket_count, 0) as bigint) as resolved_ticket_count,
        cast(coalesce(ticket_stats.open_ticket_count, 0) as bigint) as open_ticket_count,
        cast(ticket_stats.mean_hours_to_close as double) as mean_hours_to_close,
        {{ to_decimal("coalesce(ticket_stats.compensation_amount_reporting, 0)", 18, 4) }}
            as compensation_amount_reporting
    from grid
    left join ticket_stats
        on
            grid.breakdown_type = ticket_stats.breakdown_type
            and grid.breakdown_value = ticket_stats.breakdown_value
            and grid.complaint_type = ticket_stats.complaint_type
    -- Without any ticket the service system has not landed (an empty domain): no rows rather than zero rates.
    where exists (select 1 from tickets)

)

select * from final
