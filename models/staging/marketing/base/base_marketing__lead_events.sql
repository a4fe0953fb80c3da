with source as (

    select * from {{ source('marketing', 'lead_events') }}

),

known_currencies as (

    select * from {{ ref('currencies') }}

),

accepted_codes as (

    select * from {{ ref('accepted_codes') }}

),

known_leads as (

    -- every landed leads row is in its base model, cleaned as here, so a reference is known when any landed
    -- row has the id (quarantined or not)
    select distinct lead_id
    from {{ ref('base_marketing__leads') }}
    where lead_id is not null

),

fx_rates as (

    select * from {{ ref('stg_reference__fx_rates') }}

),

renamed as (

    select
        {{ clean_text('lead_event_id') }} as lead_event_id,
        {{ clean_text('lead_id') }} as lead_id,
        {{ clean_text('dealer_id') }} as dealer_id,
        lower(trim(event_type)) as event_type,
        {{ safe_number('won_amount', 'decimal(18, 4)') }} as won_amount,
        upper(trim(currency_code)) as currency_code,
        {{ to_utc_timestamp('event_at') }} as event_at,
        {{ to_utc_timestamp('loaded_at') }} as loaded_at,
        {{ row_struct('source') }} as source_struct,
        {{ row_hash(row_struct('source')) }} as source_row_hash
    from source

),

checked as (

    select
        *,
        {{ row_key(['lead_event_id']) }} as row_key,
        case
            when lead_event_id is null then 'missing_key'
            when event_at > loaded_at then 'future_timestamp'
            when {{ is_unknown_currency('known_currencies', 'currency_code') }} then 'unknown_currency'
            when {{ is_unaccepted_code('accepted_codes', 'event_type', 'event_type') }} then 'invalid_code'
            when {{ is_unusable_number('won_amount') }} then 'invalid_amount'
            when won_amount < 0 then 'invalid_amount'
            when
                lead_id is not null
                and lead_id not in (select known_leads.lead_id from known_leads)
                then 'orphan_reference'
            when
                won_amount != 0
                and {{ fx_rate_is_missing('fx_rates', 'renamed.currency_code', 'renamed.event_at') }}
                then 'missing_fx_rate'
        end as failed_check
    from renamed

),

deduplicated as (

    {{ keep_latest_per_key('checked', ['lead_event_id']) }}

)

select * from deduplicated
