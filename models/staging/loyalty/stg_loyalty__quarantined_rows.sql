with wallet_transactions as (

    select * from {{ ref('base_loyalty__wallet_transactions') }}

),

daily_totals as (

    select * from {{ ref('base_loyalty__daily_totals') }}

),

quarantined as (

    {{
        quarantined_rows('loyalty', [
            'wallet_transactions',
            'daily_totals'
        ])
    }}

)

select * from quarantined
