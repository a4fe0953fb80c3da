with customers as (

    select * from {{ ref('base_shop__customers') }}

),

products as (

    select * from {{ ref('base_shop__products') }}

),

orders as (

    select * from {{ ref('base_shop__orders') }}

),

order_lines as (

    select * from {{ ref('base_shop__order_lines') }}

),

refunds as (

    select * from {{ ref('base_shop__refunds') }}

),

custom_order_requests as (

    select * from {{ ref('base_shop__custom_order_requests') }}

),

reseller_inquiries as (

    select * from {{ ref('base_shop__reseller_inquiries') }}

),

quarantined as (

    {{
        quarantined_rows('shop', [
            'customers',
            'products',
            'orders',
            'order_lines',
            'refunds',
            'custom_order_requests',
            'reseller_inquiries'
        ])
    }}

)

select * from quarantined
