-- Every customer id any system uses (shop accounts, CRM contacts, loyalty members — from the crosswalk
-- and from the systems' own rows) resolved to one golden customer. Ids the MDM crosswalk does not know
-- are kept: they get a fallback golden id '<system>:<id>' and is_crosswalk_resolved = false, so their
-- orders still count in revenue and can be merged once MDM matches them.
with crosswalk as (

    select * from {{ ref('stg_mdm__customer_master') }}

),

shop_customers as (

    select customer_id from {{ ref('stg_shop__customers') }}

),

orders as (

    select customer_id from {{ ref('stg_shop__orders') }}

),

touchpoints as (

    select crm_contact_id from {{ ref('stg_crm__touchpoints') }}

),

referrals as (

    select referrer_crm_contact_id from {{ ref('stg_crm__referrals') }}

),

wallet_transactions as (

    select member_id from {{ ref('stg_loyalty__wallet_transactions') }}

),

seen_ids as (

    select
        'shop' as source_system,
        customer_id as source_customer_id
    from shop_customers
    union
    select
        'shop' as source_system,
        customer_id as source_customer_id
    from orders
    union
    select
        'crm' as source_system,
        crm_contact_id as source_customer_id
    from touchpoints
    union
    select
        'crm' as source_system,
        referrer_crm_contact_id as source_customer_id
    from referrals
    union
    select
        'loyalty' as source_system,
        member_id as source_customer_id
    from wallet_transactions
    union
    select
        source_system,
        source_customer_id
    from crosswalk

),

resolved as (

    select
        seen_ids.source_system,
        seen_ids.source_customer_id,
        coalesce(
            crosswalk.golden_customer_id,
            seen_ids.source_system || ':' || seen_ids.source_customer_id
        ) as golden_customer_id,
        crosswalk.golden_customer_id is not null as is_crosswalk_resolved,
        crosswalk.loaded_at as crosswalk_loaded_at
    from seen_ids
    left join crosswalk
        on
            seen_ids.source_system = crosswalk.source_system
            and seen_ids.source_customer_id = crosswalk.source_customer_id
    where seen_ids.source_customer_id is not null

)

select * from resolved
