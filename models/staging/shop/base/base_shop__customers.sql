with source as (

    select * from {{ source('shop', 'customers') }}

),

accepted_codes as (

    select * from {{ ref('accepted_codes') }}

),

renamed as (

    select
        {{ clean_text('customer_id') }} as customer_id,
        lower(trim(customer_type)) as customer_type,
        full_name,
        company_name,
        case when {{ is_valid_email('email') }} then lower(trim(email)) end as email,
        {{ is_valid_email('email') }} as has_valid_email,
        phone,
        upper(trim(country_code)) as country_code,
        region,
        city,
        affiliated_brand,
        cast(is_outreach_opt_out as boolean) as is_outreach_opt_out,
        {{ to_utc_timestamp('created_at') }} as created_at,
        {{ to_utc_timestamp('loaded_at') }} as loaded_at,
        {{ row_struct('source') }} as source_struct,
        {{ row_hash(row_struct('source')) }} as source_row_hash
    from source

),

checked as (

    select
        *,
        {{ row_key(['customer_id']) }} as row_key,
        case
            when customer_id is null then 'missing_key'
            when created_at > loaded_at then 'future_timestamp'
            when {{ is_unaccepted_code('accepted_codes', 'customer_type', 'customer_type') }} then 'invalid_code'
            when
                length(full_name) > {{ var('max_text_length') }}
                or length(company_name) > {{ var('max_text_length') }}
                or length(city) > {{ var('max_text_length') }}
                or length(region) > {{ var('max_text_length') }}
                or length(source_struct.email) > {{ var('max_text_length') }}
                then 'value_too_long'
        end as failed_check
    from renamed

),

deduplicated as (

    {{ keep_latest_per_key('checked', ['customer_id']) }}

)

select * from deduplicated
