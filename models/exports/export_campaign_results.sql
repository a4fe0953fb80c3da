-- Campaign results as every dealer whose agreement covers them receives them: one row per campaign. Lead
-- figures add up several dealers' leads and are published only under the peer disclosure rules, so no dealer's
-- own figures can be read from them.

with campaign_results as (

    select * from {{ ref('rpt_campaign_results') }}

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
        window_days,
        prior_activity_start_date,
        prior_activity_end_date,
        prior_activity_day_count,
        currency_code,
        cost_amount,
        cost_amount_reporting,
        reach_customer_count,
        window_order_count,
        code_redemption_order_count,
        code_discount_amount_reporting,
        roi_cost_amount_reporting,
        window_net_revenue_reporting,
        measurement_method,
        treated_customer_count,
        matched_treated_customer_count,
        control_customer_count,
        baseline_season_factor,
        confidence_level,
        incremental_orders,
        incremental_orders_lower_bound,
        incremental_orders_upper_bound,
        incremental_revenue_reporting,
        incremental_revenue_lower_bound_reporting,
        incremental_revenue_upper_bound_reporting,
        return_on_investment,
        return_on_investment_lower_bound,
        return_on_investment_upper_bound,
        is_lead_figures_published,
        lead_figures_withheld_reason,
        lead_dealer_count,
        leads_generated,
        leads_won,
        lead_won_amount_reporting,
        measurement_status,
        result_category
    from campaign_results

)

select * from final
