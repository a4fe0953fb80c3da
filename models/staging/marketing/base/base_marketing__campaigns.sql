with source as (

    select * from {{ source('marketing', 'campaigns') }}

),

known_currencies as (

    select * from {{ ref('currencies') }}

),

accepted_codes as (

    select * from {{ ref('accepted_codes') }}

),

renamed as (

    select
        {{ clean_text('campaign_id') }} as campaign_id,
        campaign_name,
        lower(trim(campaign_type)) as campaign_type,
        upper({{ clean_text('discount_code') }}) as discount_code,
        {{ safe_number('cost_amount', 'decimal(18, 4)') }} as cost_amount,
        upper(trim(currency_code)) as currency_code,
        {{ to_utc_timestamp('starts_at') }} as starts_at,
        {{ to_utc_timestamp('ends_at') }} as ends_at,
        {{ to_utc_timestamp('loaded_at') }} as loaded_at,
        {{ row_struct('source') }} as source_struct,
        {{ row_hash(row_struct('source')) }} as source_row_hash
    from source

),

checked as (

    select
        *,
        {{ row_key(['campaign_id']) }} as row_key,
        case
            when campaign_id is null then 'missing_key'
            when starts_at > loaded_at then 'future_timestamp'
            when {{ is_unknown_currency('known_currencies', 'currency_code') }} then 'unknown_currency'
            when {{ is_unaccepted_code('accepted_codes', 'campaign_type', 'campaign_type') }} then 'invalid_code'
            when {{ is_unusable_number('cost_amount') }} then 'invalid_amount'
            when cost_amount < 0 then 'invalid_amount'
            when length(campaign_name) > {{ var('max_text_length') }} then 'value_too_long'
        end as failed_check
    from renamed

),

deduplicated as (

    {{ keep_latest_per_key('checked', ['campaign_id']) }}

)

select * from deduplicated
