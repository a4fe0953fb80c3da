with source as (

    select * from {{ source('shop', 'order_lines') }}

),

known_orders as (

    select distinct {{ clean_text('order_id') }} as order_id
    from {{ source('shop', 'orders') }}
    where {{ clean_text('order_id') }} is not null

),

known_products as (

    select distinct {{ clean_text('product_id') }} as product_id
    from {{ source('shop', 'products') }}
    where {{ clean_text('product_id') }} is not null

),

renamed as (

    select
        {{ clean_text('order_line_id') }} as order_line_id,
        {{ clean_text('order_id') }} as order_id,
        {{ clean_text('product_id') }} as product_id,
        cast(quantity as integer) as quantity,
        cast(unit_price as decimal(18, 4)) as unit_price,
        cast(discount_amount as decimal(18, 4)) as discount_amount,
        {{ to_utc_timestamp('loaded_at') }} as loaded_at,
        source as source_struct,
        hash(source) as source_row_hash
    from source

),

checked as (

    select
        *,
        {{ row_key(['order_line_id']) }} as row_key,
        case
            when order_line_id is null then 'missing_key'
            when quantity is null or quantity <= 0 then 'invalid_quantity'
            when unit_price is null or unit_price <= 0 or discount_amount < 0 then 'invalid_amount'
            when
                order_id is not null
                and order_id not in (select known_orders.order_id from known_orders)
                then 'orphan_reference'
            when
                product_id is not null
                and product_id not in (select known_products.product_id from known_products)
                then 'orphan_reference'
        end as failed_check
    from renamed

),

deduplicated as (

    {{ keep_latest_per_key('checked', ['order_line_id']) }}

)

select * from deduplicated
