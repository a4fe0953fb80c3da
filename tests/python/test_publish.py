"""Write-audit-publish on small data: what is published, the atomic swap, pruning, a failed audit publishing
nothing, and readers querying current.duckdb while publishes happen."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.python import orchestration_fixtures
from tests.python.orchestration_fixtures import READER, OrchestrationEnv, file_digest

orchestration_env = orchestration_fixtures.orchestration_env  # the shared session fixture


def _marts(env: OrchestrationEnv):
    """The marts (and the semantic layer's calendar) of the manifest that the session's ci warehouse holds."""
    from orchestration import serving

    with duckdb.connect(str(env.source_warehouse), read_only=True) as con:
        built = set(con.execute("select table_schema, table_name from information_schema.tables").fetchall())
    return [mart for mart in serving.marts_to_publish() if (mart.schema, mart.name) in built]


def _copy_warehouse(env: OrchestrationEnv, name: str) -> Path:
    copy = env.base / name
    shutil.copy2(env.source_warehouse, copy)
    return copy


def test_publish_copies_marts_only_and_drops_pii(orchestration_env: OrchestrationEnv, tmp_path: Path) -> None:
    from orchestration import publish
    from orchestration.dbt_assets import mart_nodes, pii_columns

    marts = _marts(orchestration_env)
    assert {"fct_orders", "fct_order_lines", "fct_dealer_sales", "time_spine_daily"} <= {mart.name for mart in marts}
    result = publish.publish(orchestration_env.source_warehouse, tmp_path, "run-a", marts)
    current = tmp_path / publish.CURRENT
    assert current.is_symlink() and current.resolve() == (tmp_path / "run-a" / publish.CURRENT).resolve()
    pii = {node["name"]: pii_columns(node) for node in mart_nodes()}
    with duckdb.connect(str(current), read_only=True) as con:
        schemas = {s for (s,) in con.execute("select distinct table_schema from information_schema.tables").fetchall()}
        assert schemas == {"marts", "semantic", "exports", "main"}, (
            "nothing but marts, the calendar, the dealer export datasets and the record is published")
        for mart in marts:
            columns = {
                c
                for (c,) in con.execute(
                    "select column_name from information_schema.columns "
                    "where table_schema = ? and table_name = ?",
                    [mart.schema, mart.name],
                ).fetchall()
            }
            assert columns, mart.name
            assert not columns & pii.get(mart.name, set()), f"PII published in clear in {mart.name}"
            (rows,) = con.execute(f'select count(*) from {mart.schema}."{mart.name}"').fetchone()
            assert rows == result.row_counts[mart.name]
        assert con.execute("select run_id from main.publication").fetchone()[0] == "run-a"
        assert con.execute("select current_database()").fetchone()[0] == publish.CATALOG == "current"
        storage_version, row_counts = con.execute("select storage_version, row_counts from main.publication").fetchone()
        assert storage_version == "v1.4.0" and json.loads(row_counts) == result.row_counts
        published_docs = _comments(con)
    with duckdb.connect(str(orchestration_env.source_warehouse), read_only=True) as con:
        (expected,) = con.execute("select count(*) from marts.fct_orders").fetchone()
        warehouse_docs = _comments(con)
    assert result.row_counts["fct_orders"] == expected
    published_marts = {mart.name for mart in marts}
    expected_docs = {
        key: text
        for key, text in warehouse_docs.items()
        if key[0] in published_marts and key[1] not in pii.get(key[0], set())
    }
    assert all(expected_docs.values()), "every mart table and column is documented in the warehouse (persist_docs)"
    assert {key: text for key, text in published_docs.items() if key[0] != "publication"} == expected_docs
    assert all(text for key, text in published_docs.items() if key[0] == "publication")


def _comments(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str | None], str | None]:
    """(table, column or None for the table itself) -> comment, for every table of the open database."""
    where = "database_name = current_database() and not internal"
    docs: dict[tuple[str, str | None], str | None] = {
        (table, None): text
        for table, text in con.execute(f"select table_name, comment from duckdb_tables() where {where}").fetchall()
    }
    columns = con.execute(f"select table_name, column_name, comment from duckdb_columns() where {where}")
    docs.update({(table, column): text for table, column, text in columns.fetchall()})
    return docs


def test_publish_again_under_the_same_run_id_never_replaces_the_file_in_place(
    orchestration_env: OrchestrationEnv, tmp_path: Path
) -> None:
    """A retried publish step (same run id) writes a new folder; a reader of the first file keeps it whole."""
    from orchestration import publish

    marts = [m for m in _marts(orchestration_env) if m.name == "fct_orders"]
    first = publish.publish(orchestration_env.source_warehouse, tmp_path, "run-x", marts)
    digest = file_digest(first.path)
    second = publish.publish(orchestration_env.source_warehouse, tmp_path, "run-x", marts)
    assert second.path == tmp_path / "run-x-2" / publish.CURRENT
    assert (tmp_path / publish.CURRENT).resolve() == second.path.resolve()
    assert file_digest(first.path) == digest
    with pytest.raises(ValueError, match="cannot name a serving folder"):
        publish.publish(orchestration_env.source_warehouse, tmp_path, "../escape", marts)


def test_prune_keeps_current_and_files_within_grace(orchestration_env: OrchestrationEnv, tmp_path: Path) -> None:
    from orchestration import publish

    marts = [m for m in _marts(orchestration_env) if m.name in {"fct_orders", "fct_dealer_sales"}]
    publish.publish(orchestration_env.source_warehouse, tmp_path, "one", marts)
    publish.publish(orchestration_env.source_warehouse, tmp_path, "two", marts, grace_seconds=3600)
    assert (tmp_path / "one" / publish.CURRENT).exists(), "the previous file stays during its grace period"
    (tmp_path / "killed.tmp").mkdir()  # the staging folder of a killed publish
    (tmp_path / "killed.tmp" / publish.CURRENT).write_bytes(b"half written")
    (tmp_path / "legacy.duckdb").write_bytes(b"a serving file of the flat layout")
    (tmp_path / "stale.duckdb.tmp").write_bytes(b"left over by a killed publish of the flat layout")
    (tmp_path / "notes").mkdir()  # not the publish's: never deleted
    old = time.time() - 7200
    for name in ["one", "killed.tmp", "legacy.duckdb", "stale.duckdb.tmp", "notes"]:
        os.utime(tmp_path / name, (old, old))
    result = publish.publish(orchestration_env.source_warehouse, tmp_path, "three", marts, grace_seconds=3600)
    names = sorted(path.name for path in tmp_path.iterdir())
    assert names == ["current.duckdb", "notes", "three", "two"], names
    assert {path.name for path in result.pruned} == {"one", "killed.tmp", "legacy.duckdb", "stale.duckdb.tmp"}
    assert (tmp_path / "current.duckdb").resolve().parent.name == "three"


def test_failed_audit_publishes_nothing(orchestration_env: OrchestrationEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch whose order volume collapses against the published file, and whose daily order value jumps far off
    its trailing 28 order days, fails the blocking GX checks of those two marts (checks on the marts' own assets);
    `warehouse_built` and the publish do not run and current.duckdb stays byte-identical."""
    from dagster import AssetKey, DagsterInstance

    from orchestration import audit, publish
    from orchestration.definitions import defs

    serving = orchestration_env.base / "serving_audit"
    publish.publish(orchestration_env.source_warehouse, serving, "good", _marts(orchestration_env))
    before = file_digest(serving / publish.CURRENT)
    broken = _copy_warehouse(orchestration_env, "broken_volume.duckdb")
    with duckdb.connect(str(broken)) as con:
        con.execute("delete from marts.fct_orders where order_id not in "
                    "(select order_id from marts.fct_orders order by order_id limit 25)")
        spiked = con.execute(
            "update marts.rpt_daily_order_value set average_order_value_vs_trailing_28_order_days = 50 "
            "where order_date = (select max(order_date) from marts.rpt_daily_order_value)"
        ).fetchone()[0]
    assert spiked == 1
    monkeypatch.setenv("WAREHOUSE_PATH", str(broken))
    monkeypatch.setenv("SERVING_DIR", str(serving))
    job = defs.resolve_implicit_global_asset_job_def().get_subset(
        asset_selection={AssetKey("warehouse_built"), AssetKey("serving_warehouse")},
        asset_check_selection=set(audit.mart_check_keys()),
    )
    result = job.execute_in_process(instance=DagsterInstance.ephemeral(), raise_on_error=False)
    evaluations = {
        event.event_specific_data.check_name: event.event_specific_data
        for event in result.all_events
        if event.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    assert not evaluations["gx_fct_orders"].passed
    assert evaluations["gx_fct_orders"].asset_key == AssetKey(["marts", "fct_orders"])
    assert "row_count_vs_published" in (evaluations["gx_fct_orders"].description or "")
    assert not evaluations["gx_rpt_daily_order_value"].passed
    daily_description = evaluations["gx_rpt_daily_order_value"].description or ""
    assert "average_order_value_vs_trailing_28_order_days=50" in daily_description
    assert evaluations["gx_fct_dealer_sales"].passed
    materialized = {
        e.asset_key.to_user_string() for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION"
    }
    assert "warehouse_built" not in materialized
    assert "serving_warehouse" not in materialized
    assert file_digest(serving / publish.CURRENT) == before
    assert (serving / publish.CURRENT).resolve().parent.name == "good"


def test_audit_that_passes_publishes(orchestration_env: OrchestrationEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same checks on an unchanged build pass, and then the publish runs: the failure above is the checks'."""
    from dagster import AssetKey, DagsterInstance

    from orchestration import audit, publish
    from orchestration.definitions import defs

    serving = orchestration_env.base / "serving_audit_passes"
    publish.publish(orchestration_env.source_warehouse, serving, "good", _marts(orchestration_env))
    monkeypatch.setenv("WAREHOUSE_PATH", str(_copy_warehouse(orchestration_env, "unchanged.duckdb")))
    monkeypatch.setenv("SERVING_DIR", str(serving))
    job = defs.resolve_implicit_global_asset_job_def().get_subset(
        asset_selection={AssetKey("warehouse_built"), AssetKey("serving_warehouse")},
        asset_check_selection=set(audit.mart_check_keys()),
    )
    result = job.execute_in_process(instance=DagsterInstance.ephemeral(), raise_on_error=False)
    evaluations = [
        event.event_specific_data for event in result.all_events if event.event_type_value == "ASSET_CHECK_EVALUATION"
    ]
    assert len(evaluations) == len(audit.mart_check_keys())
    assert all(evaluation.passed for evaluation in evaluations), [e.description for e in evaluations if not e.passed]
    assert result.success
    assert (serving / publish.CURRENT).resolve().parent.name == result.run_id


def test_readers_see_one_consistent_version_during_publishes(orchestration_env: OrchestrationEnv) -> None:
    from orchestration import publish

    serving = orchestration_env.base / "serving_concurrency"
    marts = [m for m in _marts(orchestration_env) if m.name in {"fct_orders", "fct_order_lines", "fct_dealer_sales"}]
    smaller = _copy_warehouse(orchestration_env, "smaller.duckdb")
    with duckdb.connect(str(smaller)) as con:
        con.execute("delete from marts.fct_orders where order_id in (select order_id from marts.fct_orders limit 500)")
    expected: dict[str, int] = {}
    first = publish.publish(orchestration_env.source_warehouse, serving, "v0", marts)
    expected["v0"] = first.row_counts["fct_orders"]
    out = orchestration_env.base / "reader.json"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(serving / publish.CURRENT), str(out), "300", "25"], cwd=REPO_ROOT
    )
    try:
        for index in range(1, 5):
            source = smaller if index % 2 else orchestration_env.source_warehouse
            published = publish.publish(source, serving, f"v{index}", marts, grace_seconds=3600)
            expected[f"v{index}"] = published.row_counts["fct_orders"]
        reader.wait(timeout=60)
    finally:
        if reader.poll() is None:
            reader.kill()
    report = json.loads(out.read_text())
    assert report["errors"] == [], report["errors"][:3]
    assert len(report["answers"]) >= 20
    versions = {run_id for run_id, _ in report["answers"]}
    assert len(versions) >= 2, "the reader saw the swap happen"
    for run_id, rows in report["answers"]:
        assert rows == expected[run_id], f"{run_id} answered {rows} rows, published {expected[run_id]}"


REPO_ROOT = Path(__file__).resolve().parents[2]


def test_first_publish_over_the_flat_layout_keeps_the_old_file_for_its_grace_period(tmp_path: Path) -> None:
    """Serving folders of the earlier layout (`current.duckdb` -> `<run id>.duckdb`) move over without a reader of
    the old file losing it before the grace period ends."""
    from orchestration import publish

    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.fct_orders as select 'o1' as order_id")
        con.execute("comment on table marts.fct_orders is 'One row per order.'")
    serving = tmp_path / "serving"
    serving.mkdir()
    (serving / "old-run.duckdb").write_bytes(b"a serving file of the flat layout")
    os.symlink("old-run.duckdb", serving / publish.CURRENT)
    old = time.time() - 7200
    os.utime(serving / "old-run.duckdb", (old, old))
    result = publish.publish(warehouse, serving, "new-run", [publish.MartToPublish("fct_orders")], grace_seconds=3600)
    assert (serving / "old-run.duckdb").exists() and result.pruned == []
    assert os.readlink(serving / publish.CURRENT) == "new-run/current.duckdb"
    with duckdb.connect(str(serving / publish.CURRENT), read_only=True) as con:
        assert con.execute("select comment from duckdb_tables() where table_name = 'fct_orders'").fetchone() == (
            "One row per order.",
        )
