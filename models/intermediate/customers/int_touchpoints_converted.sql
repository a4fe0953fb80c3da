{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='touchpoint_id',
        on_schema_change='fail'
    )
}}

-- Every staged CRM touchpoint with the golden customer it reached (CRM contact resolved through the MDM
-- crosswalk; unknown contacts keep the fallback id 'crm:<id>') and its cost in the reporting currency,
-- converted at the rate of the touchpoint's UTC day.
-- Incremental: a run takes the touchpoints staging wrote since the newest staged_at here (a late file of old
-- touchpoints included), those on or after the first day whose rate changed since it last ran
-- (int_fx_rates_tracked), and every touchpoint of a CRM contact whose golden customer changed since
-- (int_customer_ids_tracked: MDM matched, re-matched or dropped the contact). A staged touchpoint never leaves
-- staging (a later row of its key replaces it), so no row here is ever deleted. previous_golden_customer_id keeps
-- the golden customer a touchpoint had before it was written again with another one; computed_at tells
-- int_orders_follow_up_matched which customers to match again.
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

-- read on incremental runs only
rate_changes as ( -- noqa: ST03

    select * from {{ ref('int_fx_rates_tracked') }}

),

-- read on incremental runs only
customer_id_changes as ( -- noqa: ST03

    select * from {{ ref('int_customer_ids_tracked') }}

),

{%- if is_incremental() %}

    built as (

        select * from {{ this }}

    ),
{%- endif %}

new_touchpoints as (

    select * from touchpoints
    {%- if is_incremental() %}
        where
            touchpoints.staged_at > {{ last_staged_at() }}
            or {{ loaded_since_backfill_start('touchpoints.loaded_at') }}
            -- a day's rate changed since this model last ran: the touchpoints on or after that day are converted
            -- again
            or cast(touchpoints.touched_at as date) >= {{ first_changed_rate_date('rate_changes') }}
            -- the contacts whose golden customer changed since this model last ran
            or touchpoints.crm_contact_id in {{ accounts_rematched_since('customer_id_changes', 'crm') }}
    {%- endif %}

),

converted as (

    select
        new_touchpoints.touchpoint_id,
        new_touchpoints.crm_contact_id,
        coalesce(customer_ids.golden_customer_id, 'crm:' || new_touchpoints.crm_contact_id) as golden_customer_id,
        new_touchpoints.touchpoint_type,
        new_touchpoints.employee_id,
        new_touchpoints.touched_at,
        cast(new_touchpoints.touched_at as date) as touched_date,
        new_touchpoints.cost_amount,
        new_touchpoints.currency_code,
        {{ to_decimal("new_touchpoints.cost_amount * touch_fx.rate_to_reporting", 18, 4) }} as cost_amount_reporting,
        new_touchpoints.loaded_at,
        new_touchpoints.staged_at,
        {{ build_started_at() }} as computed_at,
        {%- if is_incremental() %}
            {{ previous_golden_customer_id(
                'built', "coalesce(customer_ids.golden_customer_id, 'crm:' || new_touchpoints.crm_contact_id)"
            ) }} as previous_golden_customer_id
        {%- else %}
            cast(null as string) as previous_golden_customer_id
        {%- endif %}
    from new_touchpoints
    left join customer_ids
        on new_touchpoints.crm_contact_id = customer_ids.source_customer_id
    {%- if is_incremental() %}
        left join built
            on new_touchpoints.touchpoint_id = built.touchpoint_id
    {%- endif %}
    left join fx_rates as touch_fx
        on
            cast(new_touchpoints.touched_at as date) = touch_fx.rate_date
            and new_touchpoints.currency_code = touch_fx.currency_code

)

select * from converted
