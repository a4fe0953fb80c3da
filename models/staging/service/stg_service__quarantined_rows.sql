with quarantined as (

    {{
        quarantined_rows('service', [
            'base_service__after_sales_tickets'
        ])
    }}

)

select * from quarantined
