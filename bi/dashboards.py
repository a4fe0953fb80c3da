"""The Superset dashboards as code: one dashboard per domain, written as Superset's import/export bundle.

`python bi/dashboards.py` writes `bi/assets/` (the unpacked bundle: metadata, the serving database, one dataset per
mart, one file per chart, one per dashboard). The YAML is deterministic: ids are UUID5s of names, keys sorted, so a
change to a chart is a readable diff. Datasets take their columns, types and descriptions from the marts' models
YAML (the contract), minus the columns tagged `pii` that the publish drops. `bi/provision.py` imports the bundle.

Every metric is a plain aggregate of a mart column or a ratio of sums, labelled with what it counts.
"""

from __future__ import annotations

import shutil
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
ASSETS = REPO / "bi" / "assets"
MODELS = REPO / "models" / "marts"
NAMESPACE = uuid.UUID("6f1d9a52-3c1e-4f7b-9a53-0b2f4c1d7e10")
DATABASE_NAME = "Relationship Warehouse (serving)"
SCHEMA = "marts"
VERSION = "1.0.0"
TEMPORAL_TYPES = ("date", "timestamp")


def stable_uuid(kind: str, name: str) -> str:
    """The same UUID for the same asset on every run (import updates it in place)."""
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{name}"))


# ------------------------------------------------------------------------------------------------- chart specs


def metric(sql: str, label: str) -> dict[str, Any]:
    """An ad-hoc SQL metric."""
    return {"expressionType": "SQL", "sqlExpression": sql, "label": label, "hasCustomLabel": True,
            "optionName": "metric_" + uuid.uuid5(NAMESPACE, label + sql).hex[:12]}


def where(sql: str) -> dict[str, Any]:
    """An ad-hoc SQL WHERE filter."""
    return {"expressionType": "SQL", "clause": "WHERE", "sqlExpression": sql,
            "filterOptionName": "filter_" + uuid.uuid5(NAMESPACE, sql).hex[:12]}


@dataclass(frozen=True)
class Chart:
    """One chart: its title, the mart it reads, its Superset viz type and form data, and its width (of 12)."""

    title: str
    mart: str
    viz_type: str
    params: dict[str, Any]
    description: str = ""
    width: int = 6
    height: int = 50


@dataclass(frozen=True)
class Dashboard:
    slug: str
    title: str
    description: str
    charts: list[Chart] = field(default_factory=list)


def big_number(title: str, mart: str, m: dict[str, Any], filters: list[dict[str, Any]] | None = None,
               description: str = "", y_format: str = "SMART_NUMBER") -> Chart:
    return Chart(title, mart, "big_number_total",
                 {"metric": m, "adhoc_filters": filters or [], "header_font_size": 0.4,
                  "subheader_font_size": 0.15, "y_axis_format": y_format}, description, width=3, height=25)


def time_series(title: str, mart: str, x: str, metrics: list[dict[str, Any]], *, viz: str = "echarts_timeseries_line",
                groupby: list[str] | None = None, filters: list[dict[str, Any]] | None = None, stack: bool = False,
                y_format: str = "SMART_NUMBER", description: str = "", width: int = 6) -> Chart:
    params: dict[str, Any] = {
        "x_axis": x, "time_grain_sqla": "P1M", "metrics": metrics, "groupby": groupby or [],
        "adhoc_filters": filters or [], "row_limit": 10000, "show_legend": True, "legendOrientation": "top",
        "legendType": "scroll", "rich_tooltip": True, "y_axis_format": y_format, "x_axis_time_format": "%Y-%m",
        "truncate_metric": True, "stack": "Stack" if stack else None, "order_desc": True,
    }
    return Chart(title, mart, viz, params, description, width=width)


def category_bar(title: str, mart: str, x: str, metrics: list[dict[str, Any]], *, groupby: list[str] | None = None,
                 filters: list[dict[str, Any]] | None = None, stack: bool = False, y_format: str = "SMART_NUMBER",
                 description: str = "", width: int = 6) -> Chart:
    params: dict[str, Any] = {
        "x_axis": x, "metrics": metrics, "groupby": groupby or [], "adhoc_filters": filters or [],
        "row_limit": 10000, "show_legend": True, "legendOrientation": "top", "legendType": "scroll",
        "rich_tooltip": True, "y_axis_format": y_format, "stack": "Stack" if stack else None,
        "x_axis_sort_asc": True, "truncate_metric": True, "orientation": "vertical", "order_desc": True,
    }
    return Chart(title, mart, "echarts_timeseries_bar", params, description, width=width)


def pie(title: str, mart: str, groupby: str, m: dict[str, Any], description: str = "") -> Chart:
    params = {"groupby": [groupby], "metric": m, "adhoc_filters": [], "row_limit": 100, "sort_by_metric": True,
              "show_legend": True, "legendOrientation": "right", "legendType": "scroll", "label_type": "key_percent",
              "number_format": "SMART_NUMBER", "show_labels": True, "labels_outside": True, "outerRadius": 70,
              "innerRadius": 30, "donut": True}
    return Chart(title, mart, "pie", params, description)


def raw_table(title: str, mart: str, columns: list[str], *, order_by: list[tuple[str, bool]] | None = None,
              filters: list[dict[str, Any]] | None = None, limit: int = 100, description: str = "",
              width: int = 12) -> Chart:
    params = {"query_mode": "raw", "all_columns": columns, "adhoc_filters": filters or [],
              "order_by_cols": [f'["{c}", {str(asc).lower()}]' for c, asc in (order_by or [])],
              "row_limit": limit, "server_pagination": False, "table_timestamp_format": "%Y-%m-%d",
              "include_search": True, "show_cell_bars": False, "allow_rearrange_columns": False}
    return Chart(title, mart, "table", params, description, width=width, height=60)


def aggregate_table(title: str, mart: str, groupby: list[str], metrics: list[dict[str, Any]], *,
                    filters: list[dict[str, Any]] | None = None, limit: int = 1000, description: str = "",
                    width: int = 12) -> Chart:
    params = {"query_mode": "aggregate", "groupby": groupby, "metrics": metrics, "adhoc_filters": filters or [],
              "row_limit": limit, "server_pagination": False, "order_desc": True, "include_search": True,
              "show_cell_bars": False, "table_timestamp_format": "%Y-%m-%d", "percent_metrics": []}
    return Chart(title, mart, "table", params, description, width=width, height=60)


def count(label: str) -> dict[str, Any]:
    return metric("count(*)", label)


def total(column: str, label: str) -> dict[str, Any]:
    return metric(f"sum({column})", label)


def ratio(numerator: str, denominator: str, label: str) -> dict[str, Any]:
    return metric(f"sum({numerator}) * 1.0 / nullif(sum({denominator}), 0)", label)


LATEST_SCORECARD_MONTH = "period_month = (select max(period_month) from marts.rpt_dealer_scorecard)"

DASHBOARDS: list[Dashboard] = [
    Dashboard("customers", "Customers", "Segments, acquisition cohorts, vendor candidates with their reasons, "
              "referral advocates and relationships left untended.", [
        big_number("Customers", "rpt_customer_segments", count("customers")),
        big_number("Vendor candidates", "rpt_vendor_potential", count("customers flagged"),
                   [where("is_vendor_potential")]),
        big_number("Customers whose last purchase went untended", "rpt_relationship_health",
                   count("customers"), [where("is_last_purchase_untended")]),
        big_number("Churned customers", "rpt_relationship_health", count("customers"), [where("is_churned")]),
        pie("Customers by RFM segment", "rpt_customer_segments", "rfm_segment", count("customers")),
        pie("Customers by behavioural segment", "rpt_customer_segments", "behavioural_segment", count("customers")),
        time_series("New customers per month by acquisition channel", "rpt_acquisition_cohorts", "cohort_month",
                    [total("customers_in_cohort", "new customers")], viz="echarts_timeseries_bar",
                    groupby=["acquisition_channel"], filters=[where("months_since_first_order = 0")], stack=True,
                    description="Customers whose first order fell in the month, by the channel that acquired them."),
        category_bar("Retention by months since the first order", "rpt_acquisition_cohorts",
                     "months_since_first_order", [ratio("active_customers", "customers_in_cohort",
                                                        "share of cohort customers active")],
                     filters=[where("months_since_first_order between 1 and 12")], y_format=".0%",
                     description="Active customers over cohort customers, summed over every cohort observed that "
                     "many months after its first order."),
        raw_table("Vendor candidates and their reasons", "rpt_vendor_potential",
                  ["golden_customer_id", "customer_type", "country_code", "region", "vendor_potential_score",
                   "score_to_flag", "reasons"],
                  order_by=[("vendor_potential_score", False), ("golden_customer_id", True)],
                  filters=[where("is_vendor_potential")]),
        raw_table("Referral advocates by revenue their referrals brought", "rpt_referral_advocates",
                  ["advocate_golden_customer_id", "referrals_made", "referrals_per_quarter",
                   "referred_customers_known", "referred_customers_who_bought",
                   "referred_net_amount_after_refunds_reporting", "chain_depth", "self_referrals",
                   "duplicate_contact_links"],
                  order_by=[("referred_net_amount_after_refunds_reporting", False),
                            ("advocate_golden_customer_id", True)], limit=50),
        raw_table("Untended relationships: churn of untended vs tended customers", "rpt_relationship_health_by_segment",
                  ["segmentation", "customer_segment", "customers", "untended_customers", "untended_churn_rate",
                   "tended_customers", "tended_churn_rate", "churn_rate_difference", "do_untended_churn_more",
                   "touchpoint_cost_reporting"],
                  order_by=[("segmentation", True), ("customer_segment", True)]),
    ]),
    Dashboard("loyalty", "Loyalty", "Wallet and points liability, breakage, lottery fairness and campaign "
              "leaderboards.", [
        big_number("Liability at the latest month-end (reporting currency)", "rpt_points_expiry",
                   total("total_liability_reporting", "paid + bonus + points at coupon value"),
                   [where("report_month = (select max(report_month) from marts.rpt_points_expiry)")]),
        big_number("Points breakage to date (latest month)", "rpt_points_expiry",
                   metric("max(breakage_rate_to_date)", "expired over issued, to date"),
                   [where("report_month = (select max(report_month) from marts.rpt_points_expiry)")], y_format=".1%"),
        big_number("Lottery prizes flagged unfair", "rpt_lottery_fairness", count("prizes"),
                   [where("is_flagged_unfair")]),
        big_number("Lottery prizes checked", "rpt_lottery_fairness", count("prizes")),
        time_series("Wallet and points liability by month (reporting currency)", "rpt_points_expiry",
                    "report_month", [total("paid_liability_reporting", "paid wallet money"),
                                     total("bonus_liability_reporting", "bonus wallet money"),
                                     total("points_liability_reporting", "points at coupon value")], stack=True,
                    viz="echarts_area"),
        time_series("Points issued, redeemed, expired and taken back by month", "rpt_points_expiry", "report_month",
                    [total("points_issued", "issued"), total("points_redeemed", "redeemed"),
                     total("points_expired", "expired"), total("points_taken_back", "taken back")],
                    viz="echarts_timeseries_bar"),
        time_series("Breakage rate by month", "rpt_points_expiry", "report_month",
                    [metric("max(breakage_rate)", "breakage in the month"),
                     metric("max(breakage_rate_to_date)", "breakage to date")], y_format=".1%"),
        raw_table("Lottery fairness: advertised vs observed odds per prize", "rpt_lottery_fairness",
                  ["campaign_name", "prize_name", "advertised_odds", "draw_count", "win_count", "observed_win_rate",
                   "binomial_p_value", "draws_after_stock_out", "is_flagged_unfair", "unfair_reason",
                   "is_campaign_window_breached"],
                  order_by=[("campaign_name", True), ("prize_name", True)]),
        raw_table("Campaign leaderboards: the top three of each gift or contest campaign", "rpt_campaign_leaderboards",
                  ["campaign_name", "campaign_type", "spend_rank", "golden_customer_id", "qualifying_spend_reporting",
                   "prize_name", "prize_value_reporting"],
                  order_by=[("campaign_name", True), ("spend_rank", True)], filters=[where("spend_rank <= 3")],
                  limit=300),
        aggregate_table("Gift and contest campaigns: incremental spend per cost", "rpt_campaign_leaderboards",
                        ["campaign_name", "campaign_type"],
                        [metric("max(campaign_participant_count)", "participants"),
                         metric("max(campaign_incremental_spend_reporting)", "incremental spend"),
                         metric("max(campaign_total_cost_reporting)", "total cost"),
                         metric("max(incremental_spend_per_cost)", "incremental spend per cost")],
                        description="Campaign-level columns, the same on every participant's row."),
    ]),
    Dashboard("channel", "Channel", "Sell-through of our brands vs competitors', the lead funnel, the dealer "
              "scorecard and campaign results with their intervals.", [
        time_series("Units sold by dealers: ours vs competitors'", "rpt_dealer_sell_through", "period_month",
                    [total("own_units_sold", "our units"), total("competitor_units_sold", "competitors' units")],
                    viz="echarts_timeseries_bar", stack=True),
        time_series("Our share of dealers' sell-through revenue", "rpt_dealer_sell_through", "period_month",
                    [ratio("own_revenue_reporting", "total_revenue_reporting", "our revenue share")],
                    y_format=".0%", description="Our brands' reported revenue over all reported revenue, every "
                    "dealer and category summed."),
        time_series("Lead funnel by month of assignment", "rpt_lead_funnel", "assigned_month",
                    [total("leads_assigned", "assigned"), total("leads_accepted", "accepted"),
                     total("leads_contacted", "contacted"), total("leads_won", "won")],
                    viz="echarts_timeseries_bar"),
        aggregate_table("Lead funnel by source", "rpt_lead_funnel", ["lead_source"],
                        [total("leads_assigned", "assigned"), total("leads_accepted", "accepted"),
                         total("leads_contacted", "contacted"), total("leads_won", "won"),
                         total("leads_lost", "lost"), ratio("leads_won", "leads_won + leads_lost",
                                                            "won over closed"),
                         total("won_amount_reporting", "revenue won")], width=6),
        aggregate_table("Dealer scorecard: dealers per percentile band, latest month", "rpt_dealer_scorecard",
                        ["metric_name", "is_higher_better", "peer_group_type", "percentile_band"],
                        [metric("count(distinct dealer_id)", "dealers")],
                        filters=[where(LATEST_SCORECARD_MONTH), where("is_benchmark_published")], width=6,
                        description="Bands are in each metric's better direction (is_higher_better)."),
        raw_table("Campaign results with their 95% intervals", "rpt_campaign_results",
                  ["campaign_name", "campaign_type", "measurement_method", "measurement_status",
                   "reach_customer_count", "cost_amount_reporting", "incremental_revenue_reporting",
                   "incremental_revenue_lower_bound_reporting", "incremental_revenue_upper_bound_reporting",
                   "return_on_investment", "return_on_investment_lower_bound", "return_on_investment_upper_bound",
                   "result_category"],
                  order_by=[("window_start_date", True), ("campaign_id", True)]),
    ]),
    Dashboard("service", "Service", "Complaints by type and manufacturer, rates per million units and retention "
              "after a complaint.", [
        big_number("Tickets", "fct_after_sales_tickets", count("tickets")),
        big_number("Escalated tickets", "fct_after_sales_tickets", count("tickets"), [where("is_escalated")]),
        category_bar("Complaints by type", "fct_after_sales_tickets", "complaint_type", [count("tickets")],
                     groupby=["severity"], stack=True),
        category_bar("Complaints by manufacturer and type", "fct_after_sales_tickets", "manufacturer",
                     [count("tickets")], groupby=["complaint_type"], stack=True),
        raw_table("Complaint rates per million units shipped, by manufacturer", "rpt_after_sales_quality",
                  ["breakdown_value", "complaint_type", "is_quality_defect", "units_shipped", "ticket_count",
                   "tickets_per_million_units", "resolved_ticket_count", "open_ticket_count", "mean_hours_to_close",
                   "compensation_amount_reporting"],
                  order_by=[("tickets_per_million_units", False), ("breakdown_value", True)],
                  filters=[where("breakdown_type = 'manufacturer'")]),
        raw_table("Retention after a complaint, by outcome", "rpt_complaint_retention",
                  ["resolution_outcome", "complaint_type", "observed_ticket_count", "customer_count",
                   "retained_customer_count", "retention_rate", "followup_net_revenue_per_ticket_reporting"],
                  order_by=[("resolution_outcome", True), ("complaint_type", True)]),
    ]),
]


# ----------------------------------------------------------------------------------------------- the bundle


def mart_columns(models_dir: Path = MODELS) -> dict[str, dict[str, Any]]:
    """Mart name -> {'description': ..., 'columns': [(name, data_type, description)]}, PII columns left out."""
    marts: dict[str, dict[str, Any]] = {}
    for path in sorted(models_dir.rglob("_*__models.yml")):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models", []) or []:
            columns = []
            for column in model.get("columns", []) or []:
                if "pii" in (column.get("tags") or []) or (column.get("meta") or {}).get("pii"):
                    continue
                columns.append((column["name"], str(column.get("data_type", "varchar")),
                                " ".join(str(column.get("description", "")).split())))
            marts[model["name"]] = {"description": " ".join(str(model.get("description", "")).split()),
                                    "columns": columns}
    return marts


def database_yaml() -> dict[str, Any]:
    # The path is set to the absolute serving file at import time (bi/provision.py).
    return {"database_name": DATABASE_NAME, "sqlalchemy_uri": "duckdb:///data/serving/current.duckdb?access_mode=read_only",
            "expose_in_sqllab": True, "allow_ctas": False, "allow_cvas": False, "allow_dml": False,
            "allow_run_async": False, "allow_file_upload": False, "cache_timeout": None,
            "extra": {"allows_virtual_table_explore": True, "metadata_params": {},
                      "engine_params": {}, "schemas_allowed_for_file_upload": []},
            "uuid": stable_uuid("database", DATABASE_NAME), "version": VERSION}


def dataset_yaml(mart: str, info: dict[str, Any]) -> dict[str, Any]:
    columns = [{"column_name": name, "verbose_name": None, "description": text or None,
                "type": data_type.upper(), "is_dttm": data_type.lower().startswith(TEMPORAL_TYPES),
                "groupby": True, "filterable": True, "is_active": True, "expression": None,
                "python_date_format": None, "advanced_data_type": None, "extra": None}
               for name, data_type, text in info["columns"]]
    temporal = [c["column_name"] for c in columns if c["is_dttm"]]
    return {"table_name": mart, "schema": SCHEMA, "catalog": None, "description": info["description"] or None,
            "main_dttm_col": temporal[0] if temporal else None, "default_endpoint": None, "offset": 0,
            "cache_timeout": None, "sql": None, "params": None, "template_params": None, "filter_select_enabled": True,
            "fetch_values_predicate": None, "extra": None, "normalize_columns": False, "always_filter_main_dttm": False,
            "uuid": stable_uuid("dataset", mart), "metrics": [
                {"metric_name": "count", "verbose_name": "rows", "metric_type": "count", "expression": "count(*)",
                 "description": "Rows of the mart", "d3format": None, "currency": None, "extra": None,
                 "warning_text": None}],
            "columns": columns, "version": VERSION, "database_uuid": stable_uuid("database", DATABASE_NAME)}


def chart_yaml(chart: Chart) -> dict[str, Any]:
    params = {"viz_type": chart.viz_type, "datasource": f"{chart.mart}__table", **chart.params}
    return {"slice_name": chart.title, "description": chart.description or None, "viz_type": chart.viz_type,
            "params": params, "query_context": None, "cache_timeout": None, "certified_by": None,
            "certification_details": None, "uuid": stable_uuid("chart", chart.title),
            "dataset_uuid": stable_uuid("dataset", chart.mart), "version": VERSION}


def dashboard_yaml(dashboard: Dashboard) -> dict[str, Any]:
    position: dict[str, Any] = {
        "DASHBOARD_VERSION_KEY": "v2",
        "ROOT_ID": {"id": "ROOT_ID", "type": "ROOT", "children": ["GRID_ID"]},
        "GRID_ID": {"id": "GRID_ID", "type": "GRID", "children": [], "parents": ["ROOT_ID"]},
        "HEADER_ID": {"id": "HEADER_ID", "type": "HEADER", "meta": {"text": dashboard.title}},
    }
    rows: list[list[tuple[int, Chart]]] = []  # a row holds charts of one height, 12 columns at most
    for index, chart in enumerate(dashboard.charts, start=1):
        row = rows[-1] if rows else []
        if not row or sum(c.width for _, c in row) + chart.width > 12 or row[0][1].height != chart.height:
            rows.append([])
        rows[-1].append((index, chart))
    for row_number, row in enumerate(rows, start=1):
        row_id = f"ROW-{dashboard.slug}-{row_number}"
        position["GRID_ID"]["children"].append(row_id)
        position[row_id] = {"id": row_id, "type": "ROW", "children": [], "parents": ["ROOT_ID", "GRID_ID"],
                            "meta": {"background": "BACKGROUND_TRANSPARENT"}}
        for index, chart in row:
            chart_id = f"CHART-{dashboard.slug}-{index}"
            position[row_id]["children"].append(chart_id)
            position[chart_id] = {"id": chart_id, "type": "CHART", "children": [],
                                  "parents": ["ROOT_ID", "GRID_ID", row_id],
                                  "meta": {"chartId": index, "uuid": stable_uuid("chart", chart.title),
                                           "sliceName": chart.title, "width": chart.width, "height": chart.height}}
    return {"dashboard_title": dashboard.title, "description": dashboard.description, "slug": dashboard.slug,
            "css": "", "certified_by": "", "certification_details": "", "published": True,
            "uuid": stable_uuid("dashboard", dashboard.slug), "position": position,
            "metadata": {"color_scheme": "supersetColors", "refresh_frequency": 0, "expanded_slices": {},
                         "label_colors": {}, "timed_refresh_immune_slices": [], "cross_filters_enabled": False,
                         "native_filter_configuration": [], "shared_label_colors": [], "default_filters": "{}",
                         "chart_configuration": {}, "global_chart_configuration": {}},
            "version": VERSION}


def bundle(dashboards: list[Dashboard] = DASHBOARDS) -> dict[str, dict[str, Any]]:
    """Relative path -> YAML document of the whole bundle."""
    marts = mart_columns()
    files: dict[str, dict[str, Any]] = {
        "metadata.yaml": {"version": VERSION, "type": "Dashboard", "timestamp": "2026-01-01T00:00:00+00:00"},
        "databases/serving.yaml": database_yaml(),
    }
    titles: set[str] = set()
    for dashboard in dashboards:
        files[f"dashboards/{dashboard.slug}.yaml"] = dashboard_yaml(dashboard)
        for chart in dashboard.charts:
            if chart.mart not in marts:
                raise LookupError(f"chart {chart.title!r} reads {chart.mart}, which is not a mart in {MODELS}")
            if chart.title in titles:
                raise ValueError(f"two charts are titled {chart.title!r}; titles name the chart files")
            titles.add(chart.title)
            files[f"datasets/serving/{chart.mart}.yaml"] = dataset_yaml(chart.mart, marts[chart.mart])
            files[f"charts/{file_name(chart.title)}.yaml"] = chart_yaml(chart)
    return dict(sorted(files.items()))


def file_name(title: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in title.lower()).strip("_").replace("__", "_")


def render(document: dict[str, Any]) -> str:
    return yaml.safe_dump(document, sort_keys=True, allow_unicode=True, width=120)


def write(out: Path = ASSETS) -> list[Path]:
    """Replace `out` with the bundle; returns the files written."""
    if out.exists():
        shutil.rmtree(out)
    written = []
    for relative, document in bundle().items():
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(document), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    paths = write()
    print(f"wrote {len(paths)} files into {ASSETS.relative_to(REPO)}", file=sys.stderr)
