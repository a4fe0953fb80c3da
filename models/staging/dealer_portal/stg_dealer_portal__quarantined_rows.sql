with dealers as (

    select * from {{ ref('base_dealer_portal__dealers') }}

),

dealer_sales as (

    select * from {{ ref('base_dealer_portal__dealer_sales') }}

),

dealer_purchases as (

    select * from {{ ref('base_dealer_portal__dealer_purchases') }}

),

data_sharing_agreements as (

    select * from {{ ref('base_dealer_portal__data_sharing_agreements') }}

),

quarantined as (

    {{
        quarantined_rows('dealer_portal', [
            'dealers',
            'dealer_sales',
            'dealer_purchases',
            'data_sharing_agreements'
        ])
    }}

)

select * from quarantined
