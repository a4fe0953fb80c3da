with source as (

    select * from {{ source('mdm', 'friends_family') }}

),

renamed as (

    select
        {{ clean_text('link_id') }} as link_id,
        {{ clean_text('golden_customer_id') }} as golden_customer_id,
        friend_name,
        case when {{ is_valid_email('friend_email') }} then lower(trim(friend_email)) end as friend_email,
        {{ is_valid_email('friend_email') }} as has_valid_friend_email,
        friend_phone,
        {{ clean_text('friend_golden_customer_id') }} as friend_golden_customer_id,
        cast(has_consent as boolean) as has_consent,
        {{ to_utc_timestamp('added_at') }} as added_at,
        {{ to_utc_timestamp('loaded_at') }} as loaded_at,
        {{ row_struct('source') }} as source_struct,
        {{ row_hash(row_struct('source')) }} as source_row_hash
    from source

),

checked as (

    select
        *,
        {{ row_key(['link_id']) }} as row_key,
        case
            when link_id is null then 'missing_key'
            when added_at > loaded_at then 'future_timestamp'
            when length(friend_name) > {{ var('max_text_length') }} then 'value_too_long'
        end as failed_check
    from renamed

),

deduplicated as (

    {{ keep_latest_per_key('checked', ['link_id']) }}

)

select * from deduplicated
