"""What the Dagster definitions show: partitions only on the incremental models, every singular dbt test a check on
the model it names (never an observation), a freshness check on every source table with dbt's verdict mapped to it,
automation off until turned on, and definitions that load without parsing or changing the environment."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.python import orchestration_fixtures
from tests.python.orchestration_fixtures import OrchestrationEnv

orchestration_env = orchestration_fixtures.orchestration_env  # the shared session fixture

REPO = Path(__file__).resolve().parents[2]
ASSET_RESOURCE_TYPES = {"model", "seed", "snapshot"}


def _manifest() -> dict:
    from orchestration.dbt_assets import load_manifest

    return load_manifest()


def _dbt_asset_nodes(manifest: dict) -> list[dict]:
    return [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] in ASSET_RESOURCE_TYPES
        and node["config"].get("enabled", True)
        and node["config"].get("materialized") != "ephemeral"
    ]


def test_only_incremental_models_are_partitioned(orchestration_env: OrchestrationEnv) -> None:
    from dagster import AssetKey

    from orchestration import dbt_assets
    from orchestration.definitions import defs

    manifest = _manifest()
    graph = defs.resolve_asset_graph()
    partitioned = set(dbt_assets.warehouse_incremental_models.keys)
    unpartitioned = set(dbt_assets.warehouse_dbt_models.keys)
    assert not partitioned & unpartitioned, "a dbt asset in both definitions"
    nodes = _dbt_asset_nodes(manifest)
    incremental = [node for node in nodes if node["config"]["materialized"] == "incremental"]
    assert len(incremental) >= 5 and len(nodes) > 2 * len(incremental)
    for node in nodes:
        key = dbt_assets.translator.get_asset_spec(manifest, node["unique_id"], dbt_assets.dbt_project).key
        spec = graph.get(key)
        if node in incremental:
            assert key in partitioned, node["name"]
            assert spec.partitions_def == dbt_assets.daily_partitions, node["name"]
        else:
            assert key in unpartitioned, node["name"]
            assert spec.partitions_def is None, f"{node['name']} ({node['config']['materialized']}) is partitioned"
    # Seeds and views in particular: no "missing partitions" on reference data or staging views.
    assert graph.get(AssetKey(["reference", "currencies"])).partitions_def is None
    assert graph.get(AssetKey(["marts", "fct_orders"])).partitions_def == dbt_assets.daily_partitions
    # The daily job still builds both definitions (and their checks) in one partitioned run.
    job = defs.resolve_job_def("warehouse_job")
    assert job.partitions_def == dbt_assets.daily_partitions
    assert {key.to_user_string() for key in partitioned | unpartitioned} <= {
        key.to_user_string() for key in job.asset_layer.asset_graph.get_all_asset_keys()
    }


def test_every_singular_test_is_a_check_on_the_model_it_names(orchestration_env: OrchestrationEnv) -> None:
    from dagster import AssetCheckKey
    from dagster_dbt.asset_utils import get_asset_check_key_for_test

    from orchestration import dbt_assets
    from orchestration.definitions import defs

    manifest = _manifest()
    graph = defs.resolve_asset_graph()
    checks = set(graph.asset_check_keys)
    singular = {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test" and node["original_file_path"].startswith("tests/singular/")
    }
    files = {path.stem for path in (REPO / "tests" / "singular").glob("*.sql")}
    assert files == set(singular), "every tests/singular/*.sql is a dbt test"
    for name, node in sorted(singular.items()):
        meta = node["config"].get("meta") or {}
        target = meta.get("dagster", {}).get("ref", {}).get("name")
        assert target, f"{name} names no model in meta.dagster.ref"
        assert target in {ref["name"] for ref in node["refs"]}, f"{name} names {target}, which it does not read"
        models = manifest["nodes"].values()
        (model,) = [other for other in models if (other["resource_type"], other["name"]) == ("model", target)]
        model_key = dbt_assets.translator.get_asset_spec(manifest, model["unique_id"], dbt_assets.dbt_project).key
        key = get_asset_check_key_for_test(manifest, dbt_assets.translator, node["unique_id"], dbt_assets.dbt_project)
        assert key == AssetCheckKey(model_key, name), f"{name}: dagster-dbt makes it {key} (None: an observation)"
        assert key in checks, f"{name} is not a check in the definitions"


def test_every_source_has_a_freshness_rule_and_check(orchestration_env: OrchestrationEnv) -> None:
    from orchestration import freshness, raw
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    sources = raw.raw_tables()
    assert len(sources) >= 20
    specs = {spec.key: spec for spec in freshness.source_freshness.check_specs}
    for source in sources:
        label = freshness.source_label(source)
        assert source.get("loaded_at_field") == "loaded_at", label
        assert "loaded_at" in source["columns"], f"{label}: the freshness column is not in the raw contract"
        rule = source.get("freshness") or {}
        warn, error = rule.get("warn_after") or {}, rule.get("error_after") or {}
        assert warn.get("count") and error.get("count"), f"{label} has no warn_after and error_after"
        assert _hours(warn) < _hours(error), label
        assert _hours(warn) >= 24, f"{label}: a daily landing cannot be expected within {_hours(warn)} h"
        key = raw.raw_key(source)
        check = next(spec for check_key, spec in specs.items() if check_key.asset_key == key)
        assert check.name == freshness.CHECK_NAME and not check.blocking, label
        assert check.key in graph.asset_check_keys


def _hours(period: dict) -> float:
    return period["count"] * {"minute": 1 / 60, "hour": 1, "day": 24}[period["period"]]


def test_freshness_verdicts_map_to_checks_and_an_absent_optional_system_passes(
    orchestration_env: OrchestrationEnv,
) -> None:
    from dagster import AssetCheckSeverity

    from orchestration import freshness, raw

    sources = {freshness.source_label(source): source for source in raw.raw_tables()}
    labels = ("shop.orders", "shop.customers", "crm.touchpoints", "service.after_sales_tickets")
    picked = [sources[label] for label in labels]

    def verdict(status: str, hours: float) -> dict:
        return {"status": status, "max_loaded_at": "2026-11-01T05:00:00", "max_loaded_at_time_ago_in_s": hours * 3600}

    results = {
        sources["shop.orders"]["unique_id"]: verdict("pass", 1),
        sources["shop.customers"]["unique_id"]: verdict("warn", 72),
        sources["crm.touchpoints"]["unique_id"]: verdict("error", 720),
    }
    rows = {"shop.orders": 10, "shop.customers": 5, "crm.touchpoints": 7}  # service not landed at all
    by_table = {
        "/".join(result.asset_key.path): result for result in freshness.freshness_results(picked, results, rows)
    }
    assert by_table["shop/orders"].passed
    assert not by_table["shop/customers"].passed
    assert by_table["shop/customers"].severity == AssetCheckSeverity.WARN
    assert not by_table["crm/touchpoints"].passed
    assert by_table["crm/touchpoints"].severity == AssetCheckSeverity.ERROR
    assert "720 h" in by_table["crm/touchpoints"].description
    absent = by_table["service/after_sales_tickets"]
    assert absent.passed and "not landed" in absent.description
    # A required table without rows is not excused; a failed `dbt source freshness` fails every landed table.
    (required,) = freshness.freshness_results([sources["shop.orders"]], {}, {"shop.orders": 0}, "dbt crashed")
    assert not required.passed and required.description == "dbt crashed"


def test_automation_is_off_until_turned_on(orchestration_env: OrchestrationEnv) -> None:
    from dagster import DefaultScheduleStatus, DefaultSensorStatus

    from orchestration.definitions import defs

    assert defs.resolve_schedule_def("daily_build").default_status == DefaultScheduleStatus.STOPPED
    for sensor in defs.sensors:
        assert sensor.default_status == DefaultSensorStatus.STOPPED, sensor.name
    readme = (REPO / "README.md").read_text()
    section = readme.split("**Schedule and sensors**", 1)[1].split("\n\n", 1)[0]
    assert "off" in section and "dagster schedule start daily_build" in section


def test_loading_the_definitions_parses_nothing_and_leaves_the_environment_alone(
    orchestration_env: OrchestrationEnv,
) -> None:
    manifest = orchestration_env.target / "manifest.json"
    before = manifest.stat().st_mtime_ns
    probe = (
        "import json, os, sys; before = dict(os.environ); "
        "from orchestration.definitions import defs; "
        "changed = sorted(k for k in set(before) | set(os.environ) if before.get(k) != os.environ.get(k)); "
        "print(json.dumps(changed))"
    )
    env = {key: value for key, value in os.environ.items() if key != "RW_REUSE_MANIFEST"}
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
    assert manifest.stat().st_mtime_ns == before, "loading the definitions outside `dagster dev` parsed the project"


def test_dbt_wrapper_sets_leading_assignments_in_dbt_environment_only(tmp_path: Path) -> None:
    fake_dbt = tmp_path / "fake_dbt"
    fake_dbt.write_text(
        "#!/bin/sh\n"
        f'printf "%s\\n" "$DBT_BACKFILL_START" "$DBT_INDIRECT_SELECTION" "$*" > {tmp_path}/seen\n'
    )
    fake_dbt.chmod(0o755)
    env = {key: value for key, value in os.environ.items() if key != "DBT_INDIRECT_SELECTION"}
    subprocess.run(
        [str(REPO / "orchestration" / "bin" / "dbt"), "DBT_BACKFILL_START=2026-11-30 00:00:00", "build", "--quiet"],
        env={**env, "RW_DBT_EXECUTABLE": str(fake_dbt)},
        check=True,
        timeout=60,
    )
    backfill_start, indirect_selection, arguments = (tmp_path / "seen").read_text().splitlines()
    assert backfill_start == "2026-11-30 00:00:00"
    assert indirect_selection == "buildable"
    assert arguments == "build --quiet"


def test_the_build_stage_spans_every_dbt_step() -> None:
    from types import SimpleNamespace

    from orchestration.progress import Progress

    def event(kind: str, step: str) -> SimpleNamespace:
        return SimpleNamespace(event_type_value=kind, step_key=step, event_specific_data=None)

    out = io.StringIO()
    progress = Progress(out, dbt_nodes=4, dbt_steps=4)
    for step in ("warehouse_dbt_models_2", "warehouse_incremental_models", "warehouse_dbt_models"):
        progress.on_event(event("STEP_START", step))
        progress.on_event(event("ASSET_MATERIALIZATION", step))
        progress.on_event(event("STEP_SUCCESS", step))
        assert out.getvalue() == "", "the build is over only when its last step ends"
    progress.on_event(event("STEP_START", "warehouse_incremental_models_2"))
    progress.on_event(event("ASSET_MATERIALIZATION", "warehouse_incremental_models_2"))
    progress.on_event(event("STEP_SUCCESS", "warehouse_incremental_models_2"))
    (line,) = out.getvalue().splitlines()
    assert line.split()[1] == "build" and "4/4 dbt nodes" in line and " ok " in line


def test_the_build_takes_every_dbt_step_of_the_job(orchestration_env: OrchestrationEnv) -> None:
    from orchestration.definitions import defs
    from orchestration.progress import build_steps

    job = defs.resolve_job_def("warehouse_job")
    dbt_ops = [node.name for node in job.graph.nodes if node.name.startswith(("warehouse_dbt", "warehouse_incr"))]
    assert build_steps(job) == len(dbt_ops) >= 2
