-- One row per referral-network edge: a CRM referral (a contact recommending someone new) or an MDM
-- friends-and-family link, with the advocate's golden customer, the referred person (golden id once known),
-- whether they bought and what they are worth net of refunds, and two suspicion flags: a self-referral
-- (the referred person is the advocate, by golden id or by the advocate's own shop e-mail or phone) and a
-- duplicate contact (the same normalised e-mail or phone appears on more than one edge, by anyone).
with edges as (

    select * from {{ ref('int_referral_edges_unioned') }}

),

orders as (

    select * from {{ ref('fct_orders') }}

),

shop_ids as (

    select * from {{ ref('int_customer_ids_resolved') }}
    where source_system = 'shop'

),

shop_customers as (

    select * from {{ ref('stg_shop__customers') }}

),

customer_orders as (

    select
        golden_customer_id,
        min(order_date) as first_order_date,
        count(*) as order_count,
        {{ to_decimal("sum(net_amount_after_refunds_reporting)", 18, 4) }} as net_amount_after_refunds_reporting
    from orders
    group by golden_customer_id

),

advocate_own_contacts as (

    select
        shop_ids.golden_customer_id,
        'email' as contact_kind,
        lower(trim(shop_customers.email)) as contact_value
    from shop_customers
    inner join shop_ids
        on shop_customers.customer_id = shop_ids.source_customer_id
    where shop_customers.email is not null
    union
    select
        shop_ids.golden_customer_id,
        'phone' as contact_kind,
        {{ digits_only('shop_customers.phone') }} as contact_value
    from shop_customers
    inner join shop_ids
        on shop_customers.customer_id = shop_ids.source_customer_id
    where shop_customers.phone is not null

),

own_contact_matches as (

    select distinct edges.referral_edge_id
    from edges
    inner join advocate_own_contacts
        on
            edges.advocate_golden_customer_id = advocate_own_contacts.golden_customer_id
            and (
                (
                    advocate_own_contacts.contact_kind = 'email'
                    and edges.referred_email_normalised = advocate_own_contacts.contact_value
                )
                or (
                    advocate_own_contacts.contact_kind = 'phone'
                    and edges.referred_phone_normalised = advocate_own_contacts.contact_value
                )
            )

),

email_occurrences as (

    -- how many edges name each normalised e-mail (an aggregate joined back, not a window over every edge)
    select
        referred_email_normalised,
        count(*) as occurrences
    from edges
    where referred_email_normalised is not null
    group by referred_email_normalised

),

phone_occurrences as (

    select
        referred_phone_normalised,
        count(*) as occurrences
    from edges
    where referred_phone_normalised is not null
    group by referred_phone_normalised

),

final as (

    select
        edges.referral_edge_id,
        edges.edge_type,
        edges.source_edge_id,
        edges.advocate_golden_customer_id,
        edges.advocate_crm_contact_id,
        edges.referred_golden_customer_id,
        edges.referred_crm_contact_id,
        edges.referred_name,
        edges.referred_email,
        edges.referred_phone,
        edges.has_consent,
        edges.linked_at,
        cast(edges.linked_at as date) as linked_date,
        edges.referred_golden_customer_id is not null as is_referred_customer_known,
        customer_orders.golden_customer_id is not null as has_converted,
        customer_orders.first_order_date as referred_first_order_date,
        coalesce(customer_orders.order_count, 0) as referred_order_count,
        {{ to_decimal("
            coalesce(customer_orders.net_amount_after_refunds_reporting, 0)",
            18, 4
        ) }} as referred_net_amount_after_refunds_reporting,
        coalesce(edges.referred_golden_customer_id = edges.advocate_golden_customer_id, false)
        or own_contact_matches.referral_edge_id is not null as is_self_referral,
        coalesce(email_occurrences.occurrences > 1, false)
        or coalesce(phone_occurrences.occurrences > 1, false) as is_duplicate_contact
    from edges
    left join customer_orders
        on edges.referred_golden_customer_id = customer_orders.golden_customer_id
    left join own_contact_matches
        on edges.referral_edge_id = own_contact_matches.referral_edge_id
    left join email_occurrences
        on edges.referred_email_normalised = email_occurrences.referred_email_normalised
    left join phone_occurrences
        on edges.referred_phone_normalised = phone_occurrences.referred_phone_normalised

)

select * from final
