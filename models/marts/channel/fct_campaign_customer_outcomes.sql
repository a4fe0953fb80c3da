{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='campaign_customer_id',
        on_schema_change='fail',
        pre_hook="
            {%- if is_incremental() -%}
            {%- call delete_rows(this, 'built') %}
                built.measurement_inputs_digest <> {{ campaign_measurement_digest(
                    ref('stg_marketing__campaigns'),
                    ref('campaign_measurement_designs'),
                    ref('campaign_measurement_rules'),
                    ref('fct_orders')
                ) }}
                or built.golden_customer_id in (
                    -- customers whose profile or membership changed since their rows were computed (every row
                    -- of a customer is computed at once, so the customer's rows share these attributes)
                    select built_customers.golden_customer_id
                    from (
                        select distinct
                            golden_customer_id,
                            signup_date,
                            customer_type,
                            is_outreach_opt_out,
                            is_loyalty_member
                        from {{ this }}
                    ) as built_customers
                    left join {{ ref('int_customer_profiles_merged') }} as profiles
                        on built_customers.golden_customer_id = profiles.golden_customer_id
                    left join (
                        select distinct members.golden_customer_id
                        from {{ ref('int_customer_ids_resolved') }} as members
                        where members.source_system = 'loyalty'
                    ) as loyalty_members
                        on built_customers.golden_customer_id = loyalty_members.golden_customer_id
                    where not coalesce(
                        cast(profiles.created_at as date) = built_customers.signup_date
                        and coalesce(profiles.customer_type, '') = coalesce(built_customers.customer_type, '')
                        and profiles.is_outreach_opt_out = built_customers.is_outreach_opt_out
                        and (loyalty_members.golden_customer_id is not null) = built_customers.is_loyalty_member,
                        false
                    )

                    union

                    -- customers with orders counted here and none left in fct_orders
                    select built_orders.golden_customer_id
                    from (
                        select golden_customer_id
                        from {{ this }}
                        where prior_order_count + window_order_count > 0
                        group by golden_customer_id
                    ) as built_orders
                    where not exists (
                        select 1
                        from {{ ref('fct_orders') }} as orders
                        where orders.golden_customer_id = built_orders.golden_customer_id
                    )
                )
            {%- endcall %}
            {%- endif -%}
        "
    )
}}

-- One row per campaign of a type with a treated group in the campaign_measurement_designs seed and golden
-- customer who had signed up before its window: whether the customer is in the group the campaign can reach
-- (loyalty members for member campaigns; customers who accept outreach for the offers announced by it) or in the
-- comparison group, the matching stratum (signup year, customer type, banded orders in the prior-activity period
-- and banded days since the last of them), the customer's orders and net revenue after refunds in the window, and
-- what the customer's own prior rate predicts for the window. The prior-activity period runs up to
-- prior_activity_days before the window (cut at the first order in the warehouse) and leaves out the windows
-- of other campaigns reaching the same group, so an earlier campaign's lift does not count as the customer's
-- normal rate; it starts no earlier than the customer's signup. rpt_campaign_results compares the groups'
-- changes (window minus expected) within each stratum: a difference in differences.
-- Incremental one customer at a time: a run first deletes (pre-hook) every row when the measured campaigns, the
-- prior-activity rule or the first order date changed (measurement_inputs_digest), and the rows of customers whose
-- signup date, type, outreach opt-out or loyalty membership changed, who left the warehouse, or whose counted
-- orders all moved to another customer; it then computes the eligible customers it no longer holds and the
-- customers with an order fct_orders wrote after the newest computed_at here.

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

-- the same orders for the first order date, the inputs' digest and the customers a run computes: each read by
-- one CTE alone, so the engine streams the columns it needs instead of holding every order for four readers
orders_for_span as (

    select * from {{ ref('fct_orders') }}

),

orders_for_digest as (

    select * from {{ ref('fct_orders') }}

),

-- read on incremental runs only
orders_for_scope as ( -- noqa: ST03

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

order_span as (

    select min(order_date) as first_order_date
    from orders_for_span

),

measured_campaigns as (

    select
        campaigns.campaign_id,
        campaign_measurement_designs.measurement_method,
        campaign_measurement_designs.treated_group,
        cast(campaigns.starts_at as date) as window_start_date,
        cast(campaigns.ends_at as date) as window_end_date,
        greatest(
            cast(
                {{ dbt.dateadd('day', '-rules.prior_activity_days', 'cast(campaigns.starts_at as date)') }} as date
            ),
            order_span.first_order_date
        ) as prior_activity_start_date
    from campaigns
    inner join campaign_measurement_designs
        on campaigns.campaign_type = campaign_measurement_designs.campaign_type
    cross join rules
    cross join order_span
    where campaign_measurement_designs.treated_group is not null

),

measurement_inputs as (

    select
        {{ campaign_measurement_digest(
            'campaigns', 'campaign_measurement_designs', 'campaign_measurement_rules', 'orders_for_digest'
        ) }} as measurement_inputs_digest

),

customers_to_compute as (

    select customer_profiles.golden_customer_id
    from customer_profiles
    where
        cast(customer_profiles.created_at as date) < (
            select max(measured_campaigns.window_start_date) from measured_campaigns
        )
    {%- if is_incremental() %}
        -- (the customers the table holds, each compared once, not once per campaign row)
        and {{ not_among(
            'customer_profiles.golden_customer_id',
            'customer_profiles.golden_customer_id',
            '(select distinct built.golden_customer_id from ' ~ this ~ ' as built) as built_customers',
            'golden_customer_id',
            'golden_customer_id is not null'
        ) }}

    union

    select orders.golden_customer_id
    from orders_for_scope as orders
    where orders.computed_at > {{ last_computed_at() }}
    {%- endif %}

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
        measured_campaigns.treated_group,
        measured_campaigns.window_start_date,
        cast(
            {{ dbt.dateadd('day', '-1', 'measured_campaigns.window_start_date') }} as date
        ) as prior_activity_end_date,
        {{ dbt.datediff('measured_campaigns.window_start_date', 'measured_campaigns.window_end_date', 'day') }}
        + 1 as window_days,
        greatest(
            measured_campaigns.prior_activity_start_date, cast(customer_profiles.created_at as date)
        ) as exposure_start_date,
        customer_profiles.golden_customer_id,
        customer_profiles.customer_type,
        extract(year from customer_profiles.created_at) as signup_year,
        cast(customer_profiles.created_at as date) as signup_date,
        customer_profiles.is_outreach_opt_out,
        loyalty_members.golden_customer_id is not null as is_loyalty_member,
        case measured_campaigns.treated_group
            when 'loyalty_members' then loyalty_members.golden_customer_id is not null
            when 'outreach_customers' then not customer_profiles.is_outreach_opt_out
            else false
        end as is_treated
    from measured_campaigns
    inner join customer_profiles
        on cast(customer_profiles.created_at as date) < measured_campaigns.window_start_date
    inner join customers_to_compute
        on customer_profiles.golden_customer_id = customers_to_compute.golden_customer_id
    left join loyalty_members
        on customer_profiles.golden_customer_id = loyalty_members.golden_customer_id

),

other_group_windows as (

    -- windows of the other campaigns that reach the same group (assumed not to overlap one another)
    select
        measured_campaigns.campaign_id,
        other_campaigns.window_start_date,
        other_campaigns.window_end_date
    from measured_campaigns
    inner join measured_campaigns as other_campaigns
        on
            measured_campaigns.treated_group = other_campaigns.treated_group
            and measured_campaigns.campaign_id <> other_campaigns.campaign_id

),

excluded_days as (

    -- days of the customer's prior-activity period taken by other campaigns reaching the same group
    select
        eligible_customers.campaign_id,
        eligible_customers.golden_customer_id,
        sum(
            greatest(
                {{ dbt.datediff(
                    'greatest(other_group_windows.window_start_date, eligible_customers.exposure_start_date)',
                    'least(other_group_windows.window_end_date, eligible_customers.prior_activity_end_date)',
                    'day'
                ) }} + 1,
                0
            )
        ) as excluded_day_count
    from eligible_customers
    inner join other_group_windows
        on
            eligible_customers.campaign_id = other_group_windows.campaign_id
            and eligible_customers.window_start_date > other_group_windows.window_start_date
            and eligible_customers.exposure_start_date <= other_group_windows.window_end_date
    group by
        eligible_customers.campaign_id,
        eligible_customers.golden_customer_id

),

campaign_days as (

    {{ date_series(
        "(select min(window_start_date) from measured_campaigns)",
        "(select max(window_end_date) from measured_campaigns)",
        "window_day"
    ) }}

),

group_window_days as (

    -- every day inside the window of a campaign reaching the group: an order on such a day is left out of the
    -- prior activity of the group's campaigns
    select distinct
        measured_campaigns.treated_group,
        campaign_days.window_day
    from measured_campaigns
    inner join campaign_days
        on campaign_days.window_day between measured_campaigns.window_start_date and measured_campaigns.window_end_date

),

customer_order_days as (

    select
        golden_customer_id,
        order_date,
        count(*) as order_count,
        {{ to_decimal("sum(net_amount_after_refunds_reporting)", 18, 4) }} as net_revenue_reporting
    from orders
    where golden_customer_id in (select customers_to_compute.golden_customer_id from customers_to_compute)
    group by golden_customer_id, order_date

),

customer_campaign_orders as (

    select
        measured_campaigns.campaign_id,
        orders.golden_customer_id,
        sum(
            case
                when
                    orders.order_date < measured_campaigns.window_start_date
                    and group_window_days.window_day is null
                    then orders.order_count
                else 0
            end
        ) as prior_order_count,
        sum(
            case
                when
                    orders.order_date < measured_campaigns.window_start_date
                    and group_window_days.window_day is null
                    then orders.net_revenue_reporting
                else 0
            end
        ) as prior_net_revenue_reporting,
        max(
            case
                when
                    orders.order_date < measured_campaigns.window_start_date
                    and group_window_days.window_day is null
                    then orders.order_date
            end
        ) as last_prior_order_date,
        sum(
            case when orders.order_date >= measured_campaigns.window_start_date then orders.order_count else 0 end
        ) as window_order_count,
        sum(
            case
                when orders.order_date >= measured_campaigns.window_start_date
                    then orders.net_revenue_reporting
                else 0
            end
        ) as window_net_revenue_reporting
    from measured_campaigns
    inner join customer_order_days as orders
        on
            measured_campaigns.prior_activity_start_date <= orders.order_date
            and measured_campaigns.window_end_date >= orders.order_date
    left join group_window_days
        on
            measured_campaigns.treated_group = group_window_days.treated_group
            and orders.order_date = group_window_days.window_day
    group by
        measured_campaigns.campaign_id,
        orders.golden_customer_id

),

customer_rates as (

    select
        eligible_customers.*,
        {{ dbt.datediff('eligible_customers.exposure_start_date', 'eligible_customers.window_start_date', 'day') }}
        - coalesce(excluded_days.excluded_day_count, 0) as prior_exposure_days,
        coalesce(customer_campaign_orders.prior_order_count, 0) as prior_order_count,
        coalesce(customer_campaign_orders.prior_net_revenue_reporting, 0) as prior_net_revenue_reporting,
        {{ dbt.datediff(
            'customer_campaign_orders.last_prior_order_date', 'eligible_customers.window_start_date', 'day'
        ) }} as days_since_prior_order,
        coalesce(customer_campaign_orders.window_order_count, 0) as window_order_count,
        coalesce(customer_campaign_orders.window_net_revenue_reporting, 0) as window_net_revenue_reporting
    from eligible_customers
    left join excluded_days
        on
            eligible_customers.campaign_id = excluded_days.campaign_id
            and eligible_customers.golden_customer_id = excluded_days.golden_customer_id
    left join customer_campaign_orders
        on
            eligible_customers.campaign_id = customer_campaign_orders.campaign_id
            and eligible_customers.golden_customer_id = customer_campaign_orders.golden_customer_id

),

final as (

    select
        campaign_id || '|' || golden_customer_id as campaign_customer_id,
        campaign_id,
        golden_customer_id,
        measurement_method,
        is_treated,
        is_loyalty_member,
        is_outreach_opt_out,
        cast(signup_year as integer) as signup_year,
        signup_date,
        customer_type,
        cast(
            case
                when prior_order_count = 0 then 0
                when prior_order_count = 1 then 1
                when prior_order_count <= 3 then 2
                when prior_order_count <= 7 then 3
                when prior_order_count <= 15 then 4
                else 5
            end as integer
        ) as prior_order_band,
        cast(
            case
                when days_since_prior_order is null then 0
                when days_since_prior_order <= 30 then 1
                when days_since_prior_order <= 90 then 2
                when days_since_prior_order <= 180 then 3
                else 4
            end as integer
        ) as prior_recency_band,
        cast(prior_exposure_days as integer) as prior_exposure_days,
        cast(prior_order_count as bigint) as prior_order_count,
        {{ to_decimal("prior_net_revenue_reporting", 18, 4) }} as prior_net_revenue_reporting,
        cast(window_order_count as bigint) as window_order_count,
        {{ to_decimal("window_net_revenue_reporting", 18, 4) }} as window_net_revenue_reporting,
        cast(
            case when prior_exposure_days > 0 then prior_order_count * window_days / prior_exposure_days else 0 end
            as double
        ) as expected_window_order_count,
        cast(
            case
                when prior_exposure_days > 0
                    then cast(prior_net_revenue_reporting * window_days as double) / prior_exposure_days
                else 0
            end as double
        ) as expected_window_net_revenue_reporting,
        (select measurement_inputs.measurement_inputs_digest from measurement_inputs) as measurement_inputs_digest,
        {{ build_started_at() }} as computed_at
    from customer_rates

)

select * from final
