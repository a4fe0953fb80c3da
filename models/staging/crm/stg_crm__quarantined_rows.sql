with quarantined as (

    {{
        quarantined_rows('crm', [
            'base_crm__touchpoints',
            'base_crm__referrals'
        ])
    }}

)

select * from quarantined
