"""One writer of a data directory at a time, no child process outliving a killed job, abandoned Dagster runs
marked failed, and output for a person (stage lines; a summary that keeps warnings apart from failures and never
contradicts itself). Fast: no build here (the crash of a real build is in test_orchestration)."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

REPO = Path(__file__).resolve().parents[2]
HOLD = """
import sys, time
from orchestration import lock
with lock.data_lock(what=sys.argv[1]):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "WAREHOUSE_PATH": str(tmp_path / "data" / "warehouse.duckdb"),
        "RAW_DATA_DIR": str(tmp_path / "data" / "raw"),
        "SERVING_DIR": str(tmp_path / "data" / "serving"),
        "EXPORTS_DIR": str(tmp_path / "data" / "exports"),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
    }


def _hold_lock(tmp_path: Path, what: str, seconds: float = 60) -> subprocess.Popen:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, what, str(seconds)],
        cwd=REPO,
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    return holder


def _alive(pid: int) -> bool:
    """True while `pid` runs (a zombie waiting to be reaped counts as dead)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def _signal_state(pid: int) -> str:
    """The state, parent and signal masks of a process, from /proc (what a failure message needs)."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except FileNotFoundError:
        return "gone"
    keep = ("State", "PPid", "SigPnd", "ShdPnd", "SigBlk", "SigIgn", "SigCgt")
    return ", ".join(line.replace("\t", " ") for line in lines if line.split(":")[0] in keep)


def _wait_gone(pid: int, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.1)
    return False


def test_second_whole_job_exits_at_once_naming_the_first(tmp_path: Path) -> None:
    holder = _hold_lock(tmp_path, "the first run")
    try:
        started = time.monotonic()
        second = subprocess.run(
            [sys.executable, "-m", "orchestration.run", "--simulate", "ci", "--no-extracts"],
            cwd=REPO,
            env=_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=120,
        )
        elapsed = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert second.returncode == 75, second.stderr
    assert "Another run is writing" in second.stderr and "the first run" in second.stderr
    assert f"pid {holder.pid}" in second.stderr
    assert elapsed < 60, "refused before loading Dagster"
    assert not (tmp_path / "data" / "raw").exists(), "the second run's simulator must not touch the landing"
    assert not (tmp_path / "data" / "logs").exists()


def test_locked_make_commands_refuse_then_queue_behind_a_killed_holder(tmp_path: Path) -> None:
    marker = tmp_path / "written"
    write = [sys.executable, "-m", "orchestration.lock", "--", sys.executable, "-c", f"open({str(marker)!r}, 'w')"]
    holder = _hold_lock(tmp_path, "make build")
    try:
        refused = subprocess.run(write, cwd=REPO, env=_env(tmp_path), capture_output=True, text=True, timeout=60)
        assert refused.returncode == 75
        assert "make build" in refused.stderr and not marker.exists()
        queued = subprocess.Popen(
            [*write[:3], "--wait", "60", *write[3:]], cwd=REPO, env=_env(tmp_path), stderr=subprocess.PIPE, text=True
        )
        time.sleep(2)
        assert queued.poll() is None and not marker.exists(), "waits while the lock is held"
        os.kill(holder.pid, signal.SIGKILL)  # the kernel releases a killed holder's lock
        assert queued.wait(timeout=60) == 0, queued.stderr.read()
        assert marker.exists()
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux only")
def test_children_die_with_a_killed_parent(tmp_path: Path) -> None:
    """SIGKILL of the process that started them (no handler runs): the dbt wrapper's dbt and the lock command's
    child are gone within seconds, also when the starter blocked SIGTERM."""
    fake_dbt = tmp_path / "fake_dbt"
    fake_dbt.write_text(f"#!/bin/sh\necho $$ > {tmp_path}/dbt.pid\nexec sleep 120\n")
    fake_dbt.chmod(0o755)
    parents = {
        "dbt wrapper": [
            sys.executable,
            "-c",
            "import subprocess, sys, time; subprocess.Popen([sys.argv[1], 'build']); time.sleep(120)",
            str(REPO / "orchestration" / "bin" / "dbt"),
        ],
        "lock command": [sys.executable, "-m", "orchestration.lock", "--", str(fake_dbt)],
        # a starter that blocks SIGTERM (a mask its children inherit across exec): dbt still dies with it
        "dbt wrapper started with SIGTERM blocked": [
            sys.executable,
            "-c",
            "import signal, subprocess, sys, time; signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM});"
            " subprocess.Popen([sys.argv[1], 'build']); time.sleep(120)",
            str(REPO / "orchestration" / "bin" / "dbt"),
        ],
    }
    for name, command in parents.items():
        pid_file = tmp_path / "dbt.pid"
        pid_file.unlink(missing_ok=True)
        parent = subprocess.Popen(command, cwd=REPO, env={**_env(tmp_path), "RW_DBT_EXECUTABLE": str(fake_dbt)})
        deadline = time.monotonic() + 30
        while not (pid_file.exists() and pid_file.read_text().strip()) and time.monotonic() < deadline:
            time.sleep(0.1)
        child = int(pid_file.read_text())
        assert _alive(child), name
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        gone = _wait_gone(child)
        state = "" if gone else _signal_state(child)
        if not gone:
            os.kill(child, signal.SIGKILL)
        assert gone, f"{name}: its child outlived it ({state})"


def test_runs_left_started_under_the_lock_are_marked_failed(tmp_path: Path) -> None:
    from dagster import DagsterInstance, DagsterRun, DagsterRunStatus

    from orchestration.run import LOCK_TAG, PID_TAG, fail_abandoned_runs

    lock_file = tmp_path / ".run.lock"
    with DagsterInstance.ephemeral() as instance:
        abandoned = DagsterRun(
            job_name="warehouse_job",
            run_id="a" * 8 + "-0000-0000-0000-" + "0" * 12,
            status=DagsterRunStatus.STARTED,
            tags={LOCK_TAG: str(lock_file), PID_TAG: "4242"},
        )
        elsewhere = DagsterRun(
            job_name="warehouse_job",
            run_id="b" * 8 + "-0000-0000-0000-" + "0" * 12,
            status=DagsterRunStatus.STARTED,
            tags={LOCK_TAG: str(tmp_path / "other" / ".run.lock"), PID_TAG: "4343"},
        )
        finished = DagsterRun(
            job_name="warehouse_job",
            run_id="c" * 8 + "-0000-0000-0000-" + "0" * 12,
            status=DagsterRunStatus.SUCCESS,
            tags={LOCK_TAG: str(lock_file)},
        )
        for run in (abandoned, elsewhere, finished):
            instance.add_run(run)
        assert fail_abandoned_runs(instance, lock_file) == [abandoned.run_id]
        assert instance.get_run_by_id(abandoned.run_id).status == DagsterRunStatus.FAILURE
        assert instance.get_run_by_id(elsewhere.run_id).status == DagsterRunStatus.STARTED
        assert instance.get_run_by_id(finished.run_id).status == DagsterRunStatus.SUCCESS
        assert fail_abandoned_runs(instance, lock_file) == []


def test_project_writes_a_dagster_yaml_without_telemetry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dagster import DagsterInstance

    from orchestration.run import ensure_dagster_home

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    ensure_dagster_home()
    with DagsterInstance.get() as instance:
        assert not instance.telemetry_enabled
        assert instance.run_monitoring_enabled
        assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 1
    (tmp_path / "home" / "dagster.yaml").write_text("telemetry:\n  enabled: true\n")
    ensure_dagster_home()
    assert "enabled: true" in (tmp_path / "home" / "dagster.yaml").read_text(), "a user's file is kept"


def _event(kind: str, step: str, **data) -> SimpleNamespace:
    return SimpleNamespace(event_type_value=kind, step_key=step, event_specific_data=SimpleNamespace(**data))


def _check(step: str, passed: bool, severity: str, name: str = "a_check") -> SimpleNamespace:
    event = _event(
        "ASSET_CHECK_EVALUATION",
        step,
        passed=passed,
        severity=SimpleNamespace(value=severity),
        asset_key=SimpleNamespace(to_user_string=lambda: "marts/fct_orders"),
        check_name=name,
        description="3 rows",
    )
    event.asset_key = event.event_specific_data.asset_key
    return event


def test_stage_lines_count_warnings_apart_and_mark_skipped_stages() -> None:
    from orchestration.progress import Progress

    out = io.StringIO()
    progress = Progress(out, dbt_nodes=5)
    events = [
        _event("STEP_START", "raw_landing"),
        _event("ASSET_MATERIALIZATION", "raw_landing", materialization=SimpleNamespace(metadata={"row_count": 1200})),
        _event("ASSET_MATERIALIZATION", "raw_landing", materialization=SimpleNamespace(metadata={"row_count": 34})),
        _event("STEP_SUCCESS", "raw_landing"),
        _event("STEP_START", "warehouse_dbt_models"),
        _event("ASSET_MATERIALIZATION", "warehouse_dbt_models"),
        _check("warehouse_dbt_models", True, "ERROR"),
        _check("warehouse_dbt_models", False, "WARN"),
        *[  # a singular test on two models: observed on each, one node, one warning
            _event("ASSET_OBSERVATION", "warehouse_dbt_models", asset_observation=SimpleNamespace(metadata=metadata))
            for metadata in [{"unique_id": "test.p.assert_x", "status": "warn"}] * 2
        ],
        _event("STEP_SUCCESS", "warehouse_dbt_models"),
        _event("STEP_START", "warehouse_built"),
        _event("STEP_SUCCESS", "warehouse_built"),
        _event("STEP_START", "gx_mart_suites"),
        _check("gx_mart_suites", True, "ERROR"),
        _check("gx_mart_suites", False, "ERROR"),
        _event("STEP_SUCCESS", "gx_mart_suites"),
    ]
    for event in events:
        progress.on_event(event)
    progress.close()
    lines = out.getvalue().splitlines()
    assert [line.split()[1] for line in lines] == ["landing", "build", "audit", "publish", "extracts"]
    assert " ok " in lines[0] and "2 raw tables, 1,234 rows" in lines[0]
    assert "4/5 dbt nodes" in lines[1] and "2 warnings" in lines[1] and " ok " in lines[1]
    assert "FAILED" in lines[2] and "1/2 GX suites passed" in lines[2] and "1 failed check" in lines[2]
    assert "skipped" in lines[3] and "skipped" in lines[4]


def test_summary_keeps_warnings_apart_and_never_contradicts_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestration.run import JobOutcome, _account_events, summary_lines

    for key, value in _env(tmp_path).items():
        monkeypatch.setenv(key, value)
    serving = tmp_path / "data" / "serving"
    serving.mkdir(parents=True)
    (serving / "run1.duckdb").write_bytes(b"")
    (serving / "current.duckdb").symlink_to("run1.duckdb")

    published = JobOutcome(True, "run1", 12.0)
    _account_events(
        published,
        [
            _check("warehouse_dbt_models", False, "WARN", "warn_severity_test"),
            _check("warehouse_dbt_models", True, "ERROR"),
            SimpleNamespace(
                event_type_value="ASSET_MATERIALIZATION",
                asset_key=SimpleNamespace(to_user_string=lambda: "serving_warehouse"),
                step_key="serving_warehouse",
            ),
        ],
    )
    observed = {
        "status": SimpleNamespace(value="warn"),
        "unique_id": SimpleNamespace(value="test.relationship_warehouse.assert_y"),
        "dagster_dbt/failed_row_count": SimpleNamespace(value=2),
    }
    observation = _event(
        "ASSET_OBSERVATION", "warehouse_dbt_models", asset_observation=SimpleNamespace(metadata=observed)
    )
    _account_events(published, [observation, observation])  # one singular test observed on two models
    assert published.published and not published.failed_checks
    assert published.warnings == ["marts/fct_orders:warn_severity_test: 3 rows", "assert_y: warn (2 rows)"]
    text = "\n".join(summary_lines(published, str(tmp_path / "dagster_home"), tmp_path / "run.log"))
    assert text.startswith("Published.")
    assert "NOT published" not in text and "nothing was published" not in text and "Failures" not in text
    assert "Warnings (2; a warning never blocks the publish):" in text and "warn_severity_test" in text
    assert text.endswith(f"Full log: {tmp_path / 'run.log'}")

    blocked = JobOutcome(False, "run2", 12.0)
    _account_events(blocked, [_check("gx_mart_suites", False, "ERROR", "gx_fct_orders")])
    lines = summary_lines(blocked, str(tmp_path / "dagster_home"))
    assert lines[0].startswith("NOT published. BI tools keep reading the last good data")
    assert "Published." not in "\n".join(lines)
    assert lines[1] == "Failures (1):" and "gx_fct_orders" in lines[2]


def test_terminal_shows_a_live_counter_while_the_build_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestration import progress as progress_module
    from orchestration.progress import Progress

    monkeypatch.setattr(progress_module, "REFRESH_SECONDS", 0.05)
    out = io.StringIO()
    progress = Progress(out, dbt_nodes=10, live=True)
    with progress.active():
        progress.on_event(_event("STEP_START", "warehouse_dbt_models"))
        for _ in range(3):
            progress.on_event(_event("ASSET_MATERIALIZATION", "warehouse_dbt_models"))
        time.sleep(0.5)
        live = out.getvalue()
        progress.on_event(_event("STEP_SUCCESS", "warehouse_dbt_models"))
    progress.close()
    assert "\r\x1b[K[2/5] build" in live and "running 3/10 dbt nodes" in live
    final = out.getvalue().split("\r\x1b[K")
    printed = [part.split()[1] for part in final if part.endswith("\n")]
    assert printed == ["build", "landing", "audit", "publish", "extracts"]  # the skipped ones when closed


def test_a_spark_run_without_dbt_spark_names_the_environment_to_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import importlib.util

    from orchestration import run

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    monkeypatch.setenv("DBT_TARGET", "spark")
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "dbt.adapters.spark" else real_find_spec(name, *a)
    )
    assert run.main(["--no-extracts"]) == 2
    assert ".venv-spark/bin/python -m orchestration.run" in capsys.readouterr().err
