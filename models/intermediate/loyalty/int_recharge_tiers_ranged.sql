{{ config(materialized='ephemeral') }}

-- Every recharge tier (`recharge_tiers` seed) with the range of top-up amounts, in the reporting currency, that
-- reach it and no higher tier: from its minimum (included: a top-up of exactly 300 reaches the tier of 300) up to
-- the next higher minimum (excluded; no end for the highest tier). A top-up reaches the tier whose range holds
-- its amount, which is the tier with the highest minimum the amount reaches; below the lowest minimum it reaches
-- none. int_wallet_entries_balanced looks up the top-ups of the members it computes here.
--
-- Ephemeral, a handful of rows: the lookup itself runs on the entries the wallet model has already filtered.

with recharge_tiers as (

    select * from {{ ref('recharge_tiers') }}

),

final as (

    select
        recharge_tiers.tier_name,
        recharge_tiers.min_top_up_amount_reporting,
        min(higher_tiers.min_top_up_amount_reporting) as next_tier_min_amount_reporting,
        recharge_tiers.bonus_amount_reporting
    from recharge_tiers
    left join recharge_tiers as higher_tiers
        on recharge_tiers.min_top_up_amount_reporting < higher_tiers.min_top_up_amount_reporting
    group by
        recharge_tiers.tier_name,
        recharge_tiers.min_top_up_amount_reporting,
        recharge_tiers.bonus_amount_reporting

)

select * from final
