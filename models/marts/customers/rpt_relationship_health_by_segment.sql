-- Do untended customers churn more? One row per segmentation (customer type, RFM segment, behavioural
-- segment) and segment: the churn rate of customers whose last purchase went untended against those whose
-- last purchase was followed up (customers whose follow-up window is still open are in neither group).
with health as (

    select * from {{ ref('rpt_relationship_health') }}

),

segmented as (

    select
        'customer_type' as segmentation,
        customer_type as customer_segment,
        *
    from health
    union all
    select
        'rfm_segment' as segmentation,
        coalesce(rfm_segment, 'unknown') as customer_segment,
        *
    from health
    union all
    select
        'behavioural_segment' as segmentation,
        coalesce(behavioural_segment, 'unknown') as customer_segment,
        *
    from health

),

grouped as (

    select
        segmentation,
        customer_segment,
        max(as_of_date) as as_of_date,
        count(*) as customers,
        count(*) filter (where has_crm_contact) as customers_with_crm_contact,
        count(*) filter (where is_churned) as churned_customers,
        count(*) filter (where last_purchase_follow_up_status = 'untended') as untended_customers,
        count(*) filter (where last_purchase_follow_up_status = 'untended' and is_churned)
            as untended_churned_customers,
        count(*) filter (where last_purchase_follow_up_status = 'tended') as tended_customers,
        count(*) filter (where last_purchase_follow_up_status = 'tended' and is_churned)
            as tended_churned_customers,
        sum(touchpoint_cost_reporting) as touchpoint_cost_reporting
    from segmented
    group by segmentation, customer_segment

),

final as (

    select
        segmentation,
        customer_segment,
        as_of_date,
        customers,
        customers_with_crm_contact,
        churned_customers,
        untended_customers,
        untended_churned_customers,
        {{ to_decimal("untended_churned_customers * 1.0 / nullif(untended_customers, 0)", 9, 4) }}
            as untended_churn_rate,
        tended_customers,
        tended_churned_customers,
        {{ to_decimal("tended_churned_customers * 1.0 / nullif(tended_customers, 0)", 9, 4) }} as tended_churn_rate,
        {{ to_decimal("
            untended_churned_customers * 1.0 / nullif(untended_customers, 0)
            - tended_churned_customers * 1.0 / nullif(tended_customers, 0)", 9, 4) }} as churn_rate_difference,
        untended_churned_customers * 1.0 / nullif(untended_customers, 0)
        > tended_churned_customers * 1.0 / nullif(tended_customers, 0) as do_untended_churn_more,
        {{ to_decimal("touchpoint_cost_reporting", 18, 4) }} as touchpoint_cost_reporting
    from grouped

)

select * from final
