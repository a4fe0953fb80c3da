{{ config(meta={'dagster': {'ref': {'name': 'fct_wallet_ledger'}}}) }}
-- A refund never turns bonus credit into paid money nor creates bonus: per order, the bonus refunds give back
-- is at most the bonus the order's spend used, and the money refunded is at most what was spent.

with ledger as (

    select * from {{ ref('fct_wallet_ledger') }}

),

per_order as (

    select
        member_id,
        order_id,
        -sum(case when entry_type = 'spend' then bonus_amount else 0 end) as bonus_used,
        sum(case when entry_type = 'refund_credit' then bonus_amount else 0 end) as bonus_given_back,
        -sum(case when entry_type = 'spend' then amount else 0 end) as spent,
        sum(case when entry_type = 'refund_credit' then amount else 0 end) as refunded
    from ledger
    where order_id is not null and entry_type in ('spend', 'refund_credit')
    group by member_id, order_id

)

select *
from per_order
where bonus_given_back > bonus_used or (spent > 0 and refunded > spent)
