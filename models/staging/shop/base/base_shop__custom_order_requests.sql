with source as (

    select * from {{ source('shop', 'custom_order_requests') }}

),

renamed as (

    select
        {{ clean_text('request_id') }} as request_id,
        {{ clean_text('customer_id') }} as customer_id,
        lower(trim(product_category)) as product_category,
        {{ safe_number('quantity_requested', 'integer') }} as quantity_requested,
        description,
        {{ to_utc_timestamp('requested_at') }} as requested_at,
        {{ to_utc_timestamp('loaded_at') }} as loaded_at,
        {{ row_struct('source') }} as source_struct,
        {{ row_hash(row_struct('source')) }} as source_row_hash
    from source

),

checked as (

    select
        *,
        {{ row_key(['request_id']) }} as row_key,
        case
            when request_id is null then 'missing_key'
            when requested_at > loaded_at then 'future_timestamp'
            when quantity_requested is null or quantity_requested <= 0 then 'invalid_quantity'
            when length(description) > {{ var('max_text_length') }} then 'value_too_long'
        end as failed_check
    from renamed

),

deduplicated as (

    {{ keep_latest_per_key('checked', ['request_id']) }}

)

select * from deduplicated
