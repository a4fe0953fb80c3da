-- One row per dealer: who it is, its latest data-sharing agreement, and the under-reporting signal: own-brand
-- units it reported selling over the comparison window against the units it bought from us in the same months,
-- allowing for stock it may still hold (channel_rules).

with dealers as (

    select * from {{ ref('stg_dealer_portal__dealers') }}

),

agreements as (

    select * from {{ ref('dim_dealer_agreements') }}

),

dealer_sales as (

    select * from {{ ref('fct_dealer_sales') }}

),

purchases as (

    select * from {{ ref('int_dealer_purchases_converted') }}

),

channel_rules as (

    select * from {{ ref('channel_rules') }}

),

rules as (

    select
        max(case when rule_name = 'inventory_allowance_share' then rule_value end) as inventory_allowance_share,
        cast(
            max(case when rule_name = 'under_reporting_window_months' then rule_value end) as integer
        ) as window_months
    from channel_rules

),

comparison_window as (

    select
        cast(
            {{ dbt.dateadd('month', '1 - max(rules.window_months)', 'max(dealer_sales.period_month)') }} as date
        ) as window_start_month,
        max(dealer_sales.period_month) as window_end_month
    from dealer_sales
    cross join rules

),

reported as (

    select
        dealer_sales.dealer_id,
        sum(dealer_sales.quantity) as own_units_reported
    from dealer_sales
    cross join comparison_window
    where
        dealer_sales.is_own_brand
        and dealer_sales.period_month between comparison_window.window_start_month
        and comparison_window.window_end_month
    group by dealer_sales.dealer_id

),

purchased as (

    select
        purchases.dealer_id,
        sum(purchases.quantity) as own_units_purchased
    from purchases
    cross join comparison_window
    where
        purchases.period_month between comparison_window.window_start_month
        and comparison_window.window_end_month
    group by purchases.dealer_id

),

latest_agreement as (

    select * from agreements
    where is_latest_version

),

final as (

    select
        dealers.dealer_id,
        dealers.dealer_name,
        dealers.country_code,
        dealers.region,
        dealers.tier,
        dealers.joined_at,
        dealers.shop_customer_id is not null as has_shop_account,
        latest_agreement.agreement_id as latest_agreement_id,
        latest_agreement.agreement_version as latest_agreement_version,
        latest_agreement.valid_from as latest_agreement_valid_from,
        latest_agreement.valid_to as latest_agreement_valid_to,
        coalesce(latest_agreement.shares_sell_through, false) as shares_sell_through,
        comparison_window.window_start_month as under_reporting_window_start_month,
        comparison_window.window_end_month as under_reporting_window_end_month,
        cast(coalesce(purchased.own_units_purchased, 0) as bigint) as own_units_purchased_in_window,
        cast(coalesce(reported.own_units_reported, 0) as bigint) as own_units_reported_in_window,
        cast(
            reported.own_units_reported / nullif(purchased.own_units_purchased, 0) as double
        ) as reported_sell_through_ratio,
        cast(
            coalesce(purchased.own_units_purchased, 0) * (1 - rules.inventory_allowance_share) as double
        ) as expected_minimum_units_reported,
        coalesce(
            purchased.own_units_purchased > 0
            and coalesce(reported.own_units_reported, 0)
            < purchased.own_units_purchased * (1 - rules.inventory_allowance_share),
            false
        ) as is_under_reporting_suspected
    from dealers
    cross join comparison_window
    cross join rules
    left join latest_agreement
        on dealers.dealer_id = latest_agreement.dealer_id
    left join reported
        on dealers.dealer_id = reported.dealer_id
    left join purchased
        on dealers.dealer_id = purchased.dealer_id

)

select * from final
