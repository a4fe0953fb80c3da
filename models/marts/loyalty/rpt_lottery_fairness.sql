-- Fairness audit of lottery campaigns, one row per campaign and advertised prize: draws, wins, the observed
-- win rate against the advertised odds, and an exact binomial test of the observed wins. The two-sided
-- p-value sums the probabilities of every outcome no more likely than the observed one (as
-- scipy.stats.binomtest does); the one-sided chance of no win at all is (1 - odds)^draws. Flags: a prize never
-- won over enough draws for that to be implausible, odds implausible either way, a prize whose stock ran out
-- before the campaign ended while still advertised, and draws of the campaign outside its window.

with prizes as (

    select * from {{ ref('stg_promotions__lottery_prizes') }}

),

draws as (

    select * from {{ ref('stg_promotions__lottery_draws') }}

),

campaigns as (

    select * from {{ ref('stg_marketing__campaigns') }}

),

audit_rules as (

    select * from {{ ref('loyalty_audit_rules') }}

),

significance as (

    select rule_value as significance_level
    from audit_rules
    where rule_name = 'lottery_significance_level'

),

campaign_draws as (

    select
        draws.campaign_id,
        count(*) as draw_count,
        count(*) filter (
            where draws.drawn_at < campaigns.starts_at or draws.drawn_at > campaigns.ends_at
        ) as draws_outside_window
    from draws
    left join campaigns
        on draws.campaign_id = campaigns.campaign_id
    group by draws.campaign_id

),

prize_wins as (

    select
        prize_id,
        drawn_at,
        row_number() over (partition by prize_id order by drawn_at, draw_id) as win_number
    from draws
    where prize_id is not null

),

prize_win_stats as (

    select
        prizes.prize_id,
        count(prize_wins.prize_id) as win_count,
        max(case when prize_wins.win_number = prizes.stock_quantity then prize_wins.drawn_at end)
            as stock_exhausted_at
    from prizes
    left join prize_wins
        on prizes.prize_id = prize_wins.prize_id
    group by prizes.prize_id

),

prize_stats as (

    select
        prizes.prize_id,
        prizes.campaign_id,
        prizes.prize_name,
        prizes.advertised_odds,
        prizes.stock_quantity,
        prize_win_stats.win_count,
        prize_win_stats.stock_exhausted_at,
        coalesce(campaign_draws.draw_count, 0) as draw_count,
        coalesce(campaign_draws.draws_outside_window, 0) as draws_outside_window
    from prizes
    inner join prize_win_stats
        on prizes.prize_id = prize_win_stats.prize_id
    left join campaign_draws
        on prizes.campaign_id = campaign_draws.campaign_id

),

outcomes as (

    -- Every possible number of wins of each prize, with its probability under the advertised odds.
    select
        prize_id,
        draw_count,
        win_count,
        outcome_wins,
        exp(
            lgamma(draw_count + 1) - lgamma(outcome_wins + 1) - lgamma(draw_count - outcome_wins + 1)
            + outcome_wins * ln(advertised_odds) + (draw_count - outcome_wins) * ln(1 - advertised_odds)
        ) as outcome_probability
    from (
        select
            *,
            unnest(generate_series(0, draw_count)) as outcome_wins
        from prize_stats
        where advertised_odds > 0 and advertised_odds < 1
    ) as expanded

),

binomial_tests as (

    select
        prize_id,
        least(
            1.0,
            sum(outcome_probability) filter (
                where outcome_probability <= observed_probability * (1 + 1e-7)
            )
        ) as binomial_p_value
    from (
        select
            *,
            max(case when outcome_wins = win_count then outcome_probability end) over (partition by prize_id)
                as observed_probability
        from outcomes
    ) as scored
    group by prize_id

),

campaign_windows as (

    select
        campaign_id,
        campaign_name,
        starts_at,
        ends_at
    from campaigns

),

final as (

    select
        prize_stats.campaign_id,
        prize_stats.prize_id,
        campaign_windows.campaign_name,
        prize_stats.prize_name,
        campaign_windows.starts_at as campaign_starts_at,
        campaign_windows.ends_at as campaign_ends_at,
        prize_stats.advertised_odds,
        prize_stats.stock_quantity,
        cast(prize_stats.draw_count as bigint) as draw_count,
        cast(prize_stats.win_count as bigint) as win_count,
        cast(prize_stats.win_count / nullif(prize_stats.draw_count, 0) as double) as observed_win_rate,
        cast(prize_stats.draw_count * prize_stats.advertised_odds as double) as expected_win_count,
        cast(binomial_tests.binomial_p_value as double) as binomial_p_value,
        cast(power(1 - prize_stats.advertised_odds, prize_stats.draw_count) as double) as no_win_probability,
        prize_stats.win_count = 0
        and power(1 - prize_stats.advertised_odds, prize_stats.draw_count) < significance.significance_level
            as is_never_won_implausible,
        coalesce(binomial_tests.binomial_p_value < significance.significance_level, false) as is_odds_implausible,
        prize_stats.stock_exhausted_at,
        coalesce(prize_stats.stock_exhausted_at < campaign_windows.ends_at, false)
            as is_out_of_stock_while_advertised,
        cast(prize_stats.draws_outside_window as bigint) as campaign_draws_outside_window,
        prize_stats.draws_outside_window > 0 as has_draws_outside_window
    from prize_stats
    cross join significance
    left join binomial_tests
        on prize_stats.prize_id = binomial_tests.prize_id
    left join campaign_windows
        on prize_stats.campaign_id = campaign_windows.campaign_id

)

select * from final
