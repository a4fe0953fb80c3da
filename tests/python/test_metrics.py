"""The semantic layer answers what the marts say: every headline metric, over all the data and month by month,
as MetricFlow computes it from a copy of the serving file equals the same figure computed here with SQL from the
marts of the ci warehouse; the semantic models validate against the published file; `make metrics` prints them
without taking a lock on the file BI tools read."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from tests.python import orchestration_fixtures
from tests.python.orchestration_fixtures import OrchestrationEnv, file_digest

orchestration_env = orchestration_fixtures.orchestration_env  # the shared session fixture

REPO = Path(__file__).resolve().parents[2]
HEADLINE = [
    "net_revenue",
    "orders",
    "average_order_value",
    "active_customers",
    "repeat_purchase_rate",
    "vendor_candidates",
    "wallet_liability",
    "points_breakage",
    "lead_conversion_rate",
    "dealer_sell_through_share",
    "complaints_per_million_units",
]

# Each headline figure over all the data, computed from the marts without the semantic layer's definitions.
TOTALS_SQL = {
    "net_revenue": "select sum(net_amount_after_refunds_reporting) from marts.fct_orders",
    "orders": "select count(*) from marts.fct_orders",
    "average_order_value": "select avg(net_amount_reporting) from marts.fct_orders",
    "active_customers": "select count(distinct golden_customer_id) from marts.fct_orders",
    "repeat_purchase_rate": """
        select count(*) filter (where orders >= 2) / count(*)
        from (select golden_customer_id, count(*) as orders from marts.fct_orders group by golden_customer_id)""",
    "vendor_candidates": "select count(*) from marts.rpt_vendor_potential where is_vendor_potential",
    "wallet_liability": """
        select total_liability_reporting from marts.rpt_points_expiry order by report_month desc limit 1""",
    "points_breakage": "select breakage_rate_to_date from marts.rpt_points_expiry order by report_month desc limit 1",
    "lead_conversion_rate": "select sum(leads_won) / sum(leads_won + leads_lost) from marts.rpt_lead_funnel",
    "dealer_sell_through_share": """
        select sum(revenue_amount_reporting) filter (where is_own_brand) / sum(revenue_amount_reporting)
        from marts.fct_dealer_sales""",
    "complaints_per_million_units": """
        select (select count(*) from marts.fct_after_sales_tickets) * 1000000.0
            / (select sum(quantity) from marts.fct_order_lines)""",
}

# The same figures month by month (month -> value).
MONTHLY_SQL = {
    "net_revenue": """
        select date_trunc('month', order_date), sum(net_amount_after_refunds_reporting)
        from marts.fct_orders group by 1""",
    "orders": "select date_trunc('month', order_date), count(*) from marts.fct_orders group by 1",
    "active_customers": """
        select date_trunc('month', order_date), count(distinct golden_customer_id) from marts.fct_orders group by 1""",
    "average_order_value": """
        select date_trunc('month', order_date), avg(net_amount_reporting) from marts.fct_orders group by 1""",
    # Of the customers whose first order fell in the month, the share with a second order.
    "repeat_purchase_rate": """
        select date_trunc('month', first_order_date), count(*) filter (where orders >= 2) / count(*)
        from (
            select golden_customer_id, min(order_date) as first_order_date, count(*) as orders
            from marts.fct_orders group by golden_customer_id
        ) group by 1""",
    "wallet_liability": "select report_month, total_liability_reporting from marts.rpt_points_expiry",
    "points_breakage": "select report_month, breakage_rate from marts.rpt_points_expiry",
    "lead_conversion_rate": """
        select assigned_month, sum(leads_won) / nullif(sum(leads_won + leads_lost), 0)
        from marts.rpt_lead_funnel group by 1""",
    "dealer_sell_through_share": """
        select period_month, sum(revenue_amount_reporting) filter (where is_own_brand)
            / nullif(sum(revenue_amount_reporting), 0)
        from marts.fct_dealer_sales group by 1""",
    "complaints_per_million_units": """
        with tickets as (
            select date_trunc('month', opened_at) as month, count(*) as tickets
            from marts.fct_after_sales_tickets group by 1
        ),
        units as (
            select date_trunc('month', order_date) as month, sum(quantity) as units
            from marts.fct_order_lines group by 1
        )
        select coalesce(units.month, tickets.month), 1000000.0 * tickets.tickets / nullif(units.units, 0)
        from units full outer join tickets on units.month = tickets.month""",
}


@dataclass(frozen=True)
class Published:
    serving: Path
    metrics_dir: Path
    source_warehouse: Path


@pytest.fixture(scope="module")
def published(orchestration_env: OrchestrationEnv, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:
    """The ci warehouse published (marts and the semantic layer's calendar) into a serving folder of its own."""
    from orchestration import publish, serving

    with duckdb.connect(str(orchestration_env.source_warehouse), read_only=True) as con:
        built = set(con.execute("select table_schema, table_name from information_schema.tables").fetchall())
    tables = [table for table in serving.marts_to_publish() if (table.schema, table.name) in built]
    assert ("semantic", "time_spine_daily") in {(table.schema, table.name) for table in tables}
    base = tmp_path_factory.mktemp("metrics")
    publish.publish(orchestration_env.source_warehouse, base / "serving", "run-metrics", tables)
    yield Published(base / "serving", base / "metrics", orchestration_env.source_warehouse)


def _copy(published: Published):
    from orchestration import metrics

    return metrics.copy_serving_file(
        published.serving, published.metrics_dir, metrics.semantic_catalog(metrics.semantic_manifest())
    )


def _number(value: str | None) -> float | None:
    return None if value in (None, "") else float(value)


def test_monthly_metrics_equal_the_marts(published: Published) -> None:
    from orchestration import metrics

    copy = _copy(published)
    assert copy.run_id == "run-metrics" and copy.path.parent == published.metrics_dir
    rows = metrics.query(copy, ["--saved-query", "headline_metrics_by_month"])
    assert len(rows) >= 12
    answered = {name: {row["metric_time__month"][:10]: _number(row[name]) for row in rows} for name in MONTHLY_SQL}
    with duckdb.connect(str(published.source_warehouse), read_only=True) as con:
        for name, sql in MONTHLY_SQL.items():
            expected = {
                month.strftime("%Y-%m-%d"): (None if value is None else float(value))
                for month, value in con.execute(sql).fetchall()
            }
            got = {month: value for month, value in answered[name].items() if value is not None}
            want = {month: value for month, value in expected.items() if value is not None}
            assert set(got) == set(want), f"{name}: months {sorted(set(got) ^ set(want))}"
            for month, value in want.items():
                assert got[month] == pytest.approx(value, rel=1e-9, abs=1e-4), f"{name} {month}"


def test_semantic_models_validate_against_the_serving_file(published: Published) -> None:
    """Every semantic model, dimension, entity, measure and metric resolves in the published file (a PII column
    dropped on publish, or a mart missing from it, fails here)."""
    from orchestration import metrics

    result = metrics.run_mf(["validate-configs"], _copy(published), capture=True)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    assert "ERRORS: 0" in result.stdout and "data warehouse" in result.stdout


def test_make_metrics_answers_the_headline_from_a_copy_and_it_equals_the_marts(published: Published) -> None:
    """What `make metrics` runs, while a BI reader holds the serving file open (a writer on it would fail to get
    its lock): it prints every headline metric, keeps the unrounded values as CSV, and each equals the marts."""
    serving_file = published.serving / "current.duckdb"
    before = file_digest(serving_file)
    with duckdb.connect(str(serving_file), read_only=True) as reader:
        result = subprocess.run(
            [sys.executable, "-m", "orchestration.metrics"],
            cwd=REPO,
            env={**os.environ, "SERVING_DIR": str(published.serving), "METRICS_DIR": str(published.metrics_dir)},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert reader.execute("select count(*) from marts.fct_orders").fetchone()[0] > 0
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    assert file_digest(serving_file) == before
    assert "run-metrics" in result.stdout
    for label in ["Net revenue", "Average order value", "Repeat-purchase rate", "Complaints per million units"]:
        assert label in result.stdout
    with open(published.metrics_dir / "headline_metrics.csv", newline="") as handle:
        (row,) = list(csv.DictReader(handle))
    assert set(row) == set(HEADLINE), sorted(row)
    with duckdb.connect(str(published.source_warehouse), read_only=True) as con:
        expected = {name: float(con.execute(sql).fetchone()[0]) for name, sql in TOTALS_SQL.items()}
    assert f"{expected['orders']:,.0f}" in result.stdout
    for name in HEADLINE:
        assert expected[name] > 0, f"{name}: the ci warehouse gives every headline figure a value"
        assert _number(row[name]) == pytest.approx(expected[name], rel=1e-9, abs=1e-4), name


def test_nothing_published_is_a_clear_error(tmp_path: Path) -> None:
    from orchestration import metrics

    with pytest.raises(metrics.MetricsError, match="nothing is published .* run `make run` first"):
        metrics.copy_serving_file(tmp_path / "serving", tmp_path / "metrics", "warehouse")


def test_format_value() -> None:
    from orchestration import metrics

    assert metrics.format_value("0.78152", "percent") == "78.2%"
    assert metrics.format_value("26436", "count") == "26,436"
    assert metrics.format_value("15883300.8573", "money") == "15,883,300.86"
    assert metrics.format_value("", "money") == "—"
