-- One row per first-order offer (a type measured `new_customer_conversion_pre_post` in the
-- campaign_measurement_designs seed) and golden customer who signed up in the offer's window or in its baseline:
-- whether the customer converted (placed a first order within new_customer_days of signing up) and the net
-- revenue after refunds of that first order. Window sign-ups are those on the window's first day up to
-- new_customer_days before its last, so the follow-up lies inside the window. Baseline sign-ups are those of the
-- baseline_signup_days ending new_customer_days before the window, so their follow-up ends before it, and after
-- the end of the previous offer of the same type (and the first order in the warehouse), so no other offer's code
-- was on hand. rpt_campaign_results compares the window's conversion with the baseline's.

with campaigns as (

    select * from {{ ref('stg_marketing__campaigns') }}

),

campaign_measurement_designs as (

    select * from {{ ref('campaign_measurement_designs') }}

),

campaign_measurement_rules as (

    select * from {{ ref('campaign_measurement_rules') }}

),

orders as (

    select * from {{ ref('fct_orders') }}

),

-- the same orders for the first order date: each read by one CTE alone, so the engine streams the columns it
-- needs instead of holding every order for two readers
orders_for_span as (

    select * from {{ ref('fct_orders') }}

),

customer_profiles as (

    select * from {{ ref('int_customer_profiles_merged') }}

),

rules as (

    select
        cast(max(case when rule_name = 'new_customer_days' then rule_value end) as integer) as new_customer_days,
        cast(
            max(case when rule_name = 'baseline_signup_days' then rule_value end) as integer
        ) as baseline_signup_days
    from campaign_measurement_rules

),

order_span as (

    select min(order_date) as first_order_date
    from orders_for_span

),

offers as (

    select
        campaigns.campaign_id,
        campaigns.campaign_type,
        campaign_measurement_designs.measurement_method,
        cast(campaigns.starts_at as date) as window_start_date,
        cast(campaigns.ends_at as date) as window_end_date
    from campaigns
    inner join campaign_measurement_designs
        on campaigns.campaign_type = campaign_measurement_designs.campaign_type
    where campaign_measurement_designs.measurement_method = 'new_customer_conversion_pre_post'

),

previous_offers as (

    -- the latest end of an earlier offer of the same type
    select
        offers.campaign_id,
        max(earlier_offers.window_end_date) as previous_window_end_date
    from offers
    inner join offers as earlier_offers
        on
            offers.campaign_type = earlier_offers.campaign_type
            and offers.window_start_date > earlier_offers.window_start_date
    group by offers.campaign_id

),

offer_periods as (

    select
        offers.campaign_id,
        offers.measurement_method,
        offers.window_start_date,
        cast(
            {{ dbt.dateadd('day', '-rules.new_customer_days', 'offers.window_end_date') }} as date
        ) as window_signup_end_date,
        greatest(
            cast(
                {{ dbt.dateadd(
                    'day', '-(rules.new_customer_days + rules.baseline_signup_days)', 'offers.window_start_date'
                ) }} as date
            ),
            coalesce(
                cast({{ dbt.dateadd('day', '1', 'previous_offers.previous_window_end_date') }} as date),
                order_span.first_order_date
            ),
            order_span.first_order_date
        ) as baseline_start_date,
        cast(
            {{ dbt.dateadd('day', '-(rules.new_customer_days + 1)', 'offers.window_start_date') }} as date
        ) as baseline_end_date,
        rules.new_customer_days
    from offers
    cross join rules
    cross join order_span
    left join previous_offers
        on offers.campaign_id = previous_offers.campaign_id

),

first_orders as (

    select
        golden_customer_id,
        order_date as first_order_date,
        net_amount_after_refunds_reporting as first_order_net_revenue_reporting
    from orders
    where is_first_order

),

signups as (

    select
        offer_periods.campaign_id,
        offer_periods.measurement_method,
        customer_profiles.golden_customer_id,
        cast(customer_profiles.created_at as date) as signup_date,
        offer_periods.baseline_start_date,
        offer_periods.baseline_end_date,
        offer_periods.new_customer_days,
        cast(customer_profiles.created_at as date) >= offer_periods.window_start_date as is_in_window
    from offer_periods
    inner join customer_profiles
        on
            cast(customer_profiles.created_at as date)
            between offer_periods.baseline_start_date and offer_periods.baseline_end_date
            or cast(customer_profiles.created_at as date)
            between offer_periods.window_start_date and offer_periods.window_signup_end_date

),

final as (

    select
        signups.campaign_id || '|' || signups.golden_customer_id as campaign_customer_id,
        signups.campaign_id,
        signups.golden_customer_id,
        signups.measurement_method,
        signups.signup_date,
        signups.baseline_start_date,
        signups.baseline_end_date,
        signups.is_in_window,
        coalesce(
            first_orders.first_order_date between signups.signup_date
            and cast({{ dbt.dateadd('day', 'signups.new_customer_days', 'signups.signup_date') }} as date),
            false
        ) as has_converted,
        cast(
            case
                when
                    first_orders.first_order_date between signups.signup_date
                    and cast({{ dbt.dateadd('day', 'signups.new_customer_days', 'signups.signup_date') }} as date)
                    then first_orders.first_order_net_revenue_reporting
            end as decimal(18, 4)
        ) as first_order_net_revenue_reporting
    from signups
    left join first_orders
        on signups.golden_customer_id = first_orders.golden_customer_id

)

select * from final
