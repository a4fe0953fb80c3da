-- One row per golden customer with an order on or before the as-of date: RFM scores mapped to a named segment
-- from the rfm_segments seed, and behavioural segments from the segment_rules seed.
-- Recency and monetary scores are 1–5 by cumulative distribution (equal values share a score). Frequency fits a
-- base of mostly one-time buyers: a one-time buyer scores 1, and repeat buyers score 2–5 by their place among
-- repeat buyers only (2 + the number of quarters of repeat buyers with strictly fewer orders, so the repeat
-- buyers with the fewest orders score 2). A customer with no order for dormant_after_days scores at most
-- dormant_max_recency_score on recency, so a dormant customer is never in a segment that means "bought recently".
with order_summary as (

    select * from {{ ref('int_customer_orders_summarised') }}

),

profiles as (

    select * from {{ ref('int_customer_profiles_merged') }}

),

segment_rules as (

    select * from {{ ref('segment_rules') }}

),

rfm_segments as (

    select * from {{ ref('rfm_segments') }}

),

recency_quintiles as (

    -- ceil(5 × share of customers whose last order is as old or older), in exact arithmetic: 5 × count first,
    -- then divide, so a customer exactly on a quintile edge is not pushed up by floating-point error.
    select
        golden_customer_id,
        ceil(5.0 * count(*) over (order by days_since_last_order desc) / count(*) over ()) as recency_quintile
    from order_summary

),

repeat_buyer_ranks as (

    -- Among repeat buyers only: how many repeat buyers have strictly fewer orders (rank - 1), and how many
    -- repeat buyers there are.
    select
        golden_customer_id,
        rank() over (order by lifetime_orders) - 1 as repeat_buyers_with_fewer_orders,
        count(*) over () as repeat_buyer_count
    from order_summary
    where lifetime_orders > 1

),

scored as (

    select
        order_summary.golden_customer_id,
        order_summary.as_of_date,
        order_summary.days_since_last_order as recency_days,
        order_summary.lifetime_orders as frequency_orders,
        order_summary.lifetime_net_revenue_reporting as monetary_reporting,
        cast(case
            when
                order_summary.days_since_last_order
                >= {{ seed_value('segment_rules', 'rule_name', 'dormant_after_days', 'rule_value') }}
                then least(
                    recency_quintiles.recency_quintile,
                    {{ seed_value('segment_rules', 'rule_name', 'dormant_max_recency_score', 'rule_value') }}
                )
            else recency_quintiles.recency_quintile
        end as integer) as recency_score,
        -- floor(4 × fewer / count) is 0–3 (fewer < count); 4 × count first, then divide, as for recency.
        cast(case
            when order_summary.lifetime_orders <= 1 then 1
            else 2 + floor(
                4.0 * repeat_buyer_ranks.repeat_buyers_with_fewer_orders / repeat_buyer_ranks.repeat_buyer_count
            )
        end as integer) as frequency_score,
        -- ceil(5 × share of customers at or below this value), exact as for recency.
        cast(ceil(
            5.0 * count(*) over (order by order_summary.lifetime_net_revenue_reporting) / count(*) over ()
        ) as integer) as monetary_score,
        order_summary.lifetime_orders = 1 as is_single_order,
        order_summary.used_first_order_discount,
        order_summary.average_units_per_order,
        order_summary.days_since_first_order,
        profiles.customer_type
    from order_summary
    inner join recency_quintiles
        on order_summary.golden_customer_id = recency_quintiles.golden_customer_id
    left join repeat_buyer_ranks
        on order_summary.golden_customer_id = repeat_buyer_ranks.golden_customer_id
    left join profiles
        on order_summary.golden_customer_id = profiles.golden_customer_id

),

segmented as (

    select
        scored.*,
        (
            select rfm_segments.segment_name
            from rfm_segments
            where
                scored.recency_score between rfm_segments.recency_score_min and rfm_segments.recency_score_max
                and scored.frequency_score between rfm_segments.frequency_score_min
                and rfm_segments.frequency_score_max
            order by rfm_segments.priority
            limit 1
        ) as rfm_segment,
        scored.days_since_first_order
        <= {{ seed_value('segment_rules', 'rule_name', 'new_customer_days', 'rule_value') }} as is_new,
        coalesce(
            scored.customer_type = 'business'
            and scored.average_units_per_order
            >= {{ seed_value('segment_rules', 'rule_name', 'bulk_buyer_min_units_per_order', 'rule_value') }},
            false
        ) as is_bulk_b2b_buyer,
        not scored.is_single_order
        and scored.recency_days >= {{ seed_value('segment_rules', 'rule_name', 'dormant_after_days', 'rule_value') }}
            as is_dormant
    from scored

),

final as (

    select
        segmented.golden_customer_id,
        segmented.as_of_date,
        segmented.customer_type,
        segmented.recency_days,
        segmented.frequency_orders,
        {{ to_decimal("segmented.monetary_reporting", 18, 4) }} as monetary_reporting,
        segmented.recency_score,
        segmented.frequency_score,
        segmented.monetary_score,
        cast(segmented.recency_score as string)
        || cast(segmented.frequency_score as string)
        || cast(segmented.monetary_score as string) as rfm_code,
        segmented.rfm_segment,
        segmented.is_new,
        segmented.is_bulk_b2b_buyer,
        segmented.is_single_order and segmented.used_first_order_discount and not segmented.is_new
            as is_bargain_hunter,
        segmented.is_dormant,
        segmented.is_single_order and not segmented.used_first_order_discount and not segmented.is_new
            as is_one_off,
        case
            when segmented.is_single_order and segmented.used_first_order_discount and not segmented.is_new
                then 'bargain_hunter'
            when segmented.is_bulk_b2b_buyer then 'bulk_b2b_buyer'
            when segmented.is_dormant then 'dormant'
            when segmented.is_new then 'new'
            when segmented.is_single_order then 'one_off'
            else 'repeat_buyer'
        end as behavioural_segment
    from segmented

)

select * from final
