-- One row per marketing campaign, every campaign measured the same way, whatever its result: cost, reach,
-- orders and net revenue (after refunds) in the campaign window, the same for a baseline window of equal
-- length just before it, the incremental revenue (window minus baseline), ROI, and the leads it generated.
-- A campaign whose baseline falls before the first order, or whose window runs past the last order, is
-- still listed, with measurement_status saying why ROI is not given.

with campaigns as (

    select * from {{ ref('stg_marketing__campaigns') }}

),

orders as (

    select * from {{ ref('fct_orders') }}

),

leads as (

    select * from {{ ref('fct_leads') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_filled') }}

),

order_span as (

    select
        min(order_date) as first_order_date,
        max(order_date) as last_order_date
    from orders

),

campaign_dates as (

    select
        *,
        cast(starts_at as date) as window_start_date,
        cast(ends_at as date) as window_end_date
    from campaigns

),

campaign_days as (

    select
        *,
        {{ dbt.datediff('window_start_date', 'window_end_date', 'day') }} + 1 as window_days  -- noqa: LT05
    from campaign_dates

),

windows as (

    select
        campaign_days.campaign_id,
        campaign_days.campaign_name,
        campaign_days.campaign_type,
        campaign_days.discount_code,
        campaign_days.starts_at,
        campaign_days.ends_at,
        campaign_days.window_start_date,
        campaign_days.window_end_date,
        campaign_days.window_days,
        campaign_days.cost_amount,
        campaign_days.currency_code,
        campaign_days.cost_amount * fx_rates.rate_to_reporting as cost_amount_reporting
    from campaign_days
    left join fx_rates
        on
            campaign_days.window_start_date = fx_rates.rate_date
            and campaign_days.currency_code = fx_rates.currency_code

),

windows_with_baseline as (

    select
        *,
        cast({{ dbt.dateadd('day', '-window_days', 'window_start_date') }} as date) as baseline_start_date,
        cast({{ dbt.dateadd('day', '-1', 'window_start_date') }} as date) as baseline_end_date
    from windows

),

window_orders as (

    select
        windows_with_baseline.campaign_id,
        count(*) as window_order_count,
        count(distinct orders.golden_customer_id) as reach_customer_count,
        sum(orders.net_amount_after_refunds_reporting) as window_net_revenue_reporting,
        sum(
            case when orders.discount_code = windows_with_baseline.discount_code then 1 else 0 end
        ) as code_redemption_order_count
    from windows_with_baseline
    inner join orders
        on orders.order_date between windows_with_baseline.window_start_date and windows_with_baseline.window_end_date
    group by windows_with_baseline.campaign_id

),

baseline_orders as (

    select
        windows_with_baseline.campaign_id,
        count(*) as baseline_order_count,
        sum(orders.net_amount_after_refunds_reporting) as baseline_net_revenue_reporting
    from windows_with_baseline
    inner join orders
        on
            orders.order_date between windows_with_baseline.baseline_start_date
            and windows_with_baseline.baseline_end_date
    group by windows_with_baseline.campaign_id

),

campaign_leads as (

    select
        campaign_id,
        count(distinct lead_id) as leads_generated,
        count(distinct case when is_won then lead_id end) as leads_won,
        sum(won_amount_reporting) as lead_won_amount_reporting
    from leads
    where campaign_id is not null
    group by campaign_id

),

measured as (

    select
        windows_with_baseline.*,
        order_span.first_order_date,
        order_span.last_order_date,
        coalesce(window_orders.window_order_count, 0) as window_order_count,
        coalesce(window_orders.reach_customer_count, 0) as reach_customer_count,
        coalesce(window_orders.code_redemption_order_count, 0) as code_redemption_order_count,
        coalesce(window_orders.window_net_revenue_reporting, 0) as window_net_revenue_reporting,
        coalesce(baseline_orders.baseline_order_count, 0) as baseline_order_count,
        coalesce(baseline_orders.baseline_net_revenue_reporting, 0) as baseline_net_revenue_reporting,
        coalesce(campaign_leads.leads_generated, 0) as leads_generated,
        coalesce(campaign_leads.leads_won, 0) as leads_won,
        coalesce(campaign_leads.lead_won_amount_reporting, 0) as lead_won_amount_reporting,
        case
            when windows_with_baseline.baseline_start_date < order_span.first_order_date
                then 'no_full_baseline'
            when windows_with_baseline.window_end_date > order_span.last_order_date
                then 'window_not_complete'
            when coalesce(windows_with_baseline.cost_amount_reporting, 0) = 0
                then 'no_cost'
            else 'measured'
        end as measurement_status
    from windows_with_baseline
    cross join order_span
    left join window_orders
        on windows_with_baseline.campaign_id = window_orders.campaign_id
    left join baseline_orders
        on windows_with_baseline.campaign_id = baseline_orders.campaign_id
    left join campaign_leads
        on windows_with_baseline.campaign_id = campaign_leads.campaign_id

),

final as (

    select
        campaign_id,
        campaign_name,
        campaign_type,
        discount_code,
        starts_at,
        ends_at,
        window_start_date,
        window_end_date,
        cast(window_days as integer) as window_days,
        baseline_start_date,
        baseline_end_date,
        currency_code,
        cast(cost_amount as decimal(18, 4)) as cost_amount,
        cast(cost_amount_reporting as decimal(18, 4)) as cost_amount_reporting,
        cast(reach_customer_count as bigint) as reach_customer_count,
        cast(window_order_count as bigint) as window_order_count,
        cast(code_redemption_order_count as bigint) as code_redemption_order_count,
        cast(window_net_revenue_reporting as decimal(18, 4)) as window_net_revenue_reporting,
        cast(baseline_order_count as bigint) as baseline_order_count,
        cast(baseline_net_revenue_reporting as decimal(18, 4)) as baseline_net_revenue_reporting,
        cast(
            case
                when measurement_status in ('measured', 'no_cost')
                    then window_net_revenue_reporting - baseline_net_revenue_reporting
            end as decimal(18, 4)
        ) as incremental_revenue_reporting,
        cast(
            case
                when measurement_status = 'measured'
                    then
                        (window_net_revenue_reporting - baseline_net_revenue_reporting - cost_amount_reporting)
                        / cost_amount_reporting
            end as double
        ) as return_on_investment,
        cast(leads_generated as bigint) as leads_generated,
        cast(leads_won as bigint) as leads_won,
        cast(lead_won_amount_reporting as decimal(18, 4)) as lead_won_amount_reporting,
        measurement_status,
        case
            when measurement_status <> 'measured' then 'not_measured'
            when window_net_revenue_reporting - baseline_net_revenue_reporting > cost_amount_reporting
                then 'paid_back'
            when window_net_revenue_reporting > baseline_net_revenue_reporting then 'lifted_below_cost'
            else 'no_lift'
        end as result_category
    from measured

)

select * from final
