{{ config(meta={'dagster': {'ref': {'name': 'fct_wallet_ledger'}}}) }}
-- Every top-up bonus follows the recharge tiers: it belongs to a top-up of the same member, made at most an hour
-- before it, that reached a tier, and it is the bonus of the highest tier reached (in the reporting currency, to
-- within a cent of currency rounding); no top-up earns two. The source does not say which top-up a bonus belongs
-- to, so it is paired with the member's latest top-up before it whose tier bonus it matches: not simply the entry
-- just before it, since points earned or another top-up (with its own bonus) may land between the two. The bonus
-- is valued at that top-up's exchange rate: posted just after midnight, it converts at the next day's rate in the
-- ledger, yet it was granted for the top-up, at the top-up's rate. It checks the members whose entries were written
-- since it last passed (macros/data_test_scope.sql; a member's entries are written together, so its bonuses and
-- top-ups are read together).

with all_ledger as (

    select * from {{ ref('fct_wallet_ledger') }}

),

ledger as (

    select *
    from all_ledger
    where {{ written_since_test_passed('all_ledger.computed_at') }}

),

bonuses as (

    select
        transaction_id,
        member_id,
        entry_sequence,
        transacted_at,
        amount
    from ledger
    where entry_type = 'top_up_bonus'

),

top_ups as (

    select
        transaction_id,
        member_id,
        entry_sequence,
        transacted_at,
        amount_reporting / nullif(amount, 0) as rate_to_reporting,
        tier_bonus_amount_reporting
    from ledger
    where entry_type = 'top_up' and tier_bonus_amount_reporting > 0

),

paired as (

    select
        bonuses.transaction_id,
        bonuses.member_id,
        top_ups.transaction_id as top_up_transaction_id
    from bonuses
    inner join top_ups
        on
            bonuses.member_id = top_ups.member_id
            and bonuses.entry_sequence > top_ups.entry_sequence
            and bonuses.transacted_at <= {{ dbt.dateadd('hour', 1, 'top_ups.transacted_at') }}
            and abs(bonuses.amount * top_ups.rate_to_reporting - top_ups.tier_bonus_amount_reporting) <= 0.01
    qualify row_number() over (partition by bonuses.transaction_id order by top_ups.entry_sequence desc) = 1

),

checked as (

    select
        bonuses.transaction_id,
        bonuses.member_id,
        bonuses.amount,
        paired.top_up_transaction_id,
        count(paired.top_up_transaction_id) over (
            partition by bonuses.member_id, paired.top_up_transaction_id
        ) as bonuses_for_top_up
    from bonuses
    left join paired
        on bonuses.transaction_id = paired.transaction_id

)

select *
from checked
where top_up_transaction_id is null or bonuses_for_top_up > 1
