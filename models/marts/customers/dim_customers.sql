-- One row per golden customer: profile (merged from its shop accounts), how it was acquired, its order
-- history up to the as-of date, its current RFM and behavioural segment and its vendor-potential flag.
-- Every golden customer any system knows is here, including those known only to the CRM or the loyalty
-- system, and ids MDM does not know under their fallback id ('shop:<id>', 'crm:<id>', 'loyalty:<id>').
with reporting_dates as (

    select * from {{ ref('int_reporting_dates') }}

),

customer_ids as (

    select * from {{ ref('int_customer_ids_resolved') }}

),

profiles as (

    select * from {{ ref('int_customer_profiles_merged') }}

),

order_summary as (

    select * from {{ ref('int_customer_orders_summarised') }}

),

segments as (

    select * from {{ ref('int_customer_segments_scored') }}

),

vendor_potential as (

    select * from {{ ref('int_customer_vendor_signals_scored') }}

),

wallet_balances as (

    select * from {{ ref('rpt_wallet_balances') }}

),

latest_wallet_balances as (

    -- Each customer's wallet and points balance on its latest balance day up to the as-of date.
    select
        wallet_balances.golden_customer_id,
        wallet_balances.paid_balance_reporting,
        wallet_balances.bonus_balance_reporting,
        wallet_balances.points_balance
    from wallet_balances
    where wallet_balances.balance_date <= (select reporting_dates.as_of_date from reporting_dates)
    qualify row_number() over (
        partition by wallet_balances.golden_customer_id
        order by wallet_balances.balance_date desc
    ) = 1

),

customers as (

    select
        golden_customer_id,
        bool_and(is_crosswalk_resolved) as is_crosswalk_resolved
    from customer_ids
    group by golden_customer_id

),

final as (

    select
        customers.golden_customer_id,
        profiles.primary_shop_customer_id,
        coalesce(profiles.shop_account_count, 0) as shop_account_count,
        customers.is_crosswalk_resolved,
        profiles.customer_type,
        profiles.full_name,
        profiles.company_name,
        profiles.email,
        profiles.phone,
        profiles.country_code,
        profiles.region,
        profiles.city,
        coalesce(profiles.is_outreach_opt_out, false) as is_outreach_opt_out,
        profiles.created_at,
        order_summary.acquisition_channel,
        order_summary.first_order_date,
        order_summary.last_order_date,
        coalesce(order_summary.lifetime_orders, 0) as lifetime_orders,
        {{ to_decimal("coalesce(order_summary.lifetime_net_revenue_reporting, 0)", 18, 4) }}
            as lifetime_net_revenue_reporting,
        {{ to_decimal("order_summary.average_order_value_reporting", 18, 4) }} as average_order_value_reporting,
        segments.rfm_segment,
        segments.behavioural_segment,
        coalesce(vendor_potential.is_vendor_potential, false) as is_vendor_potential,
        vendor_potential.vendor_potential_score,
        latest_wallet_balances.paid_balance_reporting as wallet_paid_balance_reporting,
        latest_wallet_balances.bonus_balance_reporting as wallet_bonus_balance_reporting,
        latest_wallet_balances.points_balance
    from customers
    left join profiles
        on customers.golden_customer_id = profiles.golden_customer_id
    left join order_summary
        on customers.golden_customer_id = order_summary.golden_customer_id
    left join segments
        on customers.golden_customer_id = segments.golden_customer_id
    left join vendor_potential
        on customers.golden_customer_id = vendor_potential.golden_customer_id
    left join latest_wallet_balances
        on customers.golden_customer_id = latest_wallet_balances.golden_customer_id

)

select * from final
