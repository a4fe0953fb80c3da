with quarantined as (

    {{
        quarantined_rows('loyalty', [
            'base_loyalty__wallet_transactions',
            'base_loyalty__daily_totals'
        ])
    }}

)

select * from quarantined
