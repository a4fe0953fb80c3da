with source as (

    select * from {{ source('reference', 'fx_rates') }}

),

known_currencies as (

    select * from {{ ref('currencies') }}

),

renamed as (

    select
        cast(rate_date as date) as rate_date,
        upper(trim(currency_code)) as currency_code,
        {{ safe_number('rate_to_usd', 'double') }} as rate_to_usd,
        {{ to_utc_timestamp('loaded_at') }} as loaded_at,
        {{ row_struct('source') }} as source_struct,
        {{ row_hash(row_struct('source')) }} as source_row_hash
    from source

),

checked as (

    select
        *,
        {{ row_key(['rate_date', 'currency_code']) }} as row_key,
        case
            when
                rate_date is null
                or currency_code is null
                then 'missing_key'
            when {{ is_unknown_currency('known_currencies', 'currency_code') }} then 'unknown_currency'
            when rate_to_usd is null or rate_to_usd <= 0 then 'invalid_amount'
        end as failed_check
    from renamed

),

deduplicated as (

    {{ keep_latest_per_key('checked', ['rate_date', 'currency_code']) }}

)

select * from deduplicated
