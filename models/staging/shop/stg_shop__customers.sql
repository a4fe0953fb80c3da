with checked as (

    select * from {{ ref('base_shop__customers') }}

),

staged as (

    select
        customer_id,
        customer_type,
        full_name,
        company_name,
        email,
        has_valid_email,
        phone,
        country_code,
        region,
        city,
        affiliated_brand,
        is_outreach_opt_out,
        created_at,
        loaded_at
    from checked
    where quarantine_reason is null

)

select * from staged
