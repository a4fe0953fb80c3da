-- Every top-up bonus follows the recharge tiers: it comes with a top-up that reached a tier, and it is the
-- bonus of the highest tier reached (in the reporting currency, to within a cent of currency rounding).

with ledger as (

    select * from {{ ref('fct_wallet_ledger') }}

),

with_previous as (

    select
        transaction_id,
        entry_type,
        amount_reporting,
        lag(entry_type) over (partition by member_id order by entry_sequence) as previous_entry_type,
        lag(tier_bonus_amount_reporting) over (partition by member_id order by entry_sequence)
            as previous_tier_bonus_amount_reporting
    from ledger

)

select *
from with_previous
where
    entry_type = 'top_up_bonus'
    and (
        previous_entry_type is distinct from 'top_up'
        or abs(amount_reporting - previous_tier_bonus_amount_reporting) > 0.01
    )
