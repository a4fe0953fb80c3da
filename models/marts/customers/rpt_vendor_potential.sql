-- One row per golden customer with an order on or before the as-of date: each vendor-potential signal as
-- value, threshold and pass flag (thresholds from the vendor_potential_thresholds seed), a score (signals
-- passed), exclusions (opted out of outreach, already a dealer, tied to a competitor brand), the flag, and
-- a human-readable reason list.
with order_summary as (

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

thresholds as (

    select
        max(case when signal = 'orders_per_year' then threshold end) as orders_per_year,
        max(case when signal = 'average_order_value_reporting' then threshold end) as average_order_value,
        max(case when signal = 'custom_requests_per_year' then threshold end) as custom_requests_per_year,
        max(case when signal = 'referrals_per_quarter' then threshold end) as referrals_per_quarter,
        max(case when signal = 'reseller_inquiries' then threshold end) as reseller_inquiries,
        max(case when signal = 'repeat_month_share' then threshold end) as repeat_month_share,
        max(case when signal = 'thin_dealer_coverage_customers_per_dealer' then threshold end)
            as customers_per_dealer,
        max(case when signal = 'score_to_flag' then threshold end) as score_to_flag
    from {{ ref('vendor_potential_thresholds') }}

),

as_of as (

    select {{ as_of_date() }} as as_of_date

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

signals as (

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

),

passed as (

    select
        signals.*,
        thresholds.orders_per_year as orders_per_year_threshold,
        thresholds.average_order_value as average_order_value_threshold,
        thresholds.custom_requests_per_year as custom_requests_per_year_threshold,
        thresholds.referrals_per_quarter as referrals_per_quarter_threshold,
        thresholds.reseller_inquiries as reseller_inquiries_threshold,
        thresholds.repeat_month_share as repeat_month_share_threshold,
        thresholds.customers_per_dealer as thin_coverage_threshold,
        thresholds.score_to_flag,
        signals.orders_per_year >= thresholds.orders_per_year as passes_orders_per_year,
        signals.average_order_value_reporting >= thresholds.average_order_value as passes_average_order_value,
        signals.custom_requests_per_year >= thresholds.custom_requests_per_year as passes_custom_requests,
        signals.referrals_per_quarter >= thresholds.referrals_per_quarter as passes_referrals,
        signals.reseller_inquiries >= thresholds.reseller_inquiries as passes_reseller_inquiries,
        signals.repeat_month_share >= thresholds.repeat_month_share as passes_loyalty,
        coalesce(signals.region_customers_per_dealer > thresholds.customers_per_dealer, true)
            as is_thin_dealer_coverage
    from signals
    cross join thresholds

),

scored as (

    select
        passed.*,
        passed.is_emerging_market or passed.is_thin_dealer_coverage as passes_strategic_location,
        cast(passed.passes_orders_per_year as integer)
        + cast(passed.passes_average_order_value as integer)
        + cast(passed.passes_custom_requests as integer)
        + cast(passed.passes_referrals as integer)
        + cast(passed.passes_reseller_inquiries as integer)
        + cast(passed.passes_loyalty as integer)
        + cast(passed.is_emerging_market or passed.is_thin_dealer_coverage as integer) as vendor_potential_score
    from passed

),

final as (

    select
        scored.golden_customer_id,
        scored.as_of_date,
        scored.customer_type,
        scored.country_code,
        scored.region,
        scored.orders_per_year,
        scored.orders_per_year_threshold,
        scored.passes_orders_per_year,
        cast(scored.average_order_value_reporting as decimal(18, 4)) as average_order_value_reporting,
        scored.average_order_value_threshold,
        scored.passes_average_order_value,
        scored.custom_requests_per_year,
        scored.custom_requests_per_year_threshold,
        scored.passes_custom_requests,
        cast(scored.referrals_per_quarter as double) as referrals_per_quarter,
        scored.referrals_per_quarter_threshold,
        scored.passes_referrals,
        scored.reseller_inquiries,
        scored.reseller_inquiries_threshold,
        scored.passes_reseller_inquiries,
        cast(scored.repeat_month_share as double) as repeat_month_share,
        scored.repeat_month_share_threshold,
        scored.passes_loyalty,
        scored.is_emerging_market,
        cast(scored.region_customers_per_dealer as double) as region_customers_per_dealer,
        scored.thin_coverage_threshold,
        scored.is_thin_dealer_coverage,
        scored.passes_strategic_location,
        scored.vendor_potential_score,
        scored.score_to_flag,
        scored.is_outreach_opt_out,
        scored.is_dealer,
        scored.is_competitor_affiliated,
        (scored.is_outreach_opt_out or scored.is_dealer or scored.is_competitor_affiliated) as is_excluded,
        concat_ws(
            '; ',
            case when scored.is_outreach_opt_out then 'opted out of outreach' end,
            case when scored.is_dealer then 'already a dealer' end,
            case when scored.is_competitor_affiliated then 'tied to competitor brand ' || scored.affiliated_brand end
        ) as exclusion_reasons,
        scored.vendor_potential_score >= scored.score_to_flag
        and not (scored.is_outreach_opt_out or scored.is_dealer or scored.is_competitor_affiliated)
            as is_vendor_potential,
        concat_ws(
            '; ',
            case
                when scored.passes_orders_per_year
                    then cast(scored.orders_per_year as varchar) || ' orders in the last 12 months'
            end,
            case
                when scored.passes_average_order_value
                    then
                        'average order '
                        || cast(cast(round(scored.average_order_value_reporting, 0) as bigint) as varchar)
                        || ' {{ var("reporting_currency") }}'
            end,
            case
                when scored.passes_custom_requests
                    then cast(scored.custom_requests_per_year as varchar) || ' custom-order requests in 12 months'
            end,
            case
                when scored.passes_referrals
                    then cast(round(scored.referrals_per_quarter, 1) as varchar) || ' referrals per quarter'
            end,
            case
                when scored.passes_reseller_inquiries
                    then cast(scored.reseller_inquiries as varchar) || ' reseller inquiries'
            end,
            case
                when scored.passes_loyalty
                    then
                        'ordered in ' || cast(cast(round(100 * scored.repeat_month_share, 0) as integer) as varchar)
                        || '% of months'
            end,
            case when scored.is_emerging_market then 'in an emerging market' end,
            case when scored.is_thin_dealer_coverage then 'region thinly covered by dealers' end
        ) as reasons
    from scored

)

select * from final
