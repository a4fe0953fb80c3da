"""The Dagster definitions: they load, the whole job runs in-process on the ci landing, a crash mid-build (SIGKILL of
the job) leaves serving untouched, no dbt behind and the next run recovers and marks the dead run failed, and a
collapsed landing fails the audit."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from tests.python import orchestration_fixtures
from tests.python.orchestration_fixtures import READER, OrchestrationEnv, file_digest

orchestration_env = orchestration_fixtures.orchestration_env  # the shared session fixture
# The whole Dagster job runs here, twice, for minutes: started first under pytest -n (see conftest).
pytestmark = pytest.mark.long

REPO = Path(__file__).resolve().parents[2]
CRASH_AFTER_SECONDS_MAX = 240


@dataclass
class SessionRun:
    outcome: object
    instance: object
    baseline_digest: str
    digest_after_crash: str
    crash_killed_during_build: bool
    dbt_pids_at_crash: list[int]
    dbt_orphans: list[int]
    runs_left_started: list[str]
    materialized: set[str]
    expected_assets: set[str]
    reader_report: dict


def _defs():
    from orchestration.definitions import defs

    return defs


def test_definitions_load_with_every_mart_grouped_and_owned(orchestration_env: OrchestrationEnv) -> None:
    from dagster import AssetKey

    from orchestration import audit, dbt_assets, raw

    defs = _defs()
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    marts = dbt_assets.mart_nodes()
    assert len(marts) >= 3
    for node in marts:
        key = audit.mart_key(node)
        assert key.to_user_string() in keys, node["name"]
        spec = graph.get(key)
        folder = node["original_file_path"].split("/")[2]
        assert spec.group_name == f"marts_{folder}"
        assert spec.freshness_policy is not None
    assert {"serving_warehouse", "dealer_extracts", "warehouse_built", "shop/orders"} <= keys
    fct_orders = graph.get(AssetKey(["marts", "fct_orders"]))
    assert fct_orders.partitions_def == dbt_assets.daily_partitions
    assert graph.get(AssetKey(["marts", "fct_orders"])).owners == ["team:customer-analytics"]
    assert graph.get(AssetKey("dealer_extracts")).partitions_def.name == "dealers"
    assert len(raw.raw_tables()) == len([k for k in keys if graph.get(AssetKey(k.split("/"))).group_name == "raw"])
    checks = {key.name for key in graph.asset_check_keys}
    assert {f"gx_{node['name']}" for node in marts} <= checks
    assert any(name.startswith("unique_") for name in checks), "dbt tests are asset checks"
    assert defs.resolve_schedule_def("daily_build") is not None
    assert {sensor.name for sensor in defs.sensors} == {"raw_files_sensor", "extracts_after_publish"}


def test_transient_failures_are_told_apart_from_data_errors() -> None:
    from orchestration.dbt_assets import is_transient

    assert is_transient('IO Error: Could not set lock on file "data/warehouse.duckdb": Conflicting lock is held')
    assert not is_transient("Failure in test unique_fct_orders_order_id: Got 3 results, configured to fail if != 0")


@pytest.mark.build  # a full dbt parse (tens of seconds): left to `make test`, out of the fast loop
def test_definitions_parse_the_project_when_no_manifest_exists(tmp_path: Path, monkeypatch) -> None:
    """A fresh clone has no target/: `make run`'s first step parses the project into it (dagster-dbt's preparer)."""
    from orchestration import project

    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.delenv("RW_REUSE_MANIFEST", raising=False)
    manifest = project.prepare_project()
    assert manifest == tmp_path / "target" / "manifest.json"
    assert "model.relationship_warehouse.fct_orders" in json.loads(manifest.read_text())["nodes"]


@pytest.fixture(scope="module")
def session_run(orchestration_env: OrchestrationEnv) -> SessionRun:
    """Publish a baseline, crash a build mid-way (killed by its PID), then run the whole job in-process."""
    from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

    from orchestration import publish, serving
    from orchestration.run import run_whole_job

    env = orchestration_env
    with duckdb.connect(str(env.source_warehouse), read_only=True) as con:
        built = {row[0] for row in con.execute("select table_name from information_schema.tables").fetchall()}
    marts = [mart for mart in serving.marts_to_publish() if mart.name in built]
    publish.publish(env.source_warehouse, env.serving, "baseline", marts)
    baseline = file_digest(env.serving / publish.CURRENT)

    # The whole job killed mid-build with SIGKILL, by its PID alone (`kill -9 <pid>`: no handler runs, its dbt is
    # not signalled by anyone but the kernel's parent-death signal).
    process = subprocess.Popen(
        [sys.executable, "-m", "orchestration.run", "--no-extracts"],
        cwd=REPO,
        env={**os.environ},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    runs_dir = env.target / "runs"
    deadline = time.monotonic() + CRASH_AFTER_SECONDS_MAX
    killed_during_build = False
    dbt_pids: list[int] = []
    while time.monotonic() < deadline and process.poll() is None:
        if env.warehouse.exists() and runs_dir.exists() and any(runs_dir.iterdir()):
            time.sleep(3)  # dbt is writing the warehouse
            dbt_pids = _dbt_children(process.pid)
            killed_during_build = process.poll() is None
            break
        time.sleep(0.5)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    orphans = [pid for pid in dbt_pids if not _gone_within(pid, 15)]
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # clean up whatever outlived the job (the test then fails)
    after_crash = file_digest(env.serving / publish.CURRENT)

    # A BI reader querying current.duckdb read-only through the whole rebuild and publish (bounded).
    reader_out = env.base / "reader_during_job.json"
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            READER,
            str(env.serving / publish.CURRENT),
            str(reader_out),
            "1500",
            "400",
            "0.5",  # a read every half second (each one opens the file: CPU the build shares)
            str(env.base / "job_done"),
        ],
        cwd=REPO,
    )
    instance = DagsterInstance.get()
    left_started = [run.run_id for run in instance.get_runs(filters=RunsFilter(statuses=[DagsterRunStatus.STARTED]))]
    try:
        outcome = run_whole_job(instance=instance)
    finally:
        (env.base / "job_done").touch()
        reader.wait(timeout=60)
    reader_report = json.loads(reader_out.read_text())
    graph = _defs().resolve_asset_graph()
    expected = {key.to_user_string() for key in graph.materializable_asset_keys} - {"dealer_extracts"}
    materialized = {
        record.event_log_entry.dagster_event.asset_key.to_user_string()
        for record in instance.get_records_for_run(outcome.run_id, of_type=_materialization_type(), limit=5000).records
    }
    return SessionRun(
        outcome,
        instance,
        baseline,
        after_crash,
        killed_during_build,
        dbt_pids,
        orphans,
        left_started,
        materialized,
        expected,
        reader_report,
    )


def _dbt_children(pid: int) -> list[int]:
    """Running dbt processes whose parent is `pid` (Linux /proc)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if int(fields[1]) == pid and "dbt" in cmdline and " build" in cmdline:
                children.append(int(stat.parent.name))
    return children


def _gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, IndexError):
            return True
        if state == "Z":  # dead, waiting to be reaped
            return True
        time.sleep(0.2)
    return False


def _materialization_type():
    from dagster import DagsterEventType

    return DagsterEventType.ASSET_MATERIALIZATION


def test_crash_mid_build_leaves_serving_untouched(session_run: SessionRun) -> None:
    assert session_run.crash_killed_during_build, "the build finished before it could be killed"
    assert session_run.digest_after_crash == session_run.baseline_digest


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds dbt through /proc; parent-death signal")
def test_killed_job_leaves_no_dbt_running(session_run: SessionRun) -> None:
    assert session_run.dbt_pids_at_crash, "dbt was running when the job was killed"
    assert session_run.dbt_orphans == [], "dbt kept running after its job was killed"


def test_next_run_marks_the_killed_run_failed(session_run: SessionRun) -> None:
    from dagster import DagsterRunStatus

    assert len(session_run.runs_left_started) == 1, "the killed job's run was left STARTED"
    (killed,) = session_run.runs_left_started
    assert session_run.outcome.abandoned_runs == [killed]
    assert session_run.instance.get_run_by_id(killed).status == DagsterRunStatus.FAILURE


def test_whole_job_runs_in_process_and_materialises_every_asset(session_run: SessionRun) -> None:
    outcome = session_run.outcome
    assert outcome.success, f"{outcome.failure}\n{outcome.failed_checks}"
    assert outcome.published
    missing = session_run.expected_assets - session_run.materialized
    assert not missing, sorted(missing)[:20]
    assert "serving_warehouse" in session_run.materialized


def test_every_check_of_the_job_was_evaluated(session_run: SessionRun) -> None:
    """Every check of the daily job ran in the run: each dbt test in the step Dagster gave its check (none skipped by
    dbt's indirect selection when the dbt assets run in several steps), the GX suites and the source freshness."""
    from dagster import AssetCheckKey, DagsterEventType

    graph = _defs().resolve_asset_graph()
    expected = {key for key in graph.asset_check_keys if key.asset_key.to_user_string() != "dealer_extracts"}
    records = session_run.instance.get_records_for_run(
        session_run.outcome.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION, limit=20000
    ).records
    evaluated = {
        AssetCheckKey(evaluation.asset_key, evaluation.check_name)
        for evaluation in (record.event_log_entry.dagster_event.event_specific_data for record in records)
    }
    missing = sorted(key.to_user_string() for key in expected - evaluated)
    assert not missing, missing[:20]


def test_next_run_recovered_and_published_a_new_version(
    session_run: SessionRun, orchestration_env: OrchestrationEnv
) -> None:
    from orchestration import publish

    current = orchestration_env.serving / publish.CURRENT
    assert current.resolve() == (orchestration_env.serving / session_run.outcome.run_id / publish.CURRENT).resolve()
    assert file_digest(current) != session_run.baseline_digest
    with (
        duckdb.connect(str(current), read_only=True) as con,
        duckdb.connect(str(orchestration_env.source_warehouse), read_only=True) as reference,
    ):
        published = con.execute("select count(*), sum(net_amount_reporting) from marts.fct_orders").fetchone()
        expected = reference.execute("select count(*), sum(net_amount_reporting) from marts.fct_orders").fetchone()
    assert published == expected, "the orchestrated build equals a plain dbt build of the same landing"


def test_bi_reader_saw_one_consistent_version_during_the_rebuild(
    session_run: SessionRun, orchestration_env: OrchestrationEnv
) -> None:
    report = session_run.reader_report
    assert report["errors"] == [], report["errors"][:3]
    assert len(report["answers"]) >= 10
    expected = {}
    for run_id in {run_id for run_id, _ in report["answers"]}:
        with duckdb.connect(str(orchestration_env.serving / run_id / "current.duckdb"), read_only=True) as con:
            expected[run_id] = con.execute("select count(*) from marts.fct_orders").fetchone()[0]
    assert set(expected) <= {"baseline", session_run.outcome.run_id}
    for run_id, rows in report["answers"]:
        assert rows == expected[run_id]


def test_dealer_extracts_hold_only_their_dealer(session_run: SessionRun, orchestration_env: OrchestrationEnv) -> None:
    assert session_run.outcome.extracts_run_id, "the extracts job ran after the publish"
    exports = orchestration_env.exports
    dealers = sorted(path.name for path in exports.iterdir() if path.is_dir())
    assert len(dealers) >= 10
    checked = 0
    for dealer in dealers:
        for path in (exports / dealer).rglob("*.parquet"):
            with duckdb.connect() as con:
                columns = {row[0] for row in con.execute(f"describe select * from read_parquet('{path}')").fetchall()}
                if "dealer_id" not in columns:
                    continue
                other = con.execute(
                    f"select count(*) from read_parquet('{path}') where dealer_id is distinct from ?", [dealer]
                ).fetchone()[0]
            assert other == 0, f"{path} holds rows of another dealer"
            checked += 1
    assert checked >= 10


def test_dealer_extracts_come_from_the_publication_under_a_recorded_key(
    session_run: SessionRun, orchestration_env: OrchestrationEnv
) -> None:
    from orchestration import extracts, publish

    current = (orchestration_env.serving / publish.CURRENT).resolve()
    manifests = [json.loads(path.read_text()) for path in orchestration_env.exports.rglob("manifest.json")]
    assert manifests
    published_run = extracts.published_run_id(current)
    assert {manifest["published_run"] for manifest in manifests} == {published_run} == {session_run.outcome.run_id}
    dev = not os.environ.get(extracts.HMAC_KEY_ENV)
    assert {manifest["hmac_key"]["is_dev_key"] for manifest in manifests} == {dev}
    assert len({manifest["hmac_key"]["fingerprint"] for manifest in manifests}) == 1
    if dev:  # generated once for this data directory, readable by its owner only
        key_file = extracts.dev_key_file(orchestration_env.serving)
        assert key_file.parent == orchestration_env.base
        assert key_file.stat().st_mode & 0o777 == 0o600


def test_collapsed_order_volume_fails_the_audit_and_publishes_nothing(
    session_run: SessionRun, orchestration_env: OrchestrationEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestration import publish
    from orchestration.run import run_whole_job

    broken = orchestration_env.base / "broken_landing" / "raw"
    shutil.copytree(orchestration_env.raw, broken)
    orders = broken / "shop" / "orders"
    files = sorted(orders.glob("*.parquet"))
    for path in files[2:]:
        path.unlink()  # keep the first two months: the order volume collapses
    current = orchestration_env.serving / publish.CURRENT
    before = file_digest(current)
    before_target = current.resolve()
    monkeypatch.setenv("RAW_DATA_DIR", str(broken))
    outcome = run_whole_job(instance=session_run.instance)
    assert not outcome.success
    assert not outcome.published
    assert any("shop/orders" in check and "row_count_vs_previous_load" in check for check in outcome.failed_checks), (
        outcome.failed_checks
    )
    assert file_digest(current) == before
    assert current.resolve() == before_target
