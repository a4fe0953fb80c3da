-- One row per dealer, month and scorecard metric (see the scorecard_metrics seed) that has a value: the
-- dealer's value and the weight it carries in a peer benchmark (the metric's denominator).

with dealer_sales as (

    select * from {{ ref('fct_dealer_sales') }}

),

leads as (

    select * from {{ ref('fct_leads') }}

),

order_lines as (

    select * from {{ ref('fct_order_lines') }}

),

tickets as (

    select * from {{ ref('fct_after_sales_tickets') }}

),

monthly_sales as (

    select
        dealer_id,
        period_month,
        sum(case when is_own_brand then revenue_amount_reporting else 0 end) as own_revenue_reporting,
        sum(revenue_amount_reporting) as total_revenue_reporting
    from dealer_sales
    group by dealer_id, period_month

),

monthly_sales_with_previous as (

    select
        monthly_sales.*,
        previous_month.own_revenue_reporting as previous_own_revenue_reporting
    from monthly_sales
    left join monthly_sales as previous_month
        on
            monthly_sales.dealer_id = previous_month.dealer_id
            and previous_month.period_month
            = cast({{ dbt.dateadd('month', '-1', 'monthly_sales.period_month') }} as date)

),

monthly_leads as (

    select
        dealer_id,
        assigned_month as period_month,
        {{ mean_of_hours('response_hours') }} as mean_response_hours,
        count(response_hours) as answered_leads,
        sum(case when is_won then 1 else 0 end) as won_leads,
        sum(case when is_won or is_lost then 1 else 0 end) as closed_leads
    from leads
    group by dealer_id, assigned_month

),

line_tickets as (

    select
        order_line_id,
        count(*) as ticket_count
    from tickets
    group by order_line_id

),

monthly_complaints as (

    select
        order_lines.dealer_id,
        cast({{ dbt.date_trunc('month', 'order_lines.order_date') }} as date) as period_month,
        sum(order_lines.quantity) as units_sold,
        sum(coalesce(line_tickets.ticket_count, 0)) as ticket_count
    from order_lines
    left join line_tickets
        on order_lines.order_line_id = line_tickets.order_line_id
    where order_lines.dealer_id is not null
    group by order_lines.dealer_id, cast({{ dbt.date_trunc('month', 'order_lines.order_date') }} as date)

),

unioned as (

    select
        dealer_id,
        period_month,
        'sell_through_growth' as metric_name,
        own_revenue_reporting / previous_own_revenue_reporting - 1 as metric_value,
        previous_own_revenue_reporting as metric_weight
    from monthly_sales_with_previous
    where previous_own_revenue_reporting > 0

    union all

    select
        dealer_id,
        period_month,
        'share_of_wallet' as metric_name,
        own_revenue_reporting / total_revenue_reporting as metric_value,
        total_revenue_reporting as metric_weight
    from monthly_sales
    where total_revenue_reporting > 0

    union all

    select
        dealer_id,
        period_month,
        'lead_response_hours' as metric_name,
        mean_response_hours as metric_value,
        answered_leads as metric_weight
    from monthly_leads
    where answered_leads > 0

    union all

    select
        dealer_id,
        period_month,
        'lead_conversion_rate' as metric_name,
        won_leads / closed_leads as metric_value,
        closed_leads as metric_weight
    from monthly_leads
    where closed_leads > 0

    union all

    select
        dealer_id,
        period_month,
        'complaint_rate_per_million_units' as metric_name,
        ticket_count * 1000000.0 / units_sold as metric_value,
        units_sold as metric_weight
    from monthly_complaints
    where units_sold > 0

),

final as (

    select
        dealer_id,
        period_month,
        metric_name,
        cast(metric_value as double) as metric_value,
        cast(metric_weight as double) as metric_weight
    from unioned

)

select * from final
