with checked as (

    select * from {{ ref('base_mdm__customer_master') }}

),

staged as (

    select
        golden_customer_id,
        source_system,
        source_customer_id,
        matched_at,
        loaded_at
    from checked
    where quarantine_reason is null

)

select * from staged
