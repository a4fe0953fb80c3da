-- The dealer scorecard as dealers receive it: every dealer's own value of each metric by month and peer group,
-- and the peer benchmark only where the disclosure rules publish it. Leaves out max_peer_weight_share, which
-- describes the dealer's peers rather than the dealer.

with scorecard as (

    select * from {{ ref('rpt_dealer_scorecard') }}

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
        peer_dealer_count,
        is_benchmark_published,
        suppression_reason,
        peer_weighted_mean,
        peer_percentile,
        percentile_band
    from scorecard

)

select * from final
