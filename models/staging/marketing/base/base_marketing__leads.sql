with source as (

    select * from {{ source('marketing', 'leads') }}

),

accepted_codes as (

    select * from {{ ref('accepted_codes') }}

),

renamed as (

    select
        {{ clean_text('lead_id') }} as lead_id,
        lower(trim(lead_source)) as lead_source,
        {{ clean_text('campaign_id') }} as campaign_id,
        upper(trim(country_code)) as country_code,
        region,
        contact_name,
        case when {{ is_valid_email('contact_email') }} then lower(trim(contact_email)) end as contact_email,
        {{ is_valid_email('contact_email') }} as has_valid_contact_email,
        contact_phone,
        cast(has_contact_consent as boolean) as has_contact_consent,
        {{ to_utc_timestamp('created_at') }} as created_at,
        {{ to_utc_timestamp('loaded_at') }} as loaded_at,
        {{ row_struct('source') }} as source_struct,
        {{ row_hash(row_struct('source')) }} as source_row_hash
    from source

),

checked as (

    select
        *,
        {{ row_key(['lead_id']) }} as row_key,
        case
            when lead_id is null then 'missing_key'
            when created_at > loaded_at then 'future_timestamp'
            when {{ is_unaccepted_code('accepted_codes', 'lead_source', 'lead_source') }} then 'invalid_code'
            when length(contact_name) > {{ var('max_text_length') }} then 'value_too_long'
        end as failed_check
    from renamed

),

deduplicated as (

    {{ keep_latest_per_key('checked', ['lead_id']) }}

)

select * from deduplicated
