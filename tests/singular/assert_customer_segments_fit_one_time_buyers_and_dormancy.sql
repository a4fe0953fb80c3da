{{ config(meta={'dagster': {'ref': {'name': 'rpt_customer_segments'}}}) }}
-- The RFM and behavioural vocabularies agree: a one-time buyer scores 1 on frequency and is never champions,
-- loyal or at_risk (segments that mean "buys often"); a repeat buyer scores 2 or more; a dormant customer is never
-- in a segment that means "bought recently". Guards the rfm_segments and segment_rules seeds as much as the
-- model. Rows returned break it.
with segments as (

    select * from {{ ref('rpt_customer_segments') }}

)

select
    golden_customer_id,
    frequency_orders,
    frequency_score,
    recency_score,
    rfm_segment,
    is_dormant
from segments
where
    (frequency_orders = 1 and (frequency_score != 1 or rfm_segment in ('champions', 'loyal', 'at_risk')))
    or (frequency_orders > 1 and frequency_score < 2)
    or (is_dormant and rfm_segment in ('champions', 'loyal', 'promising', 'new', 'need_attention'))
