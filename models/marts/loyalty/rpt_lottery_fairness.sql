-- Fairness audit of lottery campaigns, one row per campaign and advertised prize: draws, wins, the observed
-- win rate against the advertised odds, and an exact binomial test of the observed wins. The two-sided
-- p-value sums the probabilities of every outcome no more likely than the observed one (as
-- scipy.stats.binomtest does); the one-sided chance of no win at all is (1 - odds)^draws.
-- One headline verdict per prize, on evidence about that prize only: never won over enough draws for that to be
-- implausible, odds implausible either way, or drawn after its stock ran out. Draws of the campaign outside its
-- window are a campaign-level anomaly: counted, and judged against a threshold from loyalty_audit_rules, in
-- their own columns, never part of a prize's verdict.

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

    select
        max(case when rule_name = 'lottery_significance_level' then rule_value end) as significance_level,
        max(case when rule_name = 'lottery_window_breach_min_share' then rule_value end)
            as window_breach_min_share
    from audit_rules

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

draws_after_stock_out as (

    -- Draws of the prize's campaign after its last unit was won (every draw, for a prize with no stock at all):
    -- the prize was still in the draw, at its advertised odds, but could no longer be won.
    select
        prize_win_stats.prize_id,
        count(draws.draw_id) as draw_count
    from prize_win_stats
    inner join prizes
        on prize_win_stats.prize_id = prizes.prize_id
    inner join draws
        on
            prizes.campaign_id = draws.campaign_id
            and (prize_win_stats.stock_exhausted_at < draws.drawn_at or prizes.stock_quantity <= 0)
    group by prize_win_stats.prize_id

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
        coalesce(draws_after_stock_out.draw_count, 0) as draws_after_stock_out,
        coalesce(campaign_draws.draw_count, 0) as draw_count,
        coalesce(campaign_draws.draws_outside_window, 0) as draws_outside_window
    from prizes
    inner join prize_win_stats
        on prizes.prize_id = prize_win_stats.prize_id
    left join draws_after_stock_out
        on prizes.prize_id = draws_after_stock_out.prize_id
    left join campaign_draws
        on prizes.campaign_id = campaign_draws.campaign_id

),

outcome_windows as (

    -- The outcomes the p-value sums over are those no more likely than the observed one; outside mean ± margin, with
    -- margin = 9 sigma + 60 (sigma = sqrt(draws * odds * (1 - odds))), there is too little probability to count.
    -- Bernstein's inequality bounds each tail: P(|wins - mean| >= t) <= exp(-t^2 / (2 sigma^2 + 2t/3)) per side, and
    -- for t = 9 sigma + 60 the exponent is 40.5 + (837 sigma + 1980) / (2 sigma^2 + 6 sigma + 40) > 40.5 whatever
    -- sigma is, so both tails together hold less than 2 exp(-40.5) < 5.3e-18: the outcomes left out change the
    -- p-value by less than that, below the rounding of the double-precision sum itself (about 1e-16 per term).
    select
        prize_id,
        draw_count,
        win_count,
        advertised_odds,
        cast(greatest(0, floor(draw_count * advertised_odds - outcome_margin)) as bigint) as lowest_outcome,
        cast(least(draw_count, ceil(draw_count * advertised_odds + outcome_margin)) as bigint) as highest_outcome
    from (
        select
            *,
            9 * sqrt(draw_count * advertised_odds * (1 - advertised_odds)) + 60 as outcome_margin
        from prize_stats
        where advertised_odds > 0 and advertised_odds < 1
    ) as margins

),

outcome_wins as (

    -- Every number of wins within the window, and the observed number when it falls outside the window.
    select
        prize_id,
        draw_count,
        win_count,
        advertised_odds,
        {{ explode_integer_range('lowest_outcome', 'highest_outcome') }} as outcome_wins
    from outcome_windows

    union all

    select
        prize_id,
        draw_count,
        win_count,
        advertised_odds,
        win_count as outcome_wins
    from outcome_windows
    where (win_count < lowest_outcome or win_count > highest_outcome) and win_count <= draw_count

),

outcomes as (

    -- Each counted number of wins of each prize, with its probability under the advertised odds.
    select
        prize_id,
        draw_count,
        win_count,
        outcome_wins,
        exp(
            {{ log_gamma("draw_count + 1") }}
            - {{ log_gamma("outcome_wins + 1") }}
            - {{ log_gamma("draw_count - outcome_wins + 1") }}
            + outcome_wins * ln(advertised_odds) + (draw_count - outcome_wins) * ln(1 - advertised_odds)
        ) as outcome_probability
    from outcome_wins

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

judged as (

    select
        prize_stats.*,
        binomial_tests.binomial_p_value,
        power(1 - prize_stats.advertised_odds, prize_stats.draw_count) as no_win_probability,
        coalesce(
            prize_stats.win_count = 0
            and power(1 - prize_stats.advertised_odds, prize_stats.draw_count) < significance.significance_level,
            false
        ) as is_never_won_implausible,
        coalesce(binomial_tests.binomial_p_value < significance.significance_level, false) as is_odds_implausible,
        prize_stats.draws_after_stock_out > 0 as is_out_of_stock_while_advertised,
        prize_stats.draws_outside_window * 1.0 / nullif(prize_stats.draw_count, 0) as draws_outside_window_share,
        significance.window_breach_min_share
    from prize_stats
    cross join significance
    left join binomial_tests
        on prize_stats.prize_id = binomial_tests.prize_id

),

final as (

    select
        judged.campaign_id,
        judged.prize_id,
        campaign_windows.campaign_name,
        judged.prize_name,
        campaign_windows.starts_at as campaign_starts_at,
        campaign_windows.ends_at as campaign_ends_at,
        judged.advertised_odds,
        judged.stock_quantity,
        cast(judged.draw_count as bigint) as draw_count,
        cast(judged.win_count as bigint) as win_count,
        cast(judged.win_count / nullif(judged.draw_count, 0) as double) as observed_win_rate,
        cast(judged.draw_count * judged.advertised_odds as double) as expected_win_count,
        cast(judged.binomial_p_value as double) as binomial_p_value,
        cast(judged.no_win_probability as double) as no_win_probability,
        judged.is_never_won_implausible,
        judged.is_odds_implausible,
        judged.stock_exhausted_at,
        cast(judged.draws_after_stock_out as bigint) as draws_after_stock_out,
        judged.is_out_of_stock_while_advertised,
        -- More wins than advertised is implausible too, but it short-changes no customer: it stays visible in
        -- is_odds_implausible and never makes the headline verdict.
        judged.is_never_won_implausible
        or (judged.is_odds_implausible and judged.win_count < judged.draw_count * judged.advertised_odds)
        or judged.is_out_of_stock_while_advertised
            as is_flagged_unfair,
        case
            when judged.is_never_won_implausible then 'never_won'
            when judged.is_out_of_stock_while_advertised then 'drawn_after_stock_ran_out'
            when judged.is_odds_implausible and judged.win_count < judged.draw_count * judged.advertised_odds
                then 'fewer_wins_than_advertised'
        end as unfair_reason,
        cast(judged.draws_outside_window as bigint) as campaign_draws_outside_window,
        cast(judged.draws_outside_window_share as double) as campaign_draws_outside_window_share,
        cast(judged.window_breach_min_share as double) as campaign_window_breach_min_share,
        coalesce(judged.draws_outside_window_share >= judged.window_breach_min_share, false)
            as is_campaign_window_breached
    from judged
    left join campaign_windows
        on judged.campaign_id = campaign_windows.campaign_id

)

select * from final
