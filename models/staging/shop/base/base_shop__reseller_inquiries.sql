with source as (

    select * from {{ source('shop', 'reseller_inquiries') }}

),

accepted_codes as (

    select * from {{ ref('accepted_codes') }}

),

renamed as (

    select
        {{ clean_text('inquiry_id') }} as inquiry_id,
        {{ clean_text('customer_id') }} as customer_id,
        lower(trim(inquiry_channel)) as inquiry_channel,
        message,
        {{ to_utc_timestamp('inquired_at') }} as inquired_at,
        {{ to_utc_timestamp('loaded_at') }} as loaded_at,
        {{ row_struct('source') }} as source_struct,
        {{ row_hash(row_struct('source')) }} as source_row_hash
    from source

),

checked as (

    select
        *,
        {{ row_key(['inquiry_id']) }} as row_key,
        case
            when inquiry_id is null then 'missing_key'
            when inquired_at > loaded_at then 'future_timestamp'
            when {{ is_unaccepted_code('accepted_codes', 'inquiry_channel', 'inquiry_channel') }} then 'invalid_code'
            when length(message) > {{ var('max_text_length') }} then 'value_too_long'
        end as failed_check
    from renamed

),

deduplicated as (

    {{ keep_latest_per_key('checked', ['inquiry_id']) }}

)

select * from deduplicated
