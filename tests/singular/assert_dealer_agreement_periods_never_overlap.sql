{{ config(meta={'dagster': {'ref': {'name': 'export_dealer_agreement_periods'}}}) }}
-- Dealer extracts pick one agreement version per dealer and as-of date: no two spans of a dealer share a day.

with periods as (

    select * from {{ ref('export_dealer_agreement_periods') }}

),

final as (

    select
        earlier.dealer_id,
        earlier.agreement_id as earlier_agreement_id,
        later.agreement_id as later_agreement_id,
        later.in_force_from_date
    from periods as earlier
    inner join periods as later
        on
            earlier.dealer_id = later.dealer_id
            and earlier.in_force_from_date < later.in_force_from_date
            and (earlier.in_force_to_date is null or earlier.in_force_to_date >= later.in_force_from_date)

)

select * from final
