with quarantined as (

    {{
        quarantined_rows('reference', [
            'base_reference__fx_rates'
        ])
    }}

)

select * from quarantined
