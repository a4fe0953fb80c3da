"""The audit's split between dbt and Great Expectations, without a build: dbt tests own every rule about one
build's rows (not-null, unique keys, accepted values, value ranges by naming convention), the GX suites hold only
comparisons with what came before, each mart's GX check targets the mart's own asset and blocks the publish, and
the daily order value suite reads the dbt model that computes it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from orchestration.project import prepare_project

REPO = Path(__file__).resolve().parents[2]
# GX expectation types that restate a dbt generic test; none may appear in a suite.
DBT_RULES_IN_GX = {
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_unique",
    "expect_compound_columns_to_be_unique",
    "expect_column_values_to_be_in_set",
    "expect_column_values_to_be_in_type_list",
    "expect_table_columns_to_match_set",
}


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads(prepare_project().read_text())


def _marts(manifest: dict) -> list[dict]:
    return [node for node in manifest["nodes"].values()
            if node["resource_type"] == "model" and node["original_file_path"].startswith("models/marts/")]


def _tests(manifest: dict, node: dict) -> list[dict]:
    return [test for test in manifest["nodes"].values()
            if test["resource_type"] == "test" and test.get("attached_node") == node["unique_id"]]


def _generic(test: dict) -> tuple[str, dict[str, Any]]:
    meta = test.get("test_metadata") or {}
    kwargs = meta.get("kwargs", {})
    return meta.get("name", ""), {**kwargs, **kwargs.get("arguments", {})}


def _convention_range(column: str) -> dict[str, Any] | None:
    """The value range a mart column's name promises (the bounds the audit once checked by name)."""
    if column.startswith("fx_rate"):
        return {"min_value": 0, "inclusive": False}
    if column in {"quantity", "units", "line_count"}:
        return {"min_value": 0}
    if column.endswith("_rate") or column.startswith("share_"):
        return {"min_value": 0, "max_value": 1}
    return None


def _suites() -> dict[str, dict]:
    return {path.stem: json.loads(path.read_text()) for path in sorted((REPO / "gx" / "expectations").glob("*.json"))}


def test_no_gx_suite_restates_a_dbt_test() -> None:
    from orchestration import gx_checks

    suites = _suites()
    assert set(suites) == set(gx_checks.fixed_suites()), "every committed suite is one the audit or landing runs"
    for name, suite in suites.items():
        types = {expectation["type"] for expectation in suite["expectations"]}
        assert not types & DBT_RULES_IN_GX, f"{name} restates dbt tests: {sorted(types & DBT_RULES_IN_GX)}"
    for directory in ("checkpoints", "validation_definitions"):
        assert {path.stem for path in (REPO / "gx" / directory).glob("*.json")} == set(suites), directory


def test_every_mart_key_is_unique_in_dbt(manifest: dict) -> None:
    """Duplicate keys (once a GX whole-table metric) fail dbt's unique / unique_combination test on the key."""
    for node in _marts(manifest):
        keys = set()
        for test in _tests(manifest, node):
            name, kwargs = _generic(test)
            if name == "unique" and test.get("column_name"):
                keys.add((test["column_name"],))
            elif name == "unique_combination":
                keys.add(tuple(kwargs["columns"]))
        assert keys, f"{node['name']} has no dbt test of its key"
    fct_orders = manifest["nodes"]["model.relationship_warehouse.fct_orders"]
    assert ("unique", "order_id") in {(_generic(t)[0], t.get("column_name")) for t in _tests(manifest, fct_orders)}


def test_not_null_constraints_and_value_sets_of_marts_are_dbt_tests(manifest: dict) -> None:
    for node in _marts(manifest):
        tested = {(_generic(t)[0], t.get("column_name")) for t in _tests(manifest, node)}
        for column, spec in node["columns"].items():
            if any(constraint.get("type") == "not_null" for constraint in spec.get("constraints", [])):
                assert ("not_null", column) in tested, f"{node['name']}.{column}: not_null constraint, no dbt test"
    # the value sets the GX suites once restated, each an accepted_values test of its model
    for model, column in [
        ("fct_after_sales_tickets", "resolution_outcome"),
        ("fct_referrals", "edge_type"),
        ("fct_wallet_ledger", "entry_type"),
        ("rpt_campaign_results", "measurement_status"),
        ("rpt_customer_segments", "recency_score"),
        ("rpt_relationship_health", "last_purchase_follow_up_status"),
        ("rpt_relationship_health_by_segment", "segmentation"),
    ]:
        node = manifest["nodes"][f"model.relationship_warehouse.{model}"]
        tests = [_generic(t) for t in _tests(manifest, node) if t.get("column_name") == column]
        assert any(name == "accepted_values" and kwargs.get("values") for name, kwargs in tests), (model, column)


def test_value_ranges_named_by_convention_are_dbt_tests(manifest: dict) -> None:
    checked = 0
    for node in _marts(manifest):
        ranges = {
            test.get("column_name"): _generic(test)[1]
            for test in _tests(manifest, node)
            if _generic(test)[0] == "accepted_range"
        }
        for column in node["columns"]:
            expected = _convention_range(column)
            if expected is None:
                continue
            checked += 1
            assert column in ranges, f"{node['name']}.{column} has no accepted_range test"
            found = {key: ranges[column].get(key) for key in ("min_value", "max_value")}
            assert found == {"min_value": expected["min_value"], "max_value": expected.get("max_value")}, (
                node["name"], column, ranges[column])
            assert ranges[column].get("inclusive", True) == expected.get("inclusive", True), (node["name"], column)
    assert checked >= 14


def test_every_gx_check_targets_its_mart_and_blocks_the_publish(manifest: dict) -> None:
    from dagster import AssetKey

    from orchestration import audit
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    marts = audit._MARTS
    assert len(marts) >= 20
    warehouse_built = AssetKey("warehouse_built")
    assert not [key for key in graph.asset_check_keys if key.asset_key == warehouse_built]
    assert set(audit.mart_check_keys()) <= set(graph.asset_check_keys)
    for node in marts:
        key = audit.mart_key(node)
        (spec,) = [
            spec for spec in audit.gx_mart_suites.check_specs if spec.name == audit.check_name(node)
        ]
        assert spec.asset_key == key and spec.blocking, node["name"]
        assert key in graph.get(warehouse_built).parent_keys, f"warehouse_built does not wait for {node['name']}"
    assert warehouse_built in graph.get(AssetKey("serving_warehouse")).parent_keys


def test_model_suites_are_named_in_the_model_yaml_and_read_its_columns(manifest: dict) -> None:
    from orchestration import audit, gx_checks

    suites = _suites()
    named = {}
    for node in _marts(manifest):
        for suite in audit.model_suites(node):
            assert suite in suites, f"{node['name']} names {suite}, which gx/expectations/ lacks"
            named[suite] = node
            for expectation in suites[suite]["expectations"]:
                assert expectation["kwargs"]["column"] in node["columns"], (suite, expectation["kwargs"])
    assert named[gx_checks.DAILY_ORDER_VALUE_SUITE]["name"] == "rpt_daily_order_value"


def test_daily_order_value_suite_flags_days_far_from_their_trailing_weeks(tmp_path: Path) -> None:
    from orchestration import gx_checks

    shutil.copytree(REPO / "gx", tmp_path / "gx", ignore=shutil.ignore_patterns("uncommitted"))
    frame = pd.DataFrame(
        {
            "order_date": pd.to_datetime(["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05"]),
            "average_order_value_vs_trailing_28_order_days": [None, 1.0, 0.02, 9.5, 12.0],
        }
    )
    with gx_checks.ContextLock(tmp_path):
        context = gx_checks.get_context(tmp_path)
        failures = gx_checks.run_suite_by_row(context, gx_checks.DAILY_ORDER_VALUE_SUITE, frame)
    assert sorted(failures) == [2, 4], failures
    assert "average_order_value_vs_trailing_28_order_days=12.0" in failures[4][0]


def test_volume_suite_flags_a_collapse_or_a_jump_against_the_published_file(tmp_path: Path) -> None:
    import duckdb

    from orchestration import gx_checks

    shutil.copytree(REPO / "gx", tmp_path / "gx", ignore=shutil.ignore_patterns("uncommitted"))
    with duckdb.connect() as con:
        con.execute("create schema marts")
        con.execute("create table marts.a as select range as id from range(100)")
        frame = pd.concat(
            [
                gx_checks.mart_metrics(con, "marts", "a", 100),  # as published
                gx_checks.mart_metrics(con, "marts", "a", 400),  # a collapse to a quarter
                gx_checks.mart_metrics(con, "marts", "a", 20),  # a jump to 5x
                gx_checks.mart_metrics(con, "marts", "a", None),  # never published: not compared
            ],
            ignore_index=True,
        )
    with gx_checks.ContextLock(tmp_path):
        context = gx_checks.get_context(tmp_path)
        failures = gx_checks.run_suite_by_row(context, gx_checks.MART_METRICS_SUITE, frame)
    assert sorted(failures) == [1, 2], failures
