with checked as (

    select * from {{ ref('base_mdm__friends_family') }}

),

staged as (

    select
        link_id,
        golden_customer_id,
        friend_name,
        friend_email,
        has_valid_friend_email,
        friend_phone,
        friend_golden_customer_id,
        has_consent,
        added_at,
        loaded_at
    from checked
    where quarantine_reason is null

)

select * from staged
