{{ config(meta={'dagster': {'ref': {'name': 'rpt_dealer_scorecard'}}}) }}
-- A published dealer whose value is the best of its peer group in the month (the highest when higher is better,
-- the lowest — for example zero complaints — when lower is better) is in the top band, and no published dealer
-- is placed below a dealer of the same group with a worse value. Rows returned break it.
with scorecard as (

    select * from {{ ref('rpt_dealer_scorecard') }}

),

oriented as (

    -- The value turned so that higher is always better, and the best of the whole peer group (suppressed
    -- dealers included: they are still peers of the others).
    select
        *,
        case when is_higher_better then metric_value else -metric_value end as oriented_value,
        max(case when is_higher_better then metric_value else -metric_value end) over (
            partition by period_month, metric_name, peer_group_type, peer_group_value
        ) as group_best_value,
        case percentile_band
            when 'top_quartile' then 4
            when 'second_quartile' then 3
            when 'third_quartile' then 2
            when 'bottom_quartile' then 1
        end as band_order
    from scorecard

),

published as (

    select * from oriented
    where is_benchmark_published

),

best_not_on_top as (

    select
        dealer_id,
        period_month,
        metric_name,
        peer_group_type,
        'best value of its group not in the top band' as failure
    from published
    where oriented_value = group_best_value and percentile_band != 'top_quartile'

),

inverted as (

    select
        better.dealer_id,
        better.period_month,
        better.metric_name,
        better.peer_group_type,
        'ranked below a dealer with a worse value' as failure
    from published as better
    inner join published as worse
        on
            better.period_month = worse.period_month
            and better.metric_name = worse.metric_name
            and better.peer_group_type = worse.peer_group_type
            and better.peer_group_value = worse.peer_group_value
            and better.oriented_value > worse.oriented_value
            and better.band_order < worse.band_order

)

select * from best_not_on_top
union all
select * from inverted
