with after_sales_tickets as (

    select * from {{ ref('base_service__after_sales_tickets') }}

),

quarantined as (

    {{
        quarantined_rows('service', [
            'after_sales_tickets'
        ])
    }}

)

select * from quarantined
