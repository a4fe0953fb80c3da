-- One profile per golden customer, merged from its shop accounts: the earliest-created account gives the
-- name, contact and location; opting out of outreach on any account opts the customer out.
with shop_customers as (

    select * from {{ ref('stg_shop__customers') }}

),

customer_ids as (

    select * from {{ ref('int_customer_ids_resolved') }}
    where source_system = 'shop'

),

accounts as (

    select
        customer_ids.golden_customer_id,
        customer_ids.is_crosswalk_resolved,
        shop_customers.*,
        row_number() over (
            partition by customer_ids.golden_customer_id
            order by shop_customers.created_at, shop_customers.customer_id
        ) as account_rank
    from shop_customers
    inner join customer_ids
        on shop_customers.customer_id = customer_ids.source_customer_id

),

merged as (

    select
        accounts.golden_customer_id,
        count(*) as shop_account_count,
        min(accounts.created_at) as created_at,
        bool_or(accounts.is_outreach_opt_out) as is_outreach_opt_out,
        bool_and(accounts.is_crosswalk_resolved) as is_crosswalk_resolved
    from accounts
    group by accounts.golden_customer_id

),

final as (

    select
        merged.golden_customer_id,
        primary_account.customer_id as primary_shop_customer_id,
        merged.shop_account_count,
        primary_account.customer_type,
        primary_account.full_name,
        primary_account.company_name,
        primary_account.email,
        primary_account.phone,
        primary_account.country_code,
        primary_account.region,
        primary_account.city,
        primary_account.affiliated_brand,
        coalesce(merged.is_outreach_opt_out, false) as is_outreach_opt_out,
        merged.is_crosswalk_resolved,
        merged.created_at
    from merged
    inner join accounts as primary_account
        on
            merged.golden_customer_id = primary_account.golden_customer_id
            and primary_account.account_rank = 1

)

select * from final
