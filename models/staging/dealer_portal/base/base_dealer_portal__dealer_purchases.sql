with source as (

    select * from {{ source('dealer_portal', 'dealer_purchases') }}

),

known_currencies as (

    select * from {{ ref('currencies') }}

),

fx_rates as (

    select * from {{ ref('stg_reference__fx_rates') }}

),

renamed as (

    select
        {{ clean_text('purchase_id') }} as purchase_id,
        {{ clean_text('dealer_id') }} as dealer_id,
        {{ clean_text('product_id') }} as product_id,
        {{ safe_number('quantity', 'integer') }} as quantity,
        {{ safe_number('unit_price', 'decimal(18, 4)') }} as unit_price,
        upper(trim(currency_code)) as currency_code,
        {{ to_utc_timestamp('shipped_at') }} as shipped_at,
        {{ to_utc_timestamp('loaded_at') }} as loaded_at,
        {{ row_struct('source') }} as source_struct,
        {{ row_hash(row_struct('source')) }} as source_row_hash
    from source

),

checked as (

    select
        *,
        {{ row_key(['purchase_id']) }} as row_key,
        case
            when purchase_id is null then 'missing_key'
            when shipped_at > loaded_at then 'future_timestamp'
            when {{ is_unknown_currency('known_currencies', 'currency_code') }} then 'unknown_currency'
            when quantity is null or quantity <= 0 then 'invalid_quantity'
            when unit_price is null or unit_price <= 0 then 'invalid_amount'
            when
                {{ fx_rate_is_missing('fx_rates', 'renamed.currency_code', 'renamed.shipped_at') }}
                then 'missing_fx_rate'
        end as failed_check
    from renamed

),

deduplicated as (

    {{ keep_latest_per_key('checked', ['purchase_id']) }}

)

select * from deduplicated
