"""Audit: Great Expectations suites on every mart as blocking asset checks (dbt tests are checks too, through
dagster-dbt). A failed check stops `serving_warehouse` from publishing."""

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

from orchestration import gx_checks, landing, publish, settings
from orchestration.dbt_assets import dbt_project, load_manifest, mart_nodes, semantic_layer_nodes, translator


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


def audit_marts(
    warehouse: Any, marts: list[dict[str, Any]], manifest: Mapping[str, Any], published: Mapping[str, int]
) -> dict[str, dict[str, Any]]:
    """Run every GX suite of `marts` against the warehouse (read-only); per mart: passed, failures, metadata."""
    outcome: dict[str, dict[str, Any]] = {}
    metrics: list[pd.DataFrame] = []
    domains = landing.active_domains(landing.recorded_table_rows(Path(warehouse)))
    with gx_checks.ContextLock(), duckdb.connect(str(warehouse), read_only=True) as con:
        context = gx_checks.get_context()
        for name, expectations in gx_checks.fixed_suites().items():
            gx_checks.ensure_suite(context, name, expectations)
        for node in marts:
            started = time.perf_counter()
            schema = node.get("schema") or "marts"
            suite_name = f"mart__{node['name']}"
            gx_checks.ensure_suite(context, suite_name, gx_checks.mart_expectations(node, mart_tests(node, manifest)))
            exists = con.execute(
                "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
                [schema, node["name"]],
            ).fetchone()[0]
            if not exists:
                outcome[node["name"]] = {
                    "failures": [f"{schema}.{node['name']} is not in the warehouse"],
                    "rows_validated": 0,
                    "sampled": False,
                    "expectations": 0,
                    "seconds": 0.0,
                }
                continue
            frame, sampled = gx_checks.read_mart(con, schema, node["name"])
            result = gx_checks.run_suite(context, suite_name, frame, sampled)
            del frame
            failures = list(result.failed)
            if node["name"] == "fct_orders":
                aov = gx_checks.run_suite_by_row(context, gx_checks.DAILY_AOV_SUITE, gx_checks.daily_aov(con, schema))
                failures += [f"daily AOV: {message}" for messages in aov.values() for message in messages][:10]
            metrics.append(
                gx_checks.mart_metrics(
                    con,
                    schema,
                    node["name"],
                    key_columns(node, manifest),
                    published.get(node["name"]),
                    domains.get(mart_domain(node), True),
                )
            )
            outcome[node["name"]] = {
                "failures": failures,
                "rows_validated": result.rows_validated,
                "sampled": sampled,
                "expectations": result.evaluated,
                "seconds": time.perf_counter() - started,
            }
        frame = pd.concat(metrics, ignore_index=True) if metrics else pd.DataFrame()
        if not frame.empty:
            by_row = gx_checks.run_suite_by_row(context, gx_checks.MART_METRICS_SUITE, frame)
            for index, messages in by_row.items():
                outcome[frame.at[index, "mart"]]["failures"] += [
                    f"{gx_checks.MART_METRICS_SUITE}: {m}" for m in messages
                ]
            for _, row in frame.iterrows():
                outcome[row["mart"]]["row_count"] = int(row["row_count"]) if pd.notna(row["row_count"]) else 0
                outcome[row["mart"]]["duplicate_key_rows"] = int(row["duplicate_key_rows"])
        gx_checks.build_docs(context)
    return outcome


_MANIFEST = load_manifest()
_MARTS = mart_nodes(_MANIFEST)
WAREHOUSE_BUILT = AssetKey("warehouse_built")


@asset(
    key=WAREHOUSE_BUILT,
    deps=[mart_key(node) for node in [*_MARTS, *semantic_layer_nodes(_MANIFEST)]],
    group_name="serving",
    kinds={"duckdb"},
    description="Write step of write-audit-publish: the freshly built warehouse (data/warehouse.duckdb), its marts "
    "and their row counts. The GX audit runs on it; only then is it published.",
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


# The checks target the write step (`warehouse_built`), one per mart, rather than the mart assets: a blocking
# check on a mart would have to run between two steps of one dbt build (marts feed other marts), which
# Dagster cannot order. Targeting `warehouse_built` runs them after the whole build and before the publish.
@multi_asset_check(
    specs=[
        AssetCheckSpec(
            check_name(node),
            asset=WAREHOUSE_BUILT,
            blocking=True,
            description=f"Great Expectations: suites mart__{node['name']} and mart_metrics on marts.{node['name']}",
            metadata={"mart": node["name"]},
        )
        for node in _MARTS
    ],
    can_subset=True,
    name="gx_mart_suites",
)
def gx_mart_suites(context: AssetCheckExecutionContext) -> Iterator[AssetCheckResult]:
    """Validate each selected mart with its GX suites (sample within gx_checks.ROW_BUDGET rows, whole-table
    metrics in DuckDB). Blocking: a failure stops the publish."""
    selected = {key.name for key in context.selected_asset_check_keys}
    marts = [node for node in _MARTS if check_name(node) in selected]
    outcome = audit_marts(
        settings.warehouse_path(), marts, _MANIFEST, publish.published_row_counts(settings.serving_dir())
    )
    docs = gx_checks.data_docs_index()
    for node in marts:
        result = outcome[node["name"]]
        failures = result["failures"]
        yield AssetCheckResult(
            asset_key=WAREHOUSE_BUILT,
            check_name=check_name(node),
            passed=not failures,
            severity=AssetCheckSeverity.ERROR,
            description=("; ".join(failures))[:2000] if failures else "all expectations met",
            metadata={
                "rows_validated": result["rows_validated"],
                "sampled": result["sampled"],
                "row_budget": gx_checks.ROW_BUDGET,
                "row_count": result.get("row_count", -1),
                "duplicate_key_rows": result.get("duplicate_key_rows", -1),
                "expectations": result["expectations"],
                "failed_expectations": len(failures),
                "seconds": round(result["seconds"], 2),
                "mart": node["name"],
                "data_docs": MetadataValue.url(docs.as_uri()),
            },
        )


def mart_check_keys() -> list[AssetCheckKey]:
    return [AssetCheckKey(WAREHOUSE_BUILT, check_name(node)) for node in _MARTS]


def write_suites() -> list[str]:
    """Create (never overwrite) every suite and checkpoint in the GX file context: the fixed suites and one
    `mart__<name>` per mart of the manifest. `python -m orchestration.audit` runs it after adding a mart."""
    names: list[str] = []
    with gx_checks.ContextLock():
        context = gx_checks.get_context()
        for name, expectations in gx_checks.fixed_suites().items():
            gx_checks.ensure_suite(context, name, expectations)
            gx_checks.ensure_checkpoint(context, name)
            names.append(name)
        for node in _MARTS:
            name = f"mart__{node['name']}"
            gx_checks.ensure_suite(context, name, gx_checks.mart_expectations(node, mart_tests(node, _MANIFEST)))
            gx_checks.ensure_checkpoint(context, name)
            names.append(name)
    return names


if __name__ == "__main__":
    for suite in write_suites():
        print(suite)
