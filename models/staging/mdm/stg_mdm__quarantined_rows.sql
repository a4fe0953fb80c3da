with quarantined as (

    {{
        quarantined_rows('mdm', [
            'base_mdm__customer_master',
            'base_mdm__friends_family'
        ])
    }}

)

select * from quarantined
