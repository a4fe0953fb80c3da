with fx_rates as (

    select * from {{ ref('base_reference__fx_rates') }}

),

quarantined as (

    {{
        quarantined_rows('reference', [
            'fx_rates'
        ])
    }}

)

select * from quarantined
