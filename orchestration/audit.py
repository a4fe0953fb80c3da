"""Audit of write-audit-publish: the Great Expectations checks of every mart, each a blocking asset check on the
mart it validates, and `warehouse_built`, the write step the publish waits on.

What checks what:

- **dbt** (its tests are asset checks of their models through dagster-dbt, run inside `dbt build`): every rule about
  one build's rows — not-null, unique keys, accepted values, relationships, value ranges (`accepted_range`),
  reconciliations (tests/singular/) and unit tests. A failing dbt test fails the build step, so nothing downstream
  of it runs.
- **Great Expectations** (orchestration.gx_checks): what dbt cannot express well, comparisons with what came
  before — each mart's rows against the published serving file (`mart_metrics`), and the suites a model names in
  its `meta.gx_suites` (`rpt_daily_order_value`: each order day's average order value against the 28 previous
  order days). The raw landing's suite runs in orchestration.raw.

Each mart's check `gx_<mart>` targets the mart's own asset (the key dagster-dbt's translator gives it) and is
blocking. `warehouse_built` depends on every mart, so Dagster runs it only after all of those checks passed, and
`serving_warehouse` (the publish) depends on `warehouse_built`: a failed check publishes nothing.
"""

import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckKey,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    MaterializeResult,
    MetadataValue,
    asset,
    multi_asset_check,
)

from orchestration import extracts, gx_checks, landing, publish, settings
from orchestration.dbt_assets import dbt_project, load_manifest, mart_nodes, semantic_layer_nodes, translator

# Failing rows listed per suite in a check's description (the Data Docs hold every one).
FAILED_ROWS_SHOWN = 10


def mart_tests(node: Mapping[str, Any], manifest: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The dbt data tests attached to a model."""
    return [
        test
        for test in manifest["nodes"].values()
        if test["resource_type"] == "test" and test.get("attached_node") == node["unique_id"]
    ]


def key_columns(node: Mapping[str, Any], manifest: Mapping[str, Any]) -> list[str]:
    """The mart's primary key, from its dbt tests (unique_combination, else unique) or a primary_key constraint."""
    tests = mart_tests(node, manifest)
    for test in tests:
        meta = test.get("test_metadata") or {}
        if meta.get("name") == "unique_combination":
            kwargs = meta.get("kwargs", {})
            columns = kwargs.get("columns") or kwargs.get("arguments", {}).get("columns")
            if columns:
                return list(columns)
    for test in tests:
        if (test.get("test_metadata") or {}).get("name") == "unique" and test.get("column_name"):
            return [test["column_name"]]
    for constraint in node.get("constraints", []):
        if constraint.get("type") == "primary_key":
            return list(constraint.get("columns", []))
    return []


def mart_key(node: Mapping[str, Any]) -> AssetKey:
    """The Dagster asset key dagster-dbt gives the mart (through the project's translator)."""
    return translator.get_asset_spec(load_manifest(), node["unique_id"], dbt_project).key


def mart_domain(node: Mapping[str, Any]) -> str:
    """The domain of a mart: its folder under models/marts/."""
    return node["fqn"][-2] if len(node["fqn"]) >= 3 else ""


def model_suites(node: Mapping[str, Any]) -> list[str]:
    """The GX suites a model asks for in its YAML (`meta.gx_suites`), run on its rows."""
    meta = {**node.get("config", {}).get("meta", {}), **node.get("meta", {})}
    suites = meta.get("gx_suites") or []
    return [suites] if isinstance(suites, str) else list(suites)


def _row_label(frame: pd.DataFrame, index: Any, keys: list[str]) -> str:
    present = [key for key in keys if key in frame.columns]
    return ", ".join(f"{key}={frame.at[index, key]}" for key in present) or f"row {index}"


def audit_marts(
    warehouse: Any, marts: list[dict[str, Any]], manifest: Mapping[str, Any], published: Mapping[str, int]
) -> dict[str, dict[str, Any]]:
    """Run the GX suites of `marts` against the warehouse (read-only): per mart, its failures and figures."""
    outcome: dict[str, dict[str, Any]] = {}
    metrics: list[pd.DataFrame] = []
    domains = landing.active_domains(landing.recorded_table_rows(Path(warehouse)))
    fixed = gx_checks.fixed_suites()
    with gx_checks.ContextLock(), duckdb.connect(str(warehouse), read_only=True) as con:
        context = gx_checks.get_context()
        gx_checks.ensure_suite(context, gx_checks.MART_METRICS_SUITE, fixed[gx_checks.MART_METRICS_SUITE])
        for node in marts:
            started = time.perf_counter()
            schema = node.get("schema") or "marts"
            suites = model_suites(node)
            result: dict[str, Any] = {
                "failures": [],
                "suites": [gx_checks.MART_METRICS_SUITE, *suites],
                "rows_validated": 0,
                "sampled": False,
                "expectations": 0,
                "row_count": 0,
            }
            outcome[node["name"]] = result
            exists = con.execute(
                "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
                [schema, node["name"]],
            ).fetchone()[0]
            if not exists:
                result["failures"].append(f"{schema}.{node['name']} is not in the warehouse")
                result["seconds"] = 0.0
                continue
            if suites:
                frame, sampled = gx_checks.read_mart(con, schema, node["name"])
                keys = key_columns(node, manifest)
                result["rows_validated"], result["sampled"] = len(frame), sampled
                for suite in suites:
                    if suite in fixed:
                        gx_checks.ensure_suite(context, suite, fixed[suite])
                    elif not gx_checks.suite_exists(context, suite):
                        result["failures"].append(f"{suite}: named in meta.gx_suites but not in gx/expectations/")
                        continue
                    result["expectations"] += gx_checks.expectation_count(context, suite)
                    by_row = gx_checks.run_suite_by_row(context, suite, frame)
                    messages = sorted(
                        f"{suite}: {_row_label(frame, index, keys)}: {message}"
                        for index, row_messages in by_row.items()
                        for message in row_messages
                    )
                    result["failures"] += messages[:FAILED_ROWS_SHOWN]
                    if len(messages) > FAILED_ROWS_SHOWN:
                        result["failures"].append(f"{suite}: {len(messages) - FAILED_ROWS_SHOWN} more failing rows")
                del frame
            result["expectations"] += gx_checks.expectation_count(context, gx_checks.MART_METRICS_SUITE)
            metrics.append(
                gx_checks.mart_metrics(
                    con, schema, node["name"], published.get(node["name"]), domains.get(mart_domain(node), True)
                )
            )
            result["seconds"] = time.perf_counter() - started
        frame = pd.concat(metrics, ignore_index=True) if metrics else pd.DataFrame()
        if not frame.empty:
            by_row = gx_checks.run_suite_by_row(context, gx_checks.MART_METRICS_SUITE, frame)
            for index, messages in by_row.items():
                outcome[frame.at[index, "mart"]]["failures"] += [
                    f"{gx_checks.MART_METRICS_SUITE}: {m}" for m in messages
                ]
            for _, row in frame.iterrows():
                outcome[row["mart"]]["row_count"] = int(row["row_count"]) if pd.notna(row["row_count"]) else 0
        gx_checks.build_docs(context)
    return outcome


_MANIFEST = load_manifest()
_MARTS = mart_nodes(_MANIFEST)
_MART_KEYS = {node["name"]: mart_key(node) for node in _MARTS}
WAREHOUSE_BUILT = AssetKey("warehouse_built")


@asset(
    key=WAREHOUSE_BUILT,
    deps=[mart_key(node) for node in [*_MARTS, *semantic_layer_nodes(_MANIFEST), *extracts.export_nodes(_MANIFEST)]],
    group_name="serving",
    kinds={"duckdb"},
    description="Write step of write-audit-publish: the freshly built warehouse (data/warehouse.duckdb), its marts "
    "and their row counts. It runs once every mart passed its blocking checks (dbt tests in the build, the GX check "
    "gx_<mart> after it); the publish waits on it.",
)
def warehouse_built(context: AssetExecutionContext) -> MaterializeResult:
    path = settings.warehouse_path()
    with duckdb.connect(str(path), read_only=True) as con:
        counts = {
            name: con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[0]
            for schema, name in con.execute(
                "select table_schema, table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        }
    missing = sorted(node["name"] for node in _MARTS if node["name"] not in counts)
    return MaterializeResult(
        metadata={
            "warehouse": MetadataValue.path(str(path)),
            "size_mib": round(path.stat().st_size / 2**20, 1),
            "mart_row_counts": counts,
            "marts_missing": missing,
        }
    )


def check_name(node: Mapping[str, Any]) -> str:
    return f"gx_{node['name']}"


def check_description(node: Mapping[str, Any]) -> str:
    suites = model_suites(node)
    text = f"Great Expectations on {node['name']}: rows against the published serving file "
    text += f"({gx_checks.MART_METRICS_SUITE})"
    if suites:
        text += f"; suite {', '.join(suites)} on its rows"
    return text + ". Blocking: a failure stops the publish."


# One op checks every selected mart after the dbt build step (each check spec targets its mart's asset). A blocking
# check on a mart holds back every asset downstream of that mart outside the dbt step; `warehouse_built` is
# downstream of all of them, so the publish waits for every check.
@multi_asset_check(
    specs=[
        AssetCheckSpec(
            check_name(node),
            asset=_MART_KEYS[node["name"]],
            blocking=True,
            description=check_description(node),
            metadata={"mart": node["name"], "suites": ", ".join([gx_checks.MART_METRICS_SUITE, *model_suites(node)])},
        )
        for node in _MARTS
    ],
    can_subset=True,
    name="gx_mart_suites",
)
def gx_mart_suites(context: AssetCheckExecutionContext) -> Iterator[AssetCheckResult]:
    """Validate each selected mart with its GX suites (volume in DuckDB; a model's own suites on its rows, within
    gx_checks.ROW_BUDGET). Blocking: a failure stops the publish."""
    selected = {(key.asset_key, key.name) for key in context.selected_asset_check_keys}
    marts = [node for node in _MARTS if (_MART_KEYS[node["name"]], check_name(node)) in selected]
    outcome = audit_marts(
        settings.warehouse_path(), marts, _MANIFEST, publish.published_row_counts(settings.serving_dir())
    )
    docs = gx_checks.data_docs_index()
    for node in marts:
        result = outcome[node["name"]]
        failures = result["failures"]
        yield AssetCheckResult(
            asset_key=_MART_KEYS[node["name"]],
            check_name=check_name(node),
            passed=not failures,
            severity=AssetCheckSeverity.ERROR,
            description=("; ".join(failures))[:2000] if failures else "all expectations met",
            metadata={
                "suites": ", ".join(result["suites"]),
                "rows_validated": result["rows_validated"],
                "sampled": result["sampled"],
                "row_budget": gx_checks.ROW_BUDGET,
                "row_count": result["row_count"],
                "expectations": result["expectations"],
                "failed_expectations": len(failures),
                "seconds": round(result["seconds"], 2),
                "mart": node["name"],
                "data_docs": MetadataValue.url(docs.as_uri()),
            },
        )


def mart_check_keys() -> list[AssetCheckKey]:
    """The GX check of every mart, on the mart's asset."""
    return [AssetCheckKey(_MART_KEYS[node["name"]], check_name(node)) for node in _MARTS]


def write_suites() -> list[str]:
    """Create (never overwrite) every suite of `gx_checks.fixed_suites()` and its checkpoint in the GX file
    context. `python -m orchestration.audit` runs it after a suite is added."""
    names: list[str] = []
    with gx_checks.ContextLock():
        context = gx_checks.get_context()
        for name, expectations in gx_checks.fixed_suites().items():
            gx_checks.ensure_suite(context, name, expectations)
            gx_checks.ensure_checkpoint(context, name)
            names.append(name)
    return names


if __name__ == "__main__":
    for suite in write_suites():
        print(suite)
