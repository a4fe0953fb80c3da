with checked as (

    select * from {{ ref('base_crm__touchpoints') }}

),

staged as (

    select
        touchpoint_id,
        crm_contact_id,
        touchpoint_type,
        employee_id,
        cost_amount,
        currency_code,
        touched_at,
        loaded_at,
        staged_at
    from checked
    where quarantine_reason is null

)

select * from staged
