-- Every top-up bonus follows the recharge tiers: it comes after a top-up of the same member that reached a tier, and
-- it is the bonus of the highest tier reached (in the reporting currency, to within a cent of currency rounding),
-- and no top-up earns two. The bonus is paired with the member's latest top-up before it, not with the entry just
-- before it (another movement, such as points earned, may land between the two), and is valued at that top-up's
-- exchange rate: a bonus posted just after midnight converts at the next day's rate in the ledger, yet it was
-- granted for the top-up, at the top-up's rate.

with ledger as (

    select * from {{ ref('fct_wallet_ledger') }}

),

with_top_up as (

    select
        transaction_id,
        member_id,
        entry_type,
        amount,
        last_value(case when entry_type = 'top_up' then transaction_id end ignore nulls) over member_before
            as top_up_transaction_id,
        last_value(case when entry_type = 'top_up' then amount_reporting / nullif(amount, 0) end ignore nulls)
            over member_before as top_up_rate_to_reporting,
        last_value(case when entry_type = 'top_up' then tier_bonus_amount_reporting end ignore nulls)
            over member_before as top_up_tier_bonus_amount_reporting
    from ledger
    window member_before as (
        partition by member_id
        order by entry_sequence
        rows between unbounded preceding and 1 preceding
    )

),

bonuses as (

    select
        *,
        count(*) over (partition by member_id, top_up_transaction_id) as bonuses_for_top_up
    from with_top_up
    where entry_type = 'top_up_bonus'

)

select *
from bonuses
where
    top_up_transaction_id is null
    or bonuses_for_top_up > 1
    or abs(amount * top_up_rate_to_reporting - top_up_tier_bonus_amount_reporting) > 0.01
