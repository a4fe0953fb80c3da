"""`report.html`: one self-contained page per dealer extract, drawn from that extract's own tables only.

The page shows what the dealer's agreement covers and nothing else: its sell-through of our brands against
competitors' month by month, its lead funnel, its scorecard bands (each metric with the direction that is better,
from the `scorecard_metrics` seed) and the campaign results with their 95% intervals. Charts are SVG drawn by
matplotlib and written into the page, text kept as text; the page loads nothing from the network and runs no
script. Output is deterministic for the same tables (no timestamps, fixed SVG ids).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2
import markupsafe
import matplotlib
import matplotlib.ticker
import pyarrow as pa
from matplotlib.figure import Figure

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = Path(__file__).with_name("dealer_report.html.j2")
METRICS_SEED = REPO / "seeds" / "scorecard_metrics.csv"
BANDS = ("top_quartile", "second_quartile", "third_quartile", "bottom_quartile")
SVG_STYLE = {"svg.fonttype": "none", "svg.hashsalt": "dealer-report", "text.parse_math": False,
             "font.family": "sans-serif", "font.size": 9, "axes.spines.top": False, "axes.spines.right": False}
OURS, THEIRS = "#1f6fb2", "#b8b8b8"
HISTORY_MONTHS = 6


@dataclass(frozen=True)
class MetricGuide:
    metric_name: str
    is_higher_better: bool
    explanation: str

    @property
    def direction(self) -> str:
        return "higher is better" if self.is_higher_better else "lower is better"


def metric_guides(seed: Path = METRICS_SEED) -> dict[str, MetricGuide]:
    """Scorecard metric -> which way is better and what it measures, in the dealer's words."""
    with seed.open(newline="", encoding="utf-8") as handle:
        return {row["metric_name"]: MetricGuide(row["metric_name"], row["is_higher_better"].strip().lower() == "true",
                                                row["dealer_description"]) for row in csv.DictReader(handle)}


def _number(value: Any) -> float | None:
    if value is None:
        return None
    return float(value) if isinstance(value, Decimal | int | float) else None


def _month(value: Any) -> str:
    return value.strftime("%Y-%m") if isinstance(value, dt.date) else str(value)


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    return text[text.index("<svg"):]  # drop the XML prologue and DOCTYPE: the SVG sits inside HTML


def _figure(width: float = 8.0, height: float = 3.0, **adjust: float) -> Figure:
    figure = Figure(figsize=(width, height), dpi=96)
    figure.subplots_adjust(**{"left": 0.09, "right": 0.98, "top": 0.95, "bottom": 0.2, **adjust})
    return figure


def sell_through_section(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Monthly units and revenue share of our brands in the dealer's reported sell-through."""
    months: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in rows:
        month = months[_month(row["period_month"])]
        for column in ("own_units_sold", "competitor_units_sold", "own_revenue_reporting",
                       "total_revenue_reporting"):
            month[column] += _number(row[column]) or 0.0
    labels = sorted(months)
    table = [{"month": m, "own_units": int(months[m]["own_units_sold"]),
              "competitor_units": int(months[m]["competitor_units_sold"]),
              "own_share": (months[m]["own_revenue_reporting"] / months[m]["total_revenue_reporting"]
                            if months[m]["total_revenue_reporting"] else None)} for m in labels]
    chart = ""
    if labels:
        with matplotlib.rc_context(SVG_STYLE):
            figure = _figure(8, 4.6, bottom=0.14, hspace=0.1)
            units, share = figure.subplots(2, 1, sharex=True, height_ratios=(3, 2))
            positions = range(len(labels))
            own = [r["own_units"] for r in table]
            units.bar(positions, own, color=OURS, label="our brands")
            units.bar(positions, [r["competitor_units"] for r in table], bottom=own, color=THEIRS,
                      label="competitors' brands")
            units.set_ylabel("units sold")
            units.legend(loc="upper left", frameon=False, ncols=2)
            share.plot(positions, [r["own_share"] if r["own_share"] is not None else float("nan") for r in table],
                       color=OURS, marker="o", markersize=3)
            share.set_ylim(0, 1)
            share.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
            share.set_ylabel("our share of revenue")
            step = max(1, len(labels) // 12)
            share.set_xticks(list(positions)[::step], labels[::step], rotation=45, ha="right")
            chart = _svg(figure)
    return {"chart": chart, "rows": table[-12:]}


FUNNEL_STAGES = (("leads_assigned", "assigned to you"), ("leads_accepted", "accepted"),
                 ("leads_contacted", "contacted"), ("leads_won", "won"))


def lead_funnel_section(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The funnel over every month of the extract, and month by month."""
    totals: dict[str, float] = defaultdict(float)
    months: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in rows:
        for column in (*(c for c, _ in FUNNEL_STAGES), "leads_lost", "won_amount_reporting"):
            value = _number(row[column]) or 0.0
            totals[column] += value
            months[_month(row["assigned_month"])][column] += value
    closed = totals["leads_won"] + totals["leads_lost"]
    stages = [{"stage": label, "leads": int(totals[column]),
               "share_of_assigned": totals[column] / totals["leads_assigned"] if totals["leads_assigned"] else None}
              for column, label in FUNNEL_STAGES]
    chart = ""
    labels = sorted(months)
    if labels:
        with matplotlib.rc_context(SVG_STYLE):
            figure = _figure(8, 3.2, left=0.15, wspace=0.3)
            funnel, monthly = figure.subplots(1, 2, width_ratios=(2, 3))
            names = [s["stage"] for s in stages][::-1]
            funnel.barh(names, [s["leads"] for s in stages][::-1], color=OURS)
            for y, stage in enumerate(stages[::-1]):
                funnel.annotate(f"{stage['leads']:,}", (stage["leads"], y), xytext=(3, 0),
                                textcoords="offset points", va="center")
            funnel.set_xlabel("leads, all months")
            for column, label in FUNNEL_STAGES:
                monthly.plot(range(len(labels)), [months[m][column] for m in labels], marker="o", markersize=2,
                             linewidth=1.2, label=label)
            step = max(1, len(labels) // 8)
            monthly.set_xticks(list(range(len(labels)))[::step], labels[::step], rotation=45, ha="right")
            monthly.set_ylabel("leads, by month assigned")
            monthly.set_ylim(bottom=0)
            monthly.legend(frameon=False, fontsize=7)
            chart = _svg(figure)
    return {"chart": chart, "stages": stages, "won_over_closed": totals["leads_won"] / closed if closed else None,
            "won_amount": totals["won_amount_reporting"], "months": len(labels)}


def scorecard_section(rows: list[dict[str, Any]], guides: Mapping[str, MetricGuide]) -> dict[str, Any]:
    """The latest month's bands, with each metric's better direction and what it measures, and the bands of the
    last months."""
    if not rows:
        return {"rows": [], "month": None, "guides": [], "history_months": [], "history": []}
    latest = max(row["period_month"] for row in rows)
    table = []
    for row in sorted((r for r in rows if r["period_month"] == latest),
                      key=lambda r: (r["metric_name"], r["peer_group_type"])):
        guide = guides.get(row["metric_name"])
        higher = bool(row["is_higher_better"])
        table.append({**row, "direction": "higher is better" if higher else "lower is better",
                      "explanation": guide.explanation if guide else ""})
    months = sorted({row["period_month"] for row in rows})[-HISTORY_MONTHS:]
    bands: dict[tuple[str, str], dict[dt.date, str]] = defaultdict(dict)
    for row in rows:
        if row["period_month"] in months:
            band = row["percentile_band"] if row["is_benchmark_published"] else "withheld"
            bands[(row["metric_name"], row["peer_group_type"])][row["period_month"]] = band or "withheld"
    history = [{"metric_name": metric, "peer_group_type": group,
                "bands": [bands[(metric, group)].get(month) for month in months]} for metric, group in sorted(bands)]
    used = sorted({r["metric_name"] for r in rows})
    return {"rows": table, "month": _month(latest), "guides": [guides[m] for m in used if m in guides],
            "history_months": [_month(m) for m in months], "history": history}


_CAMPAIGN_CHARTS: dict[str, dict[str, Any]] = {}


def campaign_section(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Every campaign's estimated incremental revenue with its 95% interval (measured campaigns in the chart).
    Every dealer entitled to campaign results receives the same rows, so the section is drawn once per content."""
    key = hashlib.sha256(repr(rows).encode()).hexdigest()
    if key not in _CAMPAIGN_CHARTS:
        if len(_CAMPAIGN_CHARTS) > 8:
            _CAMPAIGN_CHARTS.clear()
        _CAMPAIGN_CHARTS[key] = _campaign_section(rows)
    return _CAMPAIGN_CHARTS[key]


def _campaign_section(rows: list[dict[str, Any]]) -> dict[str, Any]:
    table = sorted(rows, key=lambda r: (r["window_start_date"] or dt.date.min, r["campaign_id"]))
    measured = [r for r in table if r["incremental_revenue_reporting"] is not None
                and r["incremental_revenue_lower_bound_reporting"] is not None
                and r["incremental_revenue_upper_bound_reporting"] is not None]
    chart = ""
    if measured:
        with matplotlib.rc_context(SVG_STYLE):
            height = 0.26 * len(measured) + 0.9
            figure = _figure(8, height, left=0.36, top=1 - 0.2 / height, bottom=0.6 / height)
            axis = figure.subplots()
            ys = list(range(len(measured)))[::-1]
            centre = [float(r["incremental_revenue_reporting"]) for r in measured]
            low = [c - float(r["incremental_revenue_lower_bound_reporting"]) for c, r in zip(centre, measured,
                                                                                          strict=True)]
            high = [float(r["incremental_revenue_upper_bound_reporting"]) - c for c, r in zip(centre, measured,
                                                                                           strict=True)]
            axis.errorbar(centre, ys, xerr=[low, high], fmt="o", color=OURS, ecolor="#7aa7d1", capsize=2,
                          markersize=3)
            axis.axvline(0, color="#444", linewidth=0.8)
            axis.set_yticks(ys, [str(r["campaign_name"])[:48] for r in measured], fontsize=7)
            axis.set_xlabel("incremental revenue, reporting currency (point estimate and 95% interval)")
            chart = _svg(figure)
    return {"chart": chart, "rows": table}


def render(dealer_id: str, as_of: dt.date, agreement_id: str, agreement_version: int,
           tables: Mapping[str, pa.Table], guides: Mapping[str, MetricGuide] | None = None) -> str:
    """The page's HTML for one dealer's extract (`tables`: dataset name -> the rows written for the dealer)."""
    guides = metric_guides() if guides is None else guides
    rows = {name: table.to_pylist() for name, table in tables.items()}
    sections: dict[str, Any] = {}
    if "sell_through" in rows:
        sections["sell_through"] = sell_through_section(rows["sell_through"])
    if "lead_funnel" in rows:
        sections["lead_funnel"] = lead_funnel_section(rows["lead_funnel"])
    if "scorecard" in rows:
        sections["scorecard"] = scorecard_section(rows["scorecard"], guides)
    if "campaign_results" in rows:
        sections["campaign_results"] = campaign_section(rows["campaign_results"])
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
                                     lstrip_blocks=True)
    environment.filters["pct"] = lambda v: "—" if v is None else f"{float(v):.1%}"
    environment.filters["num"] = lambda v, d=0: "—" if v is None else f"{float(v):,.{d}f}"
    template = environment.from_string(TEMPLATE.read_text(encoding="utf-8"))
    return template.render(dealer_id=dealer_id, as_of=as_of.isoformat(), agreement_id=agreement_id,
                           agreement_version=agreement_version, s=sections,
                           not_covered=[name for name in ("sell_through", "lead_funnel", "scorecard",
                                                          "campaign_results") if name not in sections],
                           svg=markupsafe.Markup)


def write_report(path: Path, dealer_id: str, as_of: dt.date, agreement_id: str, agreement_version: int,
                 tables: Mapping[str, pa.Table]) -> Path:
    """Write the dealer's page to `path`."""
    path.write_text(render(dealer_id, as_of, agreement_id, agreement_version, tables), encoding="utf-8")
    return path
