with quarantined as (

    {{
        quarantined_rows('marketing', [
            'base_marketing__campaigns',
            'base_marketing__leads',
            'base_marketing__lead_events'
        ])
    }}

)

select * from quarantined
