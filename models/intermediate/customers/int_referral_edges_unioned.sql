-- Every referral-network edge from both systems, one row per edge: CRM referrals (a contact recommending
-- someone new) and MDM friends-and-family links (a golden customer listing a friend). Advocates and
-- referred CRM contacts are resolved to golden customers through the MDM crosswalk; contact details are
-- normalised (e-mail lower-cased and trimmed, phone reduced to its digits) for duplicate checks.
with referrals as (

    select * from {{ ref('stg_crm__referrals') }}

),

friends as (

    select * from {{ ref('stg_mdm__friends_family') }}

),

crm_ids as (

    select * from {{ ref('int_customer_ids_resolved') }}
    where source_system = 'crm'

),

referral_edges as (

    select
        'referral:' || referrals.referral_id as referral_edge_id,
        'referral' as edge_type,
        referrals.referral_id as source_edge_id,
        coalesce(
            advocate_ids.golden_customer_id, 'crm:' || referrals.referrer_crm_contact_id
        ) as advocate_golden_customer_id,
        referrals.referrer_crm_contact_id as advocate_crm_contact_id,
        referrals.referred_crm_contact_id,
        case
            when referrals.referred_crm_contact_id is not null
                then coalesce(referred_ids.golden_customer_id, 'crm:' || referrals.referred_crm_contact_id)
        end as referred_golden_customer_id,
        referrals.referred_name,
        referrals.referred_email,
        referrals.referred_phone,
        cast(null as boolean) as has_consent,
        referrals.referred_at as linked_at
    from referrals
    left join crm_ids as advocate_ids
        on referrals.referrer_crm_contact_id = advocate_ids.source_customer_id
    left join crm_ids as referred_ids
        on referrals.referred_crm_contact_id = referred_ids.source_customer_id

),

friend_edges as (

    select
        'friends_family:' || link_id as referral_edge_id,
        'friends_family' as edge_type,
        link_id as source_edge_id,
        golden_customer_id as advocate_golden_customer_id,
        cast(null as string) as advocate_crm_contact_id,
        cast(null as string) as referred_crm_contact_id,
        friend_golden_customer_id as referred_golden_customer_id,
        friend_name as referred_name,
        friend_email as referred_email,
        friend_phone as referred_phone,
        has_consent,
        added_at as linked_at
    from friends

),

unioned as (

    select * from referral_edges
    union all
    select * from friend_edges

),

normalised as (

    select
        *,
        nullif(lower(trim(referred_email)), '') as referred_email_normalised,
        nullif({{ digits_only('referred_phone') }}, '') as referred_phone_normalised
    from unioned

)

select * from normalised
