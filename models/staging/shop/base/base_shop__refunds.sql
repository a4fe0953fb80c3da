with source as (

    select * from {{ source('shop', 'refunds') }}

),

known_currencies as (

    select * from {{ ref('currencies') }}

),

known_orders as (

    select distinct {{ clean_text('order_id') }} as order_id
    from {{ source('shop', 'orders') }}
    where {{ clean_text('order_id') }} is not null

),

renamed as (

    select
        {{ clean_text('refund_id') }} as refund_id,
        {{ clean_text('order_id') }} as order_id,
        {{ clean_text('order_line_id') }} as order_line_id,
        cast(refund_amount as decimal(18, 4)) as refund_amount,
        upper(trim(currency_code)) as currency_code,
        reason,
        {{ to_utc_timestamp('refunded_at') }} as refunded_at,
        {{ to_utc_timestamp('loaded_at') }} as loaded_at,
        source as source_struct,
        hash(source) as source_row_hash
    from source

),

checked as (

    select
        *,
        {{ row_key(['refund_id']) }} as row_key,
        case
            when refund_id is null then 'missing_key'
            when refunded_at > loaded_at then 'future_timestamp'
            when
                currency_code is null
                or currency_code not in (select known_currencies.currency_code from known_currencies)
                then 'unknown_currency'
            when refund_amount is null or refund_amount <= 0 then 'invalid_amount'
            when length(reason) > {{ var('max_text_length') }} then 'value_too_long'
            when
                order_id is not null
                and order_id not in (select known_orders.order_id from known_orders)
                then 'orphan_reference'
        end as failed_check
    from renamed

),

deduplicated as (

    {{ keep_latest_per_key('checked', ['refund_id']) }}

)

select * from deduplicated
