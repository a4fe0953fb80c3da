with source as (

    select * from {{ source('dealer_portal', 'dealers') }}

),

accepted_codes as (

    select * from {{ ref('accepted_codes') }}

),

renamed as (

    select
        {{ clean_text('dealer_id') }} as dealer_id,
        dealer_name,
        upper(trim(country_code)) as country_code,
        region,
        lower(trim(tier)) as tier,
        {{ to_utc_timestamp('joined_at') }} as joined_at,
        {{ clean_text('shop_customer_id') }} as shop_customer_id,
        {{ to_utc_timestamp('loaded_at') }} as loaded_at,
        {{ row_struct('source') }} as source_struct,
        {{ row_hash(row_struct('source')) }} as source_row_hash
    from source

),

checked as (

    select
        *,
        {{ row_key(['dealer_id']) }} as row_key,
        case
            when dealer_id is null then 'missing_key'
            when joined_at > loaded_at then 'future_timestamp'
            when {{ is_unaccepted_code('accepted_codes', 'tier', 'tier') }} then 'invalid_code'
            when length(dealer_name) > {{ var('max_text_length') }} then 'value_too_long'
        end as failed_check
    from renamed

),

deduplicated as (

    {{ keep_latest_per_key('checked', ['dealer_id']) }}

)

select * from deduplicated
