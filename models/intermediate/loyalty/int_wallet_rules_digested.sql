{{ config(materialized='ephemeral') }}

-- The wallet rules int_wallet_entries_balanced applies, in one row: the points expiry (`points_expiry_days`
-- programme rule) and a digest of every rule it applies (the recharge tiers and the points expiry). The rows
-- of int_wallet_entries_balanced carry the digest they were computed with; when the seeds say otherwise, an
-- incremental run computes every member again.
-- The tiers enter the digest in a fixed order (smallest top-up first), so the digest changes only when a rule
-- does. No row when the programme states no points expiry (as no wallet entry can then be computed).

with recharge_tiers as (

    select * from {{ ref('recharge_tiers') }}

),

programme_rules as (

    select * from {{ ref('loyalty_programme_rules') }}

),

expiry_rule as (

    select cast(rule_value as integer) as points_expiry_days
    from programme_rules
    where rule_name = 'points_expiry_days'

),

digested as (

    select
        md5(
            coalesce((
                select
                    {{ ordered_string_agg(
                        "concat_ws(',', tier_name, cast(min_top_up_amount_reporting as string),"
                        ~ " cast(bonus_amount_reporting as string))",
                        "';'",
                        'min_top_up_amount_reporting, tier_name'
                    ) }}
                from recharge_tiers
            ), '')
            || '|' || coalesce((select cast(max(points_expiry_days) as string) from expiry_rule), '')
        ) as rules_digest

),

final as (

    select
        digested.rules_digest,
        expiry_rule.points_expiry_days
    from expiry_rule
    cross join digested

)

select * from final
