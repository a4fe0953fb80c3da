with checked as (

    select * from {{ ref('base_marketing__leads') }}

),

staged as (

    select
        lead_id,
        lead_source,
        campaign_id,
        country_code,
        region,
        contact_name,
        contact_email,
        has_valid_contact_email,
        contact_phone,
        has_contact_consent,
        created_at,
        loaded_at
    from checked
    where quarantine_reason is null

)

select * from staged
