{{ config(materialized='ephemeral') }}

-- Every wallet top-up with the recharge tier it reached: the tier with the highest minimum its amount in the
-- reporting currency reaches (at least the minimum: a top-up of exactly 300 reaches the tier of 300), and the
-- bonus that tier grants (0 below the lowest tier, which no tier names). The top-up bonus the loyalty system
-- posts is checked against it (assert_wallet_top_up_bonus_follows_recharge_tiers).
--
-- Ephemeral and per top-up (the tiers are a handful of seed rows): int_wallet_entries_balanced joins it to the
-- entries of the members it computes.

with classified as (

    select * from {{ ref('int_wallet_entries_classified') }}

),

recharge_tiers as (

    select * from {{ ref('recharge_tiers') }}

),

top_ups as (

    select
        transaction_id,
        member_id,
        amount_reporting
    from classified
    where entry_type = 'top_up'

),

tiers_reached as (

    select
        top_ups.transaction_id,
        max(recharge_tiers.min_top_up_amount_reporting) as tier_min_amount_reporting
    from top_ups
    inner join recharge_tiers
        on top_ups.amount_reporting >= recharge_tiers.min_top_up_amount_reporting
    group by top_ups.transaction_id

),

final as (

    select
        top_ups.transaction_id,
        top_ups.member_id,
        recharge_tiers.tier_name as recharge_tier_name,
        cast(coalesce(recharge_tiers.bonus_amount_reporting, 0) as decimal(18, 4)) as tier_bonus_amount_reporting
    from top_ups
    left join tiers_reached
        on top_ups.transaction_id = tiers_reached.transaction_id
    left join recharge_tiers
        on tiers_reached.tier_min_amount_reporting = recharge_tiers.min_top_up_amount_reporting

)

select * from final
