-- Every staged CRM touchpoint with the golden customer it reached (CRM contact resolved through the MDM
-- crosswalk; unknown contacts keep the fallback id 'crm:<id>') and its cost in the reporting currency,
-- converted at the rate of the touchpoint's UTC day.
with touchpoints as (

    select * from {{ ref('stg_crm__touchpoints') }}

),

customer_ids as (

    select * from {{ ref('int_customer_ids_resolved') }}
    where source_system = 'crm'

),

fx_rates as (

    select * from {{ ref('int_fx_rates_filled') }}

),

converted as (

    select
        touchpoints.touchpoint_id,
        touchpoints.crm_contact_id,
        coalesce(customer_ids.golden_customer_id, 'crm:' || touchpoints.crm_contact_id) as golden_customer_id,
        touchpoints.touchpoint_type,
        touchpoints.employee_id,
        touchpoints.touched_at,
        cast(touchpoints.touched_at as date) as touched_date,
        touchpoints.cost_amount,
        touchpoints.currency_code,
        {{ to_decimal("touchpoints.cost_amount * touch_fx.rate_to_reporting", 18, 4) }} as cost_amount_reporting
    from touchpoints
    left join customer_ids
        on touchpoints.crm_contact_id = customer_ids.source_customer_id
    left join fx_rates as touch_fx
        on
            cast(touchpoints.touched_at as date) = touch_fx.rate_date
            and touchpoints.currency_code = touch_fx.currency_code

)

select * from converted
