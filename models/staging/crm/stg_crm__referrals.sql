with checked as (

    select * from {{ ref('base_crm__referrals') }}

),

staged as (

    select
        referral_id,
        referrer_crm_contact_id,
        referred_name,
        referred_email,
        has_valid_referred_email,
        referred_phone,
        referred_crm_contact_id,
        referred_at,
        loaded_at
    from checked
    where quarantine_reason is null

)

select * from staged
