{{ config(meta={'dagster': {'ref': {'name': 'fct_wallet_ledger'}}}) }}
-- The loyalty system never redeems, expires or debits more points than a member holds: the ledger refuses
-- part of a deduction only for refund reversals (points already redeemed, or a reversal beyond what the
-- order earned).

select
    transaction_id,
    entry_type,
    points,
    points_applied,
    points_refused
from {{ ref('fct_wallet_ledger') }}
where points_refused != 0 and entry_type != 'points_reversal'
