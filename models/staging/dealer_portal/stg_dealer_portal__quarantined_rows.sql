with quarantined as (

    {{
        quarantined_rows('dealer_portal', [
            'base_dealer_portal__dealers',
            'base_dealer_portal__dealer_sales',
            'base_dealer_portal__dealer_purchases',
            'base_dealer_portal__data_sharing_agreements'
        ])
    }}

)

select * from quarantined
