with lottery_prizes as (

    select * from {{ ref('base_promotions__lottery_prizes') }}

),

lottery_draws as (

    select * from {{ ref('base_promotions__lottery_draws') }}

),

quarantined as (

    {{
        quarantined_rows('promotions', [
            'lottery_prizes',
            'lottery_draws'
        ])
    }}

)

select * from quarantined
