-- One row per marketing campaign, every campaign listed whatever its result: cost, reach, orders and net revenue (after
-- refunds) in the window, and the campaign's lift measured against a control group, with an interval. Lift (methods
-- `matched_members_vs_non_members` and `matched_outreach_vs_opted_out`, from the campaign_measurement_designs seed):
-- for each customer who signed up before the window, the change is the window's orders (revenue) minus what the
-- customer's own rate in the prior-activity period predicts (fct_campaign_customer_outcomes). Customers are split into
-- strata of signup year, customer type, banded prior orders and banded days since the last prior order; in each stratum
-- the mean change of the customers the campaign reaches (loyalty members, or customers who accept outreach) minus that
-- of the customers it cannot reach, times the reached customers, summed over the strata with enough customers in both
-- groups and scaled up by all reached customers over those matched (the unmatched are taken to respond like the
-- matched), is the incremental orders and revenue (a matched difference in differences). The interval is the normal
-- approximation estimate ± z × standard error, the variance summed over strata from the two groups' sample variances (z
-- and the confidence level in the campaign_measurement_rules seed). ROI uses the estimate and its bounds. First-order
-- offers (method `new_customer_conversion_pre_post`): every sign-up is offered the code, so there is no untouched
-- group; instead the share of the window's sign-ups who place a first order within new_customer_days is compared with
-- the share among sign-ups of the baseline_signup_days before the window (when no offer ran;
-- fct_campaign_new_customer_signups), scaled by the season factor: how many times as many orders a day customers who
-- signed up before the baseline placed in the window as in the baseline's follow-up (customers no other campaign
-- reaches — not loyalty members, opted out of outreach — when they bought in both, else all of them). Incremental new
-- customers (= incremental first orders) = (window share - season factor x baseline share) x window sign-ups, with the
-- binomial variance of both shares and the factor's Poisson variance; incremental revenue = (window - season factor x
-- baseline mean first-order net revenue after refunds per sign-up, 0 for one who did not convert) x window sign-ups
-- (first-order revenue only), with both sample variances, so the extra customers need not buy like the average new
-- customer; ROI's cost is the discount given with the code in the window. Types with no control group in the data are
-- listed with measurement_status `no_control_group`. Lead figures add up several dealers' leads, and every dealer
-- receives this table: they follow the peer_benchmark_rules seed (more than min_peers dealers behind each figure, so a
-- dealer who subtracts its own still faces min_peers others, and none above max_peer_weight_share of it) or are
-- withheld with a reason.

with campaigns as (

    select * from {{ ref('stg_marketing__campaigns') }}

),

-- the orders, once for each reader (the span of days, the daily totals, the daily first orders and the season
-- baseline): each read by one CTE alone, so the engine streams the columns it needs instead of holding every order
orders_for_span as (

    select * from {{ ref('fct_orders') }}

),

orders_for_days as (

    select * from {{ ref('fct_orders') }}

),

orders_for_first_orders as (

    select * from {{ ref('fct_orders') }}

),

orders_for_season as (

    select * from {{ ref('fct_orders') }}

),

leads as (

    select * from {{ ref('fct_leads') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_filled') }}

),

customer_outcomes as (

    select * from {{ ref('fct_campaign_customer_outcomes') }}

),

new_customer_signups as (

    select * from {{ ref('fct_campaign_new_customer_signups') }}

),

customer_profiles as (

    select * from {{ ref('int_customer_profiles_merged') }}

),

customer_ids as (

    select * from {{ ref('int_customer_ids_resolved') }}

),

campaign_measurement_designs as (

    select * from {{ ref('campaign_measurement_designs') }}

),

campaign_measurement_rules as (

    select * from {{ ref('campaign_measurement_rules') }}

),

peer_benchmark_rules as (

    select * from {{ ref('peer_benchmark_rules') }}

),

rules as (

    select
        max(case when rule_name = 'confidence_level' then rule_value end) as confidence_level,
        max(case when rule_name = 'z_score' then rule_value end) as z_score,
        cast(max(case when rule_name = 'prior_activity_days' then rule_value end) as integer) as prior_activity_days,
        max(case when rule_name = 'min_prior_activity_days' then rule_value end) as min_prior_activity_days,
        max(case when rule_name = 'min_group_customers' then rule_value end) as min_group_customers
    from campaign_measurement_rules

),

disclosure_rules as (

    select
        max(case when rule_name = 'min_peers' then rule_value end) as min_peers,
        max(case when rule_name = 'max_peer_weight_share' then rule_value end) as max_peer_weight_share
    from peer_benchmark_rules

),

order_span as (

    select
        min(order_date) as first_order_date,
        max(order_date) as last_order_date
    from orders_for_span

),

campaign_dates as (

    select
        campaigns.*,
        cast(campaigns.starts_at as date) as window_start_date,
        cast(campaigns.ends_at as date) as window_end_date,
        greatest(
            cast(
                {{ dbt.dateadd('day', '-rules.prior_activity_days', 'cast(campaigns.starts_at as date)') }} as date
            ),
            order_span.first_order_date
        ) as prior_activity_start_date,
        cast({{ dbt.dateadd('day', '-1', 'cast(campaigns.starts_at as date)') }} as date) as prior_activity_end_date
    from campaigns
    cross join rules
    cross join order_span

),

windows as (

    select
        campaign_dates.campaign_id,
        campaign_dates.campaign_name,
        campaign_dates.campaign_type,
        campaign_dates.discount_code,
        campaign_dates.starts_at,
        campaign_dates.ends_at,
        campaign_dates.window_start_date,
        campaign_dates.window_end_date,
        {{ dbt.datediff('campaign_dates.window_start_date', 'campaign_dates.window_end_date', 'day') }}
        + 1 as window_days,
        campaign_dates.prior_activity_start_date,
        campaign_dates.prior_activity_end_date,
        campaign_dates.cost_amount,
        campaign_dates.currency_code,
        campaign_dates.cost_amount * fx_rates.rate_to_reporting as cost_amount_reporting,
        campaign_measurement_designs.measurement_method
    from campaign_dates
    left join fx_rates
        on
            campaign_dates.window_start_date = fx_rates.rate_date
            and campaign_dates.currency_code = fx_rates.currency_code
    left join campaign_measurement_designs
        on campaign_dates.campaign_type = campaign_measurement_designs.campaign_type

),

daily_orders as (

    -- orders per day and discount code: every window figure but reach adds these up
    select
        order_date,
        discount_code,
        count(*) as order_count,
        sum(net_amount_after_refunds_reporting) as net_revenue_reporting,
        sum(discount_amount_reporting) as discount_amount_reporting
    from orders_for_days
    group by order_date, discount_code

),

daily_first_orders as (

    -- orders per day and day of the customer's previous order (fct_orders orders each customer's orders in time): a
    -- customer's first order in a window is the one order there whose previous order came before the window or that
    -- has none, so counting those orders counts each customer the window reached once
    select
        order_date,
        previous_order_date,
        count(*) as order_count
    from orders_for_first_orders
    group by order_date, previous_order_date

),

window_reach as (

    select
        windows.campaign_id,
        sum(daily_first_orders.order_count) as reach_customer_count
    from windows
    inner join daily_first_orders
        on daily_first_orders.order_date between windows.window_start_date and windows.window_end_date
    where
        daily_first_orders.previous_order_date is null
        or daily_first_orders.previous_order_date < windows.window_start_date
    group by windows.campaign_id

),

window_orders as (

    select
        windows.campaign_id,
        sum(daily_orders.order_count) as window_order_count,
        window_reach.reach_customer_count,
        sum(daily_orders.net_revenue_reporting) as window_net_revenue_reporting,
        sum(
            case when daily_orders.discount_code = windows.discount_code then daily_orders.order_count else 0 end
        ) as code_redemption_order_count,
        sum(
            case
                when daily_orders.discount_code = windows.discount_code then daily_orders.discount_amount_reporting
                else 0
            end
        ) as code_discount_amount_reporting
    from windows
    inner join daily_orders
        on daily_orders.order_date between windows.window_start_date and windows.window_end_date
    inner join window_reach
        on windows.campaign_id = window_reach.campaign_id
    group by windows.campaign_id, window_reach.reach_customer_count

),

customer_changes as (

    -- each customer's window orders and revenue minus what the customer's own prior rate predicts
    select
        campaign_id,
        signup_year,
        customer_type,
        prior_order_band,
        prior_recency_band,
        is_treated,
        window_order_count - expected_window_order_count as order_change,
        cast(window_net_revenue_reporting as double) - expected_window_net_revenue_reporting as revenue_change
    from customer_outcomes

),

strata as (

    select
        campaign_id,
        signup_year,
        customer_type,
        prior_order_band,
        prior_recency_band,
        sum(case when is_treated then 1 else 0 end) as treated_count,
        sum(case when is_treated then 0 else 1 end) as control_count,
        avg(case when is_treated then order_change end) as treated_mean_orders,
        avg(case when not is_treated then order_change end) as control_mean_orders,
        var_samp(case when is_treated then order_change end) as treated_variance_orders,
        var_samp(case when not is_treated then order_change end) as control_variance_orders,
        avg(case when is_treated then revenue_change end) as treated_mean_revenue,
        avg(case when not is_treated then revenue_change end) as control_mean_revenue,
        var_samp(case when is_treated then revenue_change end) as treated_variance_revenue,
        var_samp(case when not is_treated then revenue_change end) as control_variance_revenue
    from customer_changes
    group by
        campaign_id,
        signup_year,
        customer_type,
        prior_order_band,
        prior_recency_band

),

matched_strata as (

    -- a stratum counts when both groups have at least min_group_customers customers
    select
        strata.*,
        strata.treated_count >= rules.min_group_customers
        and strata.control_count >= rules.min_group_customers as is_matched
    from strata
    cross join rules

),

stratum_contributions as (

    -- n_t x (mean_t - mean_c), and its variance n_t^2 x (var_t / n_t + var_c / n_c)
    select
        campaign_id,
        treated_count,
        is_matched,
        case when is_matched then treated_count else 0 end as matched_treated_count,
        case when is_matched then control_count else 0 end as matched_control_count,
        case
            when is_matched then treated_count * (treated_mean_orders - control_mean_orders)
        end as incremental_orders,
        case
            when is_matched
                then
                    treated_count * treated_variance_orders
                    + treated_count * treated_count * control_variance_orders / control_count
        end as incremental_orders_variance,
        case
            when is_matched then treated_count * (treated_mean_revenue - control_mean_revenue)
        end as incremental_revenue,
        case
            when is_matched
                then
                    treated_count * treated_variance_revenue
                    + treated_count * treated_count * control_variance_revenue / control_count
        end as incremental_revenue_variance
    from matched_strata

),

matched_totals as (

    select
        campaign_id,
        sum(treated_count) as treated_customer_count,
        sum(matched_treated_count) as matched_treated_customer_count,
        sum(matched_control_count) as control_customer_count,
        sum(incremental_orders) as incremental_orders,
        sum(incremental_orders_variance) as incremental_orders_variance,
        sum(incremental_revenue) as incremental_revenue,
        sum(incremental_revenue_variance) as incremental_revenue_variance
    from stratum_contributions
    group by campaign_id

),

matched_lift_estimates as (

    -- the matched customers' lift scaled up to every reached customer (reached customers in a stratum without
    -- enough comparison customers are taken to respond like the matched ones); the variance scales with its square
    select
        campaign_id,
        treated_customer_count,
        matched_treated_customer_count,
        control_customer_count,
        cast(null as double) as baseline_season_factor,
        incremental_orders * treated_customer_count
        / nullif(matched_treated_customer_count, 0) as incremental_orders,
        incremental_orders_variance
        * power(cast(treated_customer_count as double) / nullif(matched_treated_customer_count, 0), 2)
            as incremental_orders_variance,
        incremental_revenue * treated_customer_count
        / nullif(matched_treated_customer_count, 0) as incremental_revenue,
        incremental_revenue_variance
        * power(cast(treated_customer_count as double) / nullif(matched_treated_customer_count, 0), 2)
            as incremental_revenue_variance
    from matched_totals

),

conversion_groups as (

    -- first-order offers: sign-ups of the window and of the baseline, and those who converted
    select
        campaign_id,
        min(baseline_start_date) as baseline_start_date,
        min(baseline_end_date) as baseline_end_date,
        sum(case when is_in_window then 1 else 0 end) as window_signup_count,
        sum(case when is_in_window and has_converted then 1 else 0 end) as window_converted_count,
        sum(case when is_in_window then 0 else 1 end) as baseline_signup_count,
        sum(case when not is_in_window and has_converted then 1 else 0 end) as baseline_converted_count,
        avg(
            case when is_in_window then cast(coalesce(first_order_net_revenue_reporting, 0) as double) end
        ) as window_revenue_per_signup,
        var_samp(
            case when is_in_window then cast(coalesce(first_order_net_revenue_reporting, 0) as double) end
        ) as window_revenue_variance,
        avg(
            case when not is_in_window then cast(coalesce(first_order_net_revenue_reporting, 0) as double) end
        ) as baseline_revenue_per_signup,
        var_samp(
            case when not is_in_window then cast(coalesce(first_order_net_revenue_reporting, 0) as double) end
        ) as baseline_revenue_variance
    from new_customer_signups
    group by campaign_id

),

loyalty_members as (

    select distinct golden_customer_id
    from customer_ids
    where source_system = 'loyalty'

),

established_customers as (

    -- customers who could buy in both periods of an offer; untouched: reached by no other campaign (not a loyalty
    -- member, opted out of outreach), so their buying follows the season alone
    select
        customer_profiles.golden_customer_id,
        cast(customer_profiles.created_at as date) as signup_date,
        customer_profiles.is_outreach_opt_out and loyalty_members.golden_customer_id is null as is_untouched
    from customer_profiles
    left join loyalty_members
        on customer_profiles.golden_customer_id = loyalty_members.golden_customer_id

),

season_orders as (

    -- per offer, orders of customers who signed up before its baseline, in the baseline's follow-up (baseline start
    -- to the day before the window) and in the window
    select
        conversion_groups.campaign_id,
        sum(
            case when established_customers.is_untouched and orders.order_date < windows.window_start_date then 1 end
        ) as untouched_baseline_order_count,
        sum(
            case when established_customers.is_untouched and orders.order_date >= windows.window_start_date then 1 end
        ) as untouched_window_order_count,
        sum(case when orders.order_date < windows.window_start_date then 1 end) as established_baseline_order_count,
        sum(case when orders.order_date >= windows.window_start_date then 1 end) as established_window_order_count
    from conversion_groups
    inner join windows
        on conversion_groups.campaign_id = windows.campaign_id
    inner join orders_for_season as orders
        on orders.order_date between conversion_groups.baseline_start_date and windows.window_end_date
    inner join established_customers
        on
            orders.golden_customer_id = established_customers.golden_customer_id
            and conversion_groups.baseline_start_date > established_customers.signup_date
    group by conversion_groups.campaign_id

),

season_factors as (

    -- window orders per day / baseline follow-up orders per day, from the untouched customers when they bought in
    -- both periods, else from all established customers; the inverse counts give the factor's relative variance
    select
        season_orders.campaign_id,
        case
            when season_orders.untouched_baseline_order_count > 0 and season_orders.untouched_window_order_count > 0
                then season_orders.untouched_window_order_count
            else season_orders.established_window_order_count
        end as season_window_order_count,
        case
            when season_orders.untouched_baseline_order_count > 0 and season_orders.untouched_window_order_count > 0
                then season_orders.untouched_baseline_order_count
            else season_orders.established_baseline_order_count
        end as season_baseline_order_count,
        windows.window_days as season_window_days,
        {{ dbt.datediff('conversion_groups.baseline_start_date', 'windows.window_start_date', 'day') }}
            as season_baseline_days
    from season_orders
    inner join windows
        on season_orders.campaign_id = windows.campaign_id
    inner join conversion_groups
        on season_orders.campaign_id = conversion_groups.campaign_id

),

conversion_rates as (

    select
        conversion_groups.*,
        cast(conversion_groups.window_converted_count as double)
        / conversion_groups.window_signup_count as window_conversion_rate,
        cast(conversion_groups.baseline_converted_count as double)
        / conversion_groups.baseline_signup_count as baseline_conversion_rate,
        (cast(season_factors.season_window_order_count as double) / season_factors.season_window_days)
        / (cast(season_factors.season_baseline_order_count as double) / season_factors.season_baseline_days)
            as season_factor,
        1.0 / season_factors.season_window_order_count
        + 1.0 / season_factors.season_baseline_order_count as season_factor_relative_variance
    from conversion_groups
    inner join season_factors
        on conversion_groups.campaign_id = season_factors.campaign_id
    where
        conversion_groups.window_signup_count > 0
        and conversion_groups.baseline_signup_count > 0
        and season_factors.season_window_order_count > 0
        and season_factors.season_baseline_order_count > 0

),

conversion_lift as (

    -- (p_w - s p_b) x n_w with s the season factor, variance n_w^2 x (p_w (1 - p_w) / n_w
    -- + s^2 p_b (1 - p_b) / n_b + (s p_b)^2 x relative variance of s); revenue likewise with the means and sample
    -- variances of first-order revenue per sign-up
    select
        *,
        (window_conversion_rate - season_factor * baseline_conversion_rate)
        * window_signup_count as incremental_new_customers,
        window_signup_count * window_signup_count * (
            window_conversion_rate * (1 - window_conversion_rate) / window_signup_count
            + season_factor * season_factor
            * baseline_conversion_rate * (1 - baseline_conversion_rate) / baseline_signup_count
            + power(season_factor * baseline_conversion_rate, 2) * season_factor_relative_variance
        ) as incremental_new_customers_variance,
        (window_revenue_per_signup - season_factor * baseline_revenue_per_signup)
        * window_signup_count as incremental_revenue,
        window_signup_count * window_signup_count * (
            coalesce(window_revenue_variance, 0) / window_signup_count
            + season_factor * season_factor * coalesce(baseline_revenue_variance, 0) / baseline_signup_count
            + power(season_factor * baseline_revenue_per_signup, 2) * season_factor_relative_variance
        ) as incremental_revenue_variance
    from conversion_rates

),

conversion_estimates as (

    -- revenue: the same difference for first-order revenue per sign-up (0 for a sign-up who did not convert)
    select
        campaign_id,
        window_signup_count as treated_customer_count,
        window_signup_count as matched_treated_customer_count,
        baseline_signup_count as control_customer_count,
        season_factor as baseline_season_factor,
        incremental_new_customers as incremental_orders,
        incremental_new_customers_variance as incremental_orders_variance,
        incremental_revenue,
        incremental_revenue_variance
    from conversion_lift

),

lift_estimates as (

    select * from matched_lift_estimates
    union all
    select * from conversion_estimates

),

lift_intervals as (

    select
        lift_estimates.*,
        rules.confidence_level,
        rules.z_score * sqrt(lift_estimates.incremental_orders_variance) as incremental_orders_margin,
        rules.z_score * sqrt(lift_estimates.incremental_revenue_variance) as incremental_revenue_margin
    from lift_estimates
    cross join rules

),

prior_periods as (

    -- the prior-activity days of a customer who signed up before the period: the campaign's usable prior period;
    -- for a first-order offer, the days of its baseline sign-ups
    select
        campaign_id,
        max(prior_exposure_days) as prior_activity_day_count,
        cast(null as date) as baseline_start_date,
        cast(null as date) as baseline_end_date
    from customer_outcomes
    group by campaign_id

    union all

    select
        campaign_id,
        {{ dbt.datediff('baseline_start_date', 'baseline_end_date', 'day') }}
        + 1 as prior_activity_day_count,
        baseline_start_date,
        baseline_end_date
    from conversion_groups

),

dealer_leads as (

    select
        campaign_id,
        dealer_id,
        count(distinct lead_id) as leads_generated,
        count(distinct case when is_won then lead_id end) as leads_won,
        coalesce(sum(won_amount_reporting), 0) as lead_won_amount_reporting
    from leads
    where campaign_id is not null and dealer_id is not null
    group by campaign_id, dealer_id

),

campaign_lead_totals as (

    select
        campaign_id,
        count(distinct lead_id) as leads_generated,
        count(distinct case when is_won then lead_id end) as leads_won,
        coalesce(sum(won_amount_reporting), 0) as lead_won_amount_reporting
    from leads
    where campaign_id is not null
    group by campaign_id

),

campaign_lead_dealers as (

    select
        campaign_id,
        count(distinct dealer_id) as lead_dealer_count,
        count(distinct case when leads_won > 0 then dealer_id end) as won_dealer_count,
        max(leads_generated) as max_dealer_leads_generated,
        max(leads_won) as max_dealer_leads_won,
        max(lead_won_amount_reporting) as max_dealer_lead_won_amount_reporting
    from dealer_leads
    group by campaign_id

),

campaign_leads as (

    select
        campaign_lead_totals.*,
        coalesce(campaign_lead_dealers.lead_dealer_count, 0) as lead_dealer_count,
        coalesce(campaign_lead_dealers.won_dealer_count, 0) as won_dealer_count,
        greatest(
            coalesce(
                campaign_lead_dealers.max_dealer_leads_generated / nullif(campaign_lead_totals.leads_generated, 0), 0
            ),
            coalesce(campaign_lead_dealers.max_dealer_leads_won / nullif(campaign_lead_totals.leads_won, 0), 0),
            coalesce(
                campaign_lead_dealers.max_dealer_lead_won_amount_reporting
                / nullif(campaign_lead_totals.lead_won_amount_reporting, 0),
                0
            )
        ) as lead_max_dealer_share
    from campaign_lead_totals
    left join campaign_lead_dealers
        on campaign_lead_totals.campaign_id = campaign_lead_dealers.campaign_id

),

measured as (

    select
        windows.*,
        coalesce(window_orders.window_order_count, 0) as window_order_count,
        coalesce(window_orders.reach_customer_count, 0) as reach_customer_count,
        coalesce(window_orders.code_redemption_order_count, 0) as code_redemption_order_count,
        coalesce(window_orders.window_net_revenue_reporting, 0) as window_net_revenue_reporting,
        coalesce(window_orders.code_discount_amount_reporting, 0) as code_discount_amount_reporting,
        case
            when windows.measurement_method = 'new_customer_conversion_pre_post'
                then coalesce(window_orders.code_discount_amount_reporting, 0)
            else windows.cost_amount_reporting
        end as roi_cost_amount_reporting,
        prior_periods.prior_activity_day_count,
        prior_periods.baseline_start_date,
        prior_periods.baseline_end_date,
        lift_intervals.treated_customer_count,
        lift_intervals.matched_treated_customer_count,
        lift_intervals.control_customer_count,
        lift_intervals.baseline_season_factor,
        lift_intervals.confidence_level,
        lift_intervals.incremental_orders,
        lift_intervals.incremental_orders_margin,
        lift_intervals.incremental_revenue,
        lift_intervals.incremental_revenue_margin,
        coalesce(campaign_leads.leads_generated, 0) as leads_generated,
        coalesce(campaign_leads.leads_won, 0) as leads_won,
        coalesce(campaign_leads.lead_won_amount_reporting, 0) as lead_won_amount_reporting,
        coalesce(campaign_leads.lead_dealer_count, 0) as lead_dealer_count,
        case
            when
                coalesce(campaign_leads.lead_dealer_count, 0) <= disclosure_rules.min_peers
                or coalesce(campaign_leads.won_dealer_count, 0) <= disclosure_rules.min_peers
                then 'too_few_dealers'
            when campaign_leads.lead_max_dealer_share > disclosure_rules.max_peer_weight_share
                then 'dominant_dealer'
        end as lead_figures_withheld_reason,
        case
            when windows.measurement_method is null
                then 'no_control_group'
            when coalesce(prior_periods.prior_activity_day_count, 0) < rules.min_prior_activity_days
                then 'no_full_prior_period'
            when windows.window_end_date > order_span.last_order_date
                then 'window_not_complete'
            when
                lift_intervals.matched_treated_customer_count is null
                or lift_intervals.matched_treated_customer_count = 0
                then 'no_matched_customers'
            when
                coalesce(
                    case
                        when windows.measurement_method = 'new_customer_conversion_pre_post'
                            then window_orders.code_discount_amount_reporting
                        else windows.cost_amount_reporting
                    end,
                    0
                ) = 0
                then 'no_cost'
            else 'measured'
        end as measurement_status
    from windows
    cross join order_span
    cross join rules
    cross join disclosure_rules
    left join prior_periods
        on windows.campaign_id = prior_periods.campaign_id
    left join window_orders
        on windows.campaign_id = window_orders.campaign_id
    left join lift_intervals
        on windows.campaign_id = lift_intervals.campaign_id
    left join campaign_leads
        on windows.campaign_id = campaign_leads.campaign_id

),

published as (

    select
        *,
        measurement_status in ('measured', 'no_cost') as is_lift_published,
        measurement_status = 'measured' as is_roi_published,
        lead_figures_withheld_reason is null as is_lead_figures_published
    from measured

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
        coalesce(baseline_start_date, prior_activity_start_date) as prior_activity_start_date,
        coalesce(baseline_end_date, prior_activity_end_date) as prior_activity_end_date,
        cast(prior_activity_day_count as integer) as prior_activity_day_count,
        currency_code,
        {{ to_decimal("cost_amount", 18, 4) }} as cost_amount,
        {{ to_decimal("cost_amount_reporting", 18, 4) }} as cost_amount_reporting,
        cast(reach_customer_count as bigint) as reach_customer_count,
        cast(window_order_count as bigint) as window_order_count,
        cast(code_redemption_order_count as bigint) as code_redemption_order_count,
        {{ to_decimal("code_discount_amount_reporting", 18, 4) }} as code_discount_amount_reporting,
        {{ to_decimal("roi_cost_amount_reporting", 18, 4) }} as roi_cost_amount_reporting,
        {{ to_decimal("window_net_revenue_reporting", 18, 4) }} as window_net_revenue_reporting,
        measurement_method,
        cast(treated_customer_count as bigint) as treated_customer_count,
        cast(matched_treated_customer_count as bigint) as matched_treated_customer_count,
        cast(control_customer_count as bigint) as control_customer_count,
        cast(case when is_lift_published then baseline_season_factor end as double) as baseline_season_factor,
        cast(case when is_lift_published then confidence_level end as double) as confidence_level,
        cast(case when is_lift_published then incremental_orders end as double) as incremental_orders,
        cast(
            case when is_lift_published then incremental_orders - incremental_orders_margin end as double
        ) as incremental_orders_lower_bound,
        cast(
            case when is_lift_published then incremental_orders + incremental_orders_margin end as double
        ) as incremental_orders_upper_bound,
        {{ to_decimal("case when is_lift_published then incremental_revenue end", 18, 4) }}
            as incremental_revenue_reporting,
        {{ to_decimal("
            case when is_lift_published then incremental_revenue - incremental_revenue_margin end",
            18, 4
        ) }} as incremental_revenue_lower_bound_reporting,
        {{ to_decimal("
            case when is_lift_published then incremental_revenue + incremental_revenue_margin end",
            18, 4
        ) }} as incremental_revenue_upper_bound_reporting,
        cast(
            case
                when is_roi_published then (incremental_revenue - roi_cost_amount_reporting) / roi_cost_amount_reporting
            end as double
        ) as return_on_investment,
        cast(
            case
                when is_roi_published
                    then
                        (incremental_revenue - incremental_revenue_margin - roi_cost_amount_reporting)
                        / roi_cost_amount_reporting
            end as double
        ) as return_on_investment_lower_bound,
        cast(
            case
                when is_roi_published
                    then
                        (incremental_revenue + incremental_revenue_margin - roi_cost_amount_reporting)
                        / roi_cost_amount_reporting
            end as double
        ) as return_on_investment_upper_bound,
        is_lead_figures_published,
        lead_figures_withheld_reason,
        cast(lead_dealer_count as bigint) as lead_dealer_count,
        cast(case when is_lead_figures_published then leads_generated end as bigint) as leads_generated,
        cast(case when is_lead_figures_published then leads_won end as bigint) as leads_won,
        {{ to_decimal("
            case when is_lead_figures_published then lead_won_amount_reporting end",
            18, 4
        ) }} as lead_won_amount_reporting,
        measurement_status,
        case
            when not is_roi_published then 'not_measured'
            -- A lift needs both intervals above zero: extra revenue without extra orders is a few large baskets
            -- moving the mean, not evidence that the campaign brought business.
            when
                incremental_orders - incremental_orders_margin <= 0
                or incremental_revenue - incremental_revenue_margin <= 0
                then 'lift_not_shown'
            when incremental_revenue - incremental_revenue_margin > roi_cost_amount_reporting then 'paid_back'
            when incremental_revenue - incremental_revenue_margin > 0 then 'lifted_below_cost'
            else 'lift_not_shown'
        end as result_category
    from published

)

select * from final
