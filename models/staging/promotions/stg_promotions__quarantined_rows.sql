with quarantined as (

    {{
        quarantined_rows('promotions', [
            'base_promotions__lottery_prizes',
            'base_promotions__lottery_draws'
        ])
    }}

)

select * from quarantined
