{{ config(meta={'dagster': {'ref': {'name': 'rpt_dealer_scorecard'}}}) }}
-- A published peer benchmark must have at least min_peers other dealers behind it and no peer carrying more
-- than max_peer_weight_share of its weight; a suppressed one must show no benchmark. Rows returned break it.
with scorecard as (

    select * from {{ ref('rpt_dealer_scorecard') }}

),

peer_benchmark_rules as (

    select * from {{ ref('peer_benchmark_rules') }}

),

rules as (

    select
        max(case when rule_name = 'min_peers' then rule_value end) as min_peers,
        max(case when rule_name = 'max_peer_weight_share' then rule_value end) as max_peer_weight_share
    from peer_benchmark_rules

)

select scorecard.*
from scorecard
cross join rules
where
    (
        scorecard.is_benchmark_published
        and (
            scorecard.peer_dealer_count < rules.min_peers
            or scorecard.max_peer_weight_share > rules.max_peer_weight_share
            or scorecard.suppression_reason is not null
        )
    )
    or (
        not scorecard.is_benchmark_published
        and (
            scorecard.peer_weighted_mean is not null
            or scorecard.percentile_band is not null
            or scorecard.suppression_reason is null
        )
    )
