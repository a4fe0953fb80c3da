-- One row per golden customer with an order on or before the as-of date: each vendor-potential signal
-- (int_customer_vendor_signals_measured) beside its threshold (vendor_potential_thresholds seed) and whether it
-- passes, the score (signals passed), whether an exclusion applies, and the flag: score at least `score_to_flag`
-- and not excluded.
with signals as (

    select * from {{ ref('int_customer_vendor_signals_measured') }}

),

vendor_potential_thresholds as (

    select * from {{ ref('vendor_potential_thresholds') }}

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
    from vendor_potential_thresholds

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
        scored.*,
        (scored.is_outreach_opt_out or scored.is_dealer or scored.is_competitor_affiliated) as is_excluded,
        scored.vendor_potential_score >= scored.score_to_flag
        and not (scored.is_outreach_opt_out or scored.is_dealer or scored.is_competitor_affiliated)
            as is_vendor_potential
    from scored

)

select * from final
