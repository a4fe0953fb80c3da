with source as (

    select * from {{ source('crm', 'referrals') }}

),

renamed as (

    select
        {{ clean_text('referral_id') }} as referral_id,
        {{ clean_text('referrer_crm_contact_id') }} as referrer_crm_contact_id,
        referred_name,
        case when {{ is_valid_email('referred_email') }} then lower(trim(referred_email)) end as referred_email,
        {{ is_valid_email('referred_email') }} as has_valid_referred_email,
        referred_phone,
        {{ clean_text('referred_crm_contact_id') }} as referred_crm_contact_id,
        {{ to_utc_timestamp('referred_at') }} as referred_at,
        {{ to_utc_timestamp('loaded_at') }} as loaded_at,
        {{ row_struct('source') }} as source_struct,
        {{ row_hash(row_struct('source')) }} as source_row_hash
    from source

),

checked as (

    select
        *,
        {{ row_key(['referral_id']) }} as row_key,
        case
            when referral_id is null then 'missing_key'
            when referred_at > loaded_at then 'future_timestamp'
            when length(referred_name) > {{ var('max_text_length') }} then 'value_too_long'
        end as failed_check
    from renamed

),

deduplicated as (

    {{ keep_latest_per_key('checked', ['referral_id']) }}

)

select * from deduplicated
