"""The dealer page (orchestration.dealer_report) on hand-made extract tables: figures computed as the page says,
sections only for what the agreement covers, each scorecard metric's direction explained, nothing fetched from the
network, hostile text escaped, and the same tables giving the same bytes."""

from __future__ import annotations

import datetime as dt
import re

import pyarrow as pa

from orchestration import dealer_report

AS_OF = dt.date(2026, 3, 31)
JAN, FEB = dt.date(2026, 1, 1), dt.date(2026, 2, 1)


def _sell_through() -> pa.Table:
    return pa.Table.from_pylist([
        {"dealer_id": "D1", "period_month": JAN, "product_category": "bikes", "own_units_sold": 10,
         "competitor_units_sold": 30, "own_revenue_reporting": 100.0, "total_revenue_reporting": 400.0},
        {"dealer_id": "D1", "period_month": JAN, "product_category": "helmets", "own_units_sold": 5,
         "competitor_units_sold": 5, "own_revenue_reporting": 100.0, "total_revenue_reporting": 100.0},
        {"dealer_id": "D1", "period_month": FEB, "product_category": "bikes", "own_units_sold": 7,
         "competitor_units_sold": 0, "own_revenue_reporting": 0.0, "total_revenue_reporting": 0.0},
    ])


def _lead_funnel() -> pa.Table:
    def row(month: dt.date, source: str, assigned: int, accepted: int, contacted: int, won: int, lost: int,
            amount: float) -> dict:
        return {"assigned_month": month, "dealer_id": "D1", "region": "ENG", "lead_source": source,
                "leads_assigned": assigned, "leads_accepted": accepted, "leads_contacted": contacted,
                "leads_won": won, "leads_lost": lost, "won_amount_reporting": amount}
    return pa.Table.from_pylist([row(JAN, "web_form", 10, 8, 6, 3, 1, 300.0),
                                 row(FEB, "partner", 10, 6, 4, 1, 3, 50.0)])


def _scorecard() -> pa.Table:
    def row(month: dt.date, metric: str, higher: bool, published: bool, band: str | None, reason: str | None) -> dict:
        return {"dealer_id": "D1", "period_month": month, "metric_name": metric, "is_higher_better": higher,
                "peer_group_type": "tier", "peer_group_value": "gold", "metric_value": 2.5, "metric_weight": 1.0,
                "peer_dealer_count": 6, "is_benchmark_published": published, "suppression_reason": reason,
                "peer_weighted_mean": 3.0 if published else None, "peer_percentile": 0.8 if published else None,
                "percentile_band": band}
    return pa.Table.from_pylist([row(JAN, "lead_response_hours", False, True, "third_quartile", None),
                                 row(FEB, "lead_response_hours", False, True, "top_quartile", None),
                                 row(FEB, "share_of_wallet", True, False, None, "too_few_peers")])


def _campaigns(name: str = "Spring <script>alert(1)</script> & co") -> pa.Table:
    return pa.Table.from_pylist([
        {"campaign_id": "C1", "campaign_name": name, "campaign_type": "lottery", "window_start_date": JAN,
         "measurement_status": "measured", "result_category": "no_lift", "incremental_revenue_reporting": 120.0,
         "incremental_revenue_lower_bound_reporting": -40.0, "incremental_revenue_upper_bound_reporting": 280.0,
         "return_on_investment": 0.5},
        {"campaign_id": "C2", "campaign_name": "Too new", "campaign_type": "gift", "window_start_date": FEB,
         "measurement_status": "no_full_prior_period", "result_category": "not_measured",
         "incremental_revenue_reporting": None, "incremental_revenue_lower_bound_reporting": None,
         "incremental_revenue_upper_bound_reporting": None, "return_on_investment": None},
    ])


def _all_tables() -> dict[str, pa.Table]:
    return {"sell_through": _sell_through(), "lead_funnel": _lead_funnel(), "scorecard": _scorecard(),
            "campaign_results": _campaigns()}


def _sections(html: str) -> set[str]:
    return set(re.findall(r'<section id="([a-z-]+)"', html))


def test_figures_are_computed_from_the_extract_rows() -> None:
    sell = dealer_report.sell_through_section(_sell_through().to_pylist())
    assert [(r["month"], r["own_units"], r["competitor_units"], r["own_share"]) for r in sell["rows"]] == [
        ("2026-01", 15, 35, 200.0 / 500.0),  # share of summed revenue, not a mean of category shares
        ("2026-02", 7, 0, None),  # no revenue reported: no share, never 0%
    ]
    funnel = dealer_report.lead_funnel_section(_lead_funnel().to_pylist())
    assert [(s["stage"], s["leads"]) for s in funnel["stages"]] == [
        ("assigned to you", 20), ("accepted", 14), ("contacted", 10), ("won", 4)]
    assert funnel["stages"][3]["share_of_assigned"] == 4 / 20
    assert funnel["won_over_closed"] == 4 / (4 + 4)
    assert funnel["won_amount"] == 350.0


def test_scorecard_shows_the_latest_month_with_each_direction_explained() -> None:
    guides = dealer_report.metric_guides()
    section = dealer_report.scorecard_section(_scorecard().to_pylist(), guides)
    assert section["month"] == "2026-02"
    assert [(r["metric_name"], r["direction"]) for r in section["rows"]] == [
        ("lead_response_hours", "lower is better"), ("share_of_wallet", "higher is better")]
    assert {g.metric_name for g in section["guides"]} == {"lead_response_hours", "share_of_wallet"}
    assert section["history"][0]["bands"] == ["third_quartile", "top_quartile"]
    assert section["history"][1]["bands"] == [None, "withheld"]
    html = dealer_report.render("D1", AS_OF, "A1", 2, {"scorecard": _scorecard()})
    assert guides["lead_response_hours"].explanation in html
    assert "withheld: too few peers" in html


def test_sections_follow_the_agreement() -> None:
    full = dealer_report.render("D1", AS_OF, "A1", 2, _all_tables())
    assert _sections(full) == {"sell-through", "lead-funnel", "scorecard", "campaign-results"}
    only_scorecard = dealer_report.render("D1", AS_OF, "A1", 2, {"scorecard": _scorecard()})
    assert _sections(only_scorecard) == {"scorecard"}
    assert "does not cover: sell through, lead funnel, campaign results" in only_scorecard


def test_the_page_is_self_contained_escaped_and_deterministic() -> None:
    html = dealer_report.render("D1", AS_OF, "A1", 2, _all_tables())
    assert html.count("<svg") == 3, "sell-through, lead funnel and campaign charts are inlined"
    assert "<script" not in html.replace("&lt;script", ""), "no script runs; hostile text is escaped"
    assert "Spring &lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html), "nothing loads from the network"
    assert not re.search(r"url\(\s*['\"]?(?!data:|#)", html), "no CSS reference outside the page"
    assert "<link" not in html and "@import" not in html
    assert html == dealer_report.render("D1", AS_OF, "A1", 2, _all_tables())
