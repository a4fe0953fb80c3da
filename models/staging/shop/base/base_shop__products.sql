with source as (

    select * from {{ source('shop', 'products') }}

),

known_currencies as (

    select * from {{ ref('currencies') }}

),

renamed as (

    select
        {{ clean_text('product_id') }} as product_id,
        sku,
        product_name,
        lower(trim(category)) as category,
        manufacturer,
        brand,
        cast(is_own_brand as boolean) as is_own_brand,
        supplier,
        {{ safe_number('list_price', 'decimal(18, 4)') }} as list_price,
        upper(trim(currency_code)) as currency_code,
        {{ to_utc_timestamp('loaded_at') }} as loaded_at,
        {{ row_struct('source') }} as source_struct,
        {{ row_hash(row_struct('source')) }} as source_row_hash
    from source

),

checked as (

    select
        *,
        {{ row_key(['product_id']) }} as row_key,
        case
            when product_id is null then 'missing_key'
            when {{ is_unknown_currency('known_currencies', 'currency_code') }} then 'unknown_currency'
            when list_price is null or list_price <= 0 then 'invalid_amount'
            when length(product_name) > {{ var('max_text_length') }} then 'value_too_long'
        end as failed_check
    from renamed

),

deduplicated as (

    {{ keep_latest_per_key('checked', ['product_id']) }}

)

select * from deduplicated
