-- Free text (`meta.content: free_text` in the contract) leaves staging with e-mail addresses, phone and card-like
-- numbers masked (scrub_personal_data), so no mart, serving file or extract receives them.
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
        {{ scrub_personal_data('city') }} as city,
        {{ scrub_personal_data('affiliated_brand') }} as affiliated_brand,
        is_outreach_opt_out,
        created_at,
        loaded_at
    from checked
    where quarantine_reason is null

)

select * from staged
