-- One row per golden customer with an order on or before the as-of date: the value of each vendor-potential
-- signal (orders, average order value, custom-order requests and referrals in the 12 months up to the as-of date,
-- reseller inquiries, share of months with an order, emerging market, customers per dealer in the region) and the
-- facts that exclude a customer from outreach (opted out, already a dealer, tied to a competitor brand).
-- int_customer_vendor_signals_scored compares the values with their thresholds.
with reporting_dates as (

    select * from {{ ref('int_reporting_dates') }}

),

order_summary as (

    select * from {{ ref('int_customer_orders_summarised') }}

),

profiles as (

    select * from {{ ref('int_customer_profiles_merged') }}

),

customer_ids as (

    select * from {{ ref('int_customer_ids_resolved') }}

),

custom_order_requests as (

    select * from {{ ref('stg_shop__custom_order_requests') }}

),

reseller_inquiries as (

    select * from {{ ref('stg_shop__reseller_inquiries') }}

),

referrals as (

    select * from {{ ref('stg_crm__referrals') }}

),

dealers as (

    select * from {{ ref('stg_dealer_portal__dealers') }}

),

products as (

    select * from {{ ref('stg_shop__products') }}

),

emerging_markets as (

    select * from {{ ref('emerging_markets') }}

),

as_of as (

    select reporting_dates.as_of_date from reporting_dates

),

window_start as (

    select {{ dbt.dateadd('month', -12, 'as_of.as_of_date') }} as window_start_date
    from as_of

),

requests_per_customer as (

    select
        customer_ids.golden_customer_id,
        count(*) as custom_requests_last_12_months
    from custom_order_requests
    inner join customer_ids
        on
            customer_ids.source_system = 'shop'
            and custom_order_requests.customer_id = customer_ids.source_customer_id
    where
        cast(custom_order_requests.requested_at as date) > (select window_start.window_start_date from window_start)
        and cast(custom_order_requests.requested_at as date) <= (select as_of.as_of_date from as_of)
    group by customer_ids.golden_customer_id

),

inquiries_per_customer as (

    select
        customer_ids.golden_customer_id,
        count(*) as reseller_inquiries
    from reseller_inquiries
    inner join customer_ids
        on
            customer_ids.source_system = 'shop'
            and reseller_inquiries.customer_id = customer_ids.source_customer_id
    where cast(reseller_inquiries.inquired_at as date) <= (select as_of.as_of_date from as_of)
    group by customer_ids.golden_customer_id

),

referrals_per_customer as (

    select
        customer_ids.golden_customer_id,
        count(*) as referrals_last_12_months
    from referrals
    inner join customer_ids
        on
            customer_ids.source_system = 'crm'
            and referrals.referrer_crm_contact_id = customer_ids.source_customer_id
    where
        cast(referrals.referred_at as date) > (select window_start.window_start_date from window_start)
        and cast(referrals.referred_at as date) <= (select as_of.as_of_date from as_of)
    group by customer_ids.golden_customer_id

),

dealer_customers as (

    select distinct customer_ids.golden_customer_id
    from dealers
    inner join customer_ids
        on
            customer_ids.source_system = 'shop'
            and dealers.shop_customer_id = customer_ids.source_customer_id

),

competitor_brands as (

    select distinct lower(products.brand) as brand
    from products
    where not products.is_own_brand

),

region_coverage as (

    -- Customers per dealer active by the as-of date, per country and region; null where no dealer is.
    select
        profiles.country_code,
        profiles.region,
        count(distinct profiles.golden_customer_id) as region_customers,
        count(distinct region_dealers.dealer_id) as region_dealers
    from profiles
    left join dealers as region_dealers
        on
            profiles.country_code = region_dealers.country_code
            and profiles.region = region_dealers.region
            and cast(region_dealers.joined_at as date) <= (select as_of.as_of_date from as_of)
    group by profiles.country_code, profiles.region

),

final as (

    select
        order_summary.golden_customer_id,
        order_summary.as_of_date,
        profiles.customer_type,
        profiles.country_code,
        profiles.region,
        order_summary.orders_last_12_months as orders_per_year,
        coalesce(order_summary.average_order_value_last_12_months_reporting, 0) as average_order_value_reporting,
        coalesce(requests_per_customer.custom_requests_last_12_months, 0) as custom_requests_per_year,
        coalesce(referrals_per_customer.referrals_last_12_months, 0) / 4.0 as referrals_per_quarter,
        coalesce(inquiries_per_customer.reseller_inquiries, 0) as reseller_inquiries,
        order_summary.active_months_last_12_months
        / least(12.0, floor(order_summary.days_since_first_order / 30.4375) + 1) as repeat_month_share,
        emerging_markets.country_code is not null as is_emerging_market,
        region_coverage.region_customers / nullif(region_coverage.region_dealers, 0.0) as region_customers_per_dealer,
        coalesce(profiles.is_outreach_opt_out, false) as is_outreach_opt_out,
        dealer_customers.golden_customer_id is not null as is_dealer,
        competitor_brands.brand is not null as is_competitor_affiliated,
        profiles.affiliated_brand
    from order_summary
    left join profiles
        on order_summary.golden_customer_id = profiles.golden_customer_id
    left join requests_per_customer
        on order_summary.golden_customer_id = requests_per_customer.golden_customer_id
    left join referrals_per_customer
        on order_summary.golden_customer_id = referrals_per_customer.golden_customer_id
    left join inquiries_per_customer
        on order_summary.golden_customer_id = inquiries_per_customer.golden_customer_id
    left join emerging_markets
        on profiles.country_code = emerging_markets.country_code
    left join region_coverage
        on
            profiles.country_code = region_coverage.country_code
            and profiles.region = region_coverage.region
    left join dealer_customers
        on order_summary.golden_customer_id = dealer_customers.golden_customer_id
    left join competitor_brands
        on lower(profiles.affiliated_brand) = competitor_brands.brand

)

select * from final
