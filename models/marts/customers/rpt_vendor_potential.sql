-- One row per golden customer with an order on or before the as-of date: each vendor-potential signal as
-- value, threshold and pass flag, the score, the exclusions and the flag (int_customer_vendor_signals_scored,
-- where the signals are computed and compared with the vendor_potential_thresholds seed), with the exclusions
-- and the passed signals in words.
with scored as (

    select * from {{ ref('int_customer_vendor_signals_scored') }}

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
        {{ to_decimal("scored.average_order_value_reporting", 18, 4) }} as average_order_value_reporting,
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
        scored.is_excluded,
        concat_ws(
            '; ',
            case when scored.is_outreach_opt_out then 'opted out of outreach' end,
            case when scored.is_dealer then 'already a dealer' end,
            case when scored.is_competitor_affiliated then 'tied to competitor brand ' || scored.affiliated_brand end
        ) as exclusion_reasons,
        scored.is_vendor_potential,
        concat_ws(
            '; ',
            case
                when scored.passes_orders_per_year
                    then cast(scored.orders_per_year as string) || ' orders in the last 12 months'
            end,
            case
                when scored.passes_average_order_value
                    then
                        'average order '
                        || cast(cast(round(scored.average_order_value_reporting, 0) as bigint) as string)
                        || ' {{ var("reporting_currency") }}'
            end,
            case
                when scored.passes_custom_requests
                    then cast(scored.custom_requests_per_year as string) || ' custom-order requests in 12 months'
            end,
            case
                when scored.passes_referrals
                    then cast(round(scored.referrals_per_quarter, 1) as string) || ' referrals per quarter'
            end,
            case
                when scored.passes_reseller_inquiries
                    then cast(scored.reseller_inquiries as string) || ' reseller inquiries'
            end,
            case
                when scored.passes_loyalty
                    then
                        'ordered in ' || cast(cast(round(100 * scored.repeat_month_share, 0) as integer) as string)
                        || '% of months'
            end,
            case when scored.is_emerging_market then 'in an emerging market' end,
            case when scored.is_thin_dealer_coverage then 'region thinly covered by dealers' end
        ) as reasons
    from scored

)

select * from final
