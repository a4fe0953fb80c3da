"""The Superset bundle in bi/assets/: what bi/dashboards.py generates (so the YAML is reviewed, never hand-edited),
datasets that are the marts' contracts without PII, and every chart's query valid against the ci warehouse with rows
to show. The browser test (`make test-bi`) then renders them in Superset."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
import yaml

from conftest import REPO, Build

spec = importlib.util.spec_from_file_location("bi_dashboards", REPO / "bi" / "dashboards.py")
dashboards = importlib.util.module_from_spec(spec)
sys.modules["bi_dashboards"] = dashboards
spec.loader.exec_module(dashboards)

ASSETS = REPO / "bi" / "assets"
CHARTS = [yaml.safe_load(p.read_text()) for p in sorted((ASSETS / "charts").glob("*.yaml"))]
DATASET_TABLES = {d["uuid"]: d["table_name"] for d in (yaml.safe_load(p.read_text())
                                                        for p in (ASSETS / "datasets" / "serving").glob("*.yaml"))}


def test_committed_bundle_is_what_the_generator_writes(tmp_path: Path) -> None:
    out = tmp_path / "assets"
    written = {p.relative_to(out).as_posix(): p.read_text() for p in dashboards.write(out)}
    committed = {p.relative_to(ASSETS).as_posix(): p.read_text() for p in ASSETS.rglob("*.yaml")}
    assert sorted(written) == sorted(committed), "run `python bi/dashboards.py` and commit bi/assets"
    changed = [name for name in written if written[name] != committed[name]]
    assert not changed, f"bi/assets is stale in {changed}: run `python bi/dashboards.py` and commit it"


def test_one_dashboard_per_domain_and_datasets_without_pii() -> None:
    slugs = {p.stem for p in (ASSETS / "dashboards").glob("*.yaml")}
    assert slugs == {"customers", "loyalty", "channel", "service"}
    marts = dashboards.mart_columns()
    for path in (ASSETS / "datasets" / "serving").glob("*.yaml"):
        dataset = yaml.safe_load(path.read_text())
        columns = {c["column_name"]: c for c in dataset["columns"]}
        assert list(columns) == [name for name, _, _ in marts[dataset["table_name"]]["columns"]]
        assert all(c["description"] for c in columns.values()), f"{path.name}: a column without description"
    with (REPO / "models" / "marts" / "customers" / "_customers__models.yml").open() as handle:
        pii = {c["name"] for m in yaml.safe_load(handle)["models"] if m["name"] == "rpt_vendor_potential"
               for c in m["columns"] if "pii" in (c.get("tags") or [])}
    vendor = yaml.safe_load((ASSETS / "datasets" / "serving" / "rpt_vendor_potential.yaml").read_text())
    assert not pii & {c["column_name"] for c in vendor["columns"]}


def _chart_query(chart: dict, mart: str) -> str:
    params = chart["params"]
    filters = [f["sqlExpression"] for f in params.get("adhoc_filters", [])]
    where = f" where {' and '.join(f'({f})' for f in filters)}" if filters else ""
    if params.get("query_mode") == "raw":
        order = [json.loads(o) for o in params.get("order_by_cols", [])]
        order_sql = " order by " + ", ".join(f"{c} {'asc' if asc else 'desc'}" for c, asc in order) if order else ""
        return f"select {', '.join(params['all_columns'])} from marts.{mart}{where}{order_sql}"
    metrics = params.get("metrics") or [params["metric"]]
    dimensions = [*([params["x_axis"]] if params.get("x_axis") else []), *params.get("groupby", [])]
    select = ", ".join([*dimensions, *(m["sqlExpression"] for m in metrics)])
    group = f" group by {', '.join(dimensions)}" if dimensions else ""
    return f"select {select} from marts.{mart}{where}{group}"


@pytest.fixture(scope="module")
def warehouse(ci_build: Build) -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect(str(ci_build.warehouse), read_only=True) as con:
        yield con


@pytest.mark.parametrize("chart", CHARTS, ids=[c["slice_name"] for c in CHARTS])
def test_chart_query_runs_on_the_ci_warehouse_and_has_rows(warehouse: duckdb.DuckDBPyConnection, chart: dict) -> None:
    query = _chart_query(chart, DATASET_TABLES[chart["dataset_uuid"]])
    rows = warehouse.execute(query).fetchall()
    assert rows, f"{chart['slice_name']}: no rows on the ci data for `{query}`"
