with touchpoints as (

    select * from {{ ref('base_crm__touchpoints') }}

),

referrals as (

    select * from {{ ref('base_crm__referrals') }}

),

quarantined as (

    {{
        quarantined_rows('crm', [
            'touchpoints',
            'referrals'
        ])
    }}

)

select * from quarantined
