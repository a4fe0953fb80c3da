-- One row per golden customer with an order on or before the as-of date: RFM scores and named segment, and the
-- behavioural segments, as scored by int_customer_segments_scored (which the customer dimension and relationship
-- health read too, so this report stays a leaf).
with segments as (

    select * from {{ ref('int_customer_segments_scored') }}

),

final as (

    select * from segments

)

select * from final
