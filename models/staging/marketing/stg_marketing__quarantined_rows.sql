with campaigns as (

    select * from {{ ref('base_marketing__campaigns') }}

),

leads as (

    select * from {{ ref('base_marketing__leads') }}

),

lead_events as (

    select * from {{ ref('base_marketing__lead_events') }}

),

quarantined as (

    {{
        quarantined_rows('marketing', [
            'campaigns',
            'leads',
            'lead_events'
        ])
    }}

)

select * from quarantined
