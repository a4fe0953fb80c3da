-- One row per dealer, month, scorecard metric and peer group (same region, same tier): the dealer's value and,
-- where the disclosure rules allow (peer_benchmark_rules: enough other dealers behind the cell, none carrying
-- too much of its weight), the weighted mean of its peers and the percentile band the dealer falls in.
-- A suppressed cell keeps the dealer's own value and says why the benchmark is withheld.
-- Direction comes from the seed (is_higher_better): the percentile is the share of peers the dealer does at least
-- as well as, so peers with an equal value never count against it and every dealer at the best value in its group
-- (for example zero complaints) reaches the top band. Values are compared rounded to
-- `scorecard_comparison_decimal_places` (var) decimals of the metric's unit, so two values equal in exact arithmetic
-- that differ in the last bits of a double (an average summed in another order) tie.
-- Peer sums are exact: each weight and weight x value is taken as a decimal of
-- `scorecard_exact_decimal_places` (var) places before it is summed, so a peer mean is the same on every build
-- (a sum of doubles depends on the order the rows arrive in) and taking the dealer's own share out of its group's
-- sum loses nothing, however much larger the dealer is than its peers.

with metrics as (

    select * from {{ ref('int_dealer_metrics_pivoted') }}

),

dealers as (

    select * from {{ ref('dim_dealers') }}

),

scorecard_metrics as (

    select * from {{ ref('scorecard_metrics') }}

),

peer_benchmark_rules as (

    select * from {{ ref('peer_benchmark_rules') }}

),

rules as (

    select
        max(case when rule_name = 'min_peers' then rule_value end) as min_peers,
        max(case when rule_name = 'max_peer_weight_share' then rule_value end) as max_peer_weight_share
    from peer_benchmark_rules

),

peer_groups as (

    select
        dealer_id,
        'region' as peer_group_type,
        coalesce(region, 'unknown') as peer_group_value
    from dealers

    union all

    select
        dealer_id,
        'tier' as peer_group_type,
        coalesce(tier, 'unknown') as peer_group_value
    from dealers

),

cells as (

    select
        metrics.dealer_id,
        metrics.period_month,
        metrics.metric_name,
        metrics.metric_value,
        round(metrics.metric_value, {{ var('scorecard_comparison_decimal_places') }}) as compared_value,
        metrics.metric_weight,
        cast(metrics.metric_weight as decimal(38, {{ var('scorecard_exact_decimal_places') }})) as exact_weight,
        cast(
            metrics.metric_weight * metrics.metric_value as decimal(38, {{ var('scorecard_exact_decimal_places') }})
        ) as exact_weighted_value,
        peer_groups.peer_group_type,
        peer_groups.peer_group_value,
        scorecard_metrics.is_higher_better
    from metrics
    inner join peer_groups
        on metrics.dealer_id = peer_groups.dealer_id
    inner join scorecard_metrics
        on metrics.metric_name = scorecard_metrics.metric_name

),

ranked as (

    select
        *,
        count(*) over cell_group as group_dealer_count,
        sum(exact_weight) over cell_group as group_weight,
        sum(exact_weighted_value) over cell_group as group_weighted_value,
        row_number() over (
            partition by period_month, metric_name, peer_group_type, peer_group_value
            order by metric_weight desc, dealer_id asc
        ) as weight_rank,
        -- rank() - 1 counts the dealers with a strictly lower (ascending) or strictly higher (descending) compared
        -- value: ties are never counted, so they share the better rank.
        rank() over (
            partition by period_month, metric_name, peer_group_type, peer_group_value
            order by compared_value asc
        ) - 1 as lower_value_count,
        rank() over (
            partition by period_month, metric_name, peer_group_type, peer_group_value
            order by compared_value desc
        ) - 1 as higher_value_count
    from cells
    window cell_group as (partition by period_month, metric_name, peer_group_type, peer_group_value)

),

group_top_weights as (

    select
        period_month,
        metric_name,
        peer_group_type,
        peer_group_value,
        max(case when weight_rank = 1 then dealer_id end) as top_weight_dealer_id,
        max(case when weight_rank = 1 then metric_weight end) as top_weight,
        max(case when weight_rank = 2 then metric_weight end) as second_weight
    from ranked
    group by period_month, metric_name, peer_group_type, peer_group_value

),

peers as (

    select
        ranked.dealer_id,
        ranked.period_month,
        ranked.metric_name,
        ranked.metric_value,
        ranked.metric_weight,
        ranked.peer_group_type,
        ranked.peer_group_value,
        ranked.group_dealer_count - 1 as peer_dealer_count,
        ranked.group_weight - ranked.exact_weight as peer_weight,
        cast(ranked.group_weighted_value - ranked.exact_weighted_value as double)
        / nullif(cast(ranked.group_weight - ranked.exact_weight as double), 0) as peer_weighted_mean,
        case
            when ranked.dealer_id = group_top_weights.top_weight_dealer_id then group_top_weights.second_weight
            else group_top_weights.top_weight
        end / nullif(cast(ranked.group_weight - ranked.exact_weight as double), 0) as max_peer_weight_share,
        ranked.is_higher_better,
        case
            when ranked.is_higher_better then ranked.higher_value_count
            else ranked.lower_value_count
        end as better_peer_count
    from ranked
    inner join group_top_weights
        on
            ranked.period_month = group_top_weights.period_month
            and ranked.metric_name = group_top_weights.metric_name
            and ranked.peer_group_type = group_top_weights.peer_group_type
            and ranked.peer_group_value = group_top_weights.peer_group_value

),

judged as (

    select
        peers.*,
        case
            when peers.peer_dealer_count < rules.min_peers then 'too_few_peers'
            when coalesce(peers.peer_weight, 0) <= 0 then 'no_peer_weight'
            when peers.max_peer_weight_share > rules.max_peer_weight_share then 'dominant_peer'
        end as suppression_reason,
        (peers.peer_dealer_count - peers.better_peer_count) * 1.0 / nullif(peers.peer_dealer_count, 0)
            as at_least_as_good_share
    from peers
    cross join rules

),

final as (

    select
        dealer_id,
        period_month,
        metric_name,
        is_higher_better,
        peer_group_type,
        peer_group_value,
        metric_value,
        metric_weight,
        cast(peer_dealer_count as bigint) as peer_dealer_count,
        cast(max_peer_weight_share as double) as max_peer_weight_share,
        suppression_reason is null as is_benchmark_published,
        suppression_reason,
        cast(case when suppression_reason is null then peer_weighted_mean end as double) as peer_weighted_mean,
        cast(case when suppression_reason is null then at_least_as_good_share end as double) as peer_percentile,
        case
            when suppression_reason is not null then null
            when at_least_as_good_share >= 0.75 then 'top_quartile'
            when at_least_as_good_share >= 0.5 then 'second_quartile'
            when at_least_as_good_share >= 0.25 then 'third_quartile'
            else 'bottom_quartile'
        end as percentile_band
    from judged

)

select * from final
