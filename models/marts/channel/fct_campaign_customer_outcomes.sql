-- One row per measurable campaign (a type with a measurement method in the campaign_measurement_designs seed)
-- and golden customer who had signed up before its window: whether the customer is in the group the campaign
-- can reach (loyalty members) or in the comparison group, the matching stratum (signup year, customer type,
-- orders in the prior-activity period outside any campaign reaching the same group, capped at 2) and the
-- customer's orders and net revenue after refunds in the window. rpt_campaign_results compares the two groups
-- within each stratum.

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

customer_profiles as (

    select * from {{ ref('int_customer_profiles_merged') }}

),

customer_ids as (

    select * from {{ ref('int_customer_ids_resolved') }}

),

rules as (

    select
        cast(
            max(case when rule_name = 'prior_activity_days' then rule_value end) as integer
        ) as prior_activity_days
    from campaign_measurement_rules

),

measured_campaigns as (

    select
        campaigns.campaign_id,
        campaign_measurement_designs.measurement_method,
        campaign_measurement_designs.treated_group,
        cast(campaigns.starts_at as date) as window_start_date,
        cast(campaigns.ends_at as date) as window_end_date,
        cast(
            {{ dbt.dateadd('day', '-rules.prior_activity_days', 'cast(campaigns.starts_at as date)') }} as date
        ) as prior_activity_start_date
    from campaigns
    inner join campaign_measurement_designs
        on campaigns.campaign_type = campaign_measurement_designs.campaign_type
    cross join rules
    where campaign_measurement_designs.measurement_method is not null

),

loyalty_members as (

    select distinct golden_customer_id
    from customer_ids
    where source_system = 'loyalty'

),

eligible_customers as (

    select
        measured_campaigns.campaign_id,
        measured_campaigns.measurement_method,
        customer_profiles.golden_customer_id,
        customer_profiles.customer_type,
        extract(year from customer_profiles.created_at) as signup_year,
        case
            when measured_campaigns.treated_group = 'loyalty_members'
                then loyalty_members.golden_customer_id is not null
            else false
        end as is_treated
    from measured_campaigns
    inner join customer_profiles
        on cast(customer_profiles.created_at as date) < measured_campaigns.window_start_date
    left join loyalty_members
        on customer_profiles.golden_customer_id = loyalty_members.golden_customer_id

),

orders_in_group_campaigns as (

    -- orders placed while a campaign reaching the group ran: left out of the prior activity, so an earlier
    -- campaign's own lift does not move its customers into a higher stratum
    select distinct
        orders.order_id,
        measured_campaigns.treated_group
    from orders
    inner join measured_campaigns
        on orders.order_date between measured_campaigns.window_start_date and measured_campaigns.window_end_date

),

customer_campaign_orders as (

    select
        measured_campaigns.campaign_id,
        orders.golden_customer_id,
        sum(
            case
                when
                    orders.order_date < measured_campaigns.window_start_date
                    and orders_in_group_campaigns.order_id is null
                    then 1
                else 0
            end
        ) as prior_order_count,
        sum(
            case when orders.order_date >= measured_campaigns.window_start_date then 1 else 0 end
        ) as window_order_count,
        sum(
            case
                when orders.order_date >= measured_campaigns.window_start_date
                    then orders.net_amount_after_refunds_reporting
                else 0
            end
        ) as window_net_revenue_reporting
    from measured_campaigns
    inner join orders
        on
            measured_campaigns.prior_activity_start_date <= orders.order_date
            and measured_campaigns.window_end_date >= orders.order_date
    left join orders_in_group_campaigns
        on
            orders.order_id = orders_in_group_campaigns.order_id
            and measured_campaigns.treated_group = orders_in_group_campaigns.treated_group
    group by
        measured_campaigns.campaign_id,
        orders.golden_customer_id

),

final as (

    select
        eligible_customers.campaign_id || '|' || eligible_customers.golden_customer_id as campaign_customer_id,
        eligible_customers.campaign_id,
        eligible_customers.golden_customer_id,
        eligible_customers.measurement_method,
        eligible_customers.is_treated,
        cast(eligible_customers.signup_year as integer) as signup_year,
        eligible_customers.customer_type,
        cast(least(coalesce(customer_campaign_orders.prior_order_count, 0), 2) as integer) as prior_order_band,
        cast(coalesce(customer_campaign_orders.window_order_count, 0) as bigint) as window_order_count,
        cast(
            coalesce(customer_campaign_orders.window_net_revenue_reporting, 0) as decimal(18, 4)
        ) as window_net_revenue_reporting
    from eligible_customers
    left join customer_campaign_orders
        on
            eligible_customers.campaign_id = customer_campaign_orders.campaign_id
            and eligible_customers.golden_customer_id = customer_campaign_orders.golden_customer_id

)

select * from final
