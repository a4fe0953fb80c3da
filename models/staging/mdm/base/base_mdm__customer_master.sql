with source as (

    select * from {{ source('mdm', 'customer_master') }}

),

accepted_codes as (

    select * from {{ ref('accepted_codes') }}

),

renamed as (

    select
        {{ clean_text('golden_customer_id') }} as golden_customer_id,
        lower(trim(source_system)) as source_system,
        {{ clean_text('source_customer_id') }} as source_customer_id,
        {{ to_utc_timestamp('matched_at') }} as matched_at,
        {{ to_utc_timestamp('loaded_at') }} as loaded_at,
        {{ row_struct('source') }} as source_struct,
        {{ row_hash(row_struct('source')) }} as source_row_hash
    from source

),

checked as (

    select
        *,
        {{ row_key(['source_system', 'source_customer_id']) }} as row_key,
        case
            when
                source_system is null
                or source_customer_id is null
                or golden_customer_id is null
                then 'missing_key'
            when matched_at > loaded_at then 'future_timestamp'
            when {{ is_unaccepted_code('accepted_codes', 'source_system', 'source_system') }} then 'invalid_code'
        end as failed_check
    from renamed

),

deduplicated as (

    {{ keep_latest_per_key('checked', ['source_system', 'source_customer_id']) }}

)

select * from deduplicated
