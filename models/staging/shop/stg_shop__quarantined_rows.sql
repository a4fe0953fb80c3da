with quarantined as (

    {{
        quarantined_rows('shop', [
            'base_shop__customers',
            'base_shop__products',
            'base_shop__orders',
            'base_shop__order_lines',
            'base_shop__refunds',
            'base_shop__custom_order_requests',
            'base_shop__reseller_inquiries'
        ])
    }}

)

select * from quarantined
