with customer_master as (

    select * from {{ ref('base_mdm__customer_master') }}

),

friends_family as (

    select * from {{ ref('base_mdm__friends_family') }}

),

quarantined as (

    {{
        quarantined_rows('mdm', [
            'customer_master',
            'friends_family'
        ])
    }}

)

select * from quarantined
