"""Run the whole job through Dagster, in-process: land (optionally simulate) → dbt build → GX audit → publish →
dealer extracts. Used by `make run`.

    python -m orchestration.run [--simulate demo|ci] [--seed 42] [--faults] [--partition YYYY-MM-DD]
                                [--no-extracts] [--wait SECONDS]

The terminal shows one line per stage with its time (a live dbt node counter on a terminal) and a summary:
published or not, failures apart from warnings, where BI tools and dealers read. Everything else — Dagster's
event log, dbt's output, warnings — goes to a log file under <data dir>/logs/ whose path is printed first.

One run at a time: the job holds the data directory's lock (orchestration.lock); a second run exits at once
naming the first, or queues behind it with --wait. A run left STARTED by a job that died (killed, power cut) is
marked failed by the next one. dbt dies with the job.

The landing is checked first (every problem listed at once; nothing runs when there is one), and the build
warehouse starts afresh unless the landing appends to the one it was built from (orchestration.landing).

The dbt project is parsed first (dagster-dbt's preparer, `dbt parse`) unless RW_REUSE_MANIFEST=1, so a fresh
clone needs no other step; the definitions only read the manifest.

Runs are recorded in the Dagster instance of DAGSTER_HOME (default .dagster_home/, created with the project's
dagster.yaml if missing), so `dagster dev` shows them and the raw volume check compares with the previous load.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.util
import os
import sys
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from orchestration import landing, lock, settings

# Tags on the runs this module starts: which process ran them, and under which data-directory lock.
PID_TAG = "relationship_warehouse/pid"
LOCK_TAG = "relationship_warehouse/lock"
KEEP_LOGS = 20
# The source-freshness checks (orchestration.freshness.CHECK_NAME): listed apart, since they never block anything.
SOURCE_FRESHNESS_CHECK = "dbt_source_freshness"
DAGSTER_YAML = """\
# Dagster instance of the Relationship Warehouse, written by orchestration.run when missing (edit freely; it is
# not overwritten). Run history and event logs are kept in SQLite files in this folder.
telemetry:
  enabled: false
# One run at a time (DuckDB allows one writer): runs launched by `dagster dev` (schedule, sensors, UI) queue.
concurrency:
  runs:
    max_concurrent_runs: 1
# The daemon marks a run failed when the process running it died.
run_monitoring:
  enabled: true
"""


@dataclass
class JobOutcome:
    success: bool
    run_id: str
    seconds: float
    failed_checks: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    failure: str = ""
    stale_sources: list[str] = field(default_factory=list)
    extracts_run_id: str = ""
    extracts_seconds: float = 0.0
    published: bool = False
    abandoned_runs: list[str] = field(default_factory=list)


def ensure_dagster_home() -> str:
    """DAGSTER_HOME (default .dagster_home/), created with the project's dagster.yaml when it has none."""
    home = os.environ.get("DAGSTER_HOME") or str(settings.REPO / ".dagster_home")
    os.makedirs(home, exist_ok=True)
    os.environ["DAGSTER_HOME"] = home
    config = Path(home) / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    return home


def fail_abandoned_runs(instance: Any, lock_file: Path) -> list[str]:
    """Mark failed every run this module started under `lock_file` that is still in progress. Called with the
    lock held, so their processes are gone (a live one would hold the lock); returns their run ids."""
    from dagster import DagsterRunStatus, RunsFilter

    in_progress = [DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.STARTED]
    abandoned = instance.get_runs(filters=RunsFilter(statuses=in_progress, tags={LOCK_TAG: str(lock_file)}))
    for run in abandoned:
        instance.report_run_failed(
            run,
            message=f"The process running this run (pid {run.tags.get(PID_TAG, '?')}) died before it finished; "
            "marked failed by the next run.",
        )
    return [run.run_id for run in abandoned]


def run_whole_job(
    simulate: str = "",
    seed: int = 42,
    faults: bool = False,
    partition: str | None = None,
    instance: Any = None,
    extracts: bool = True,
    progress: Any = None,
    wait_seconds: float = 0.0,
) -> JobOutcome:
    """Execute warehouse_job (and then dealer_extracts_job when something was published) in-process, holding the
    data directory's lock (raises lock.DataDirectoryBusy when another run holds it beyond `wait_seconds`).
    With a `progress` (orchestration.progress.Progress) the runs report their events to it as they happen."""
    with lock.data_lock(wait_seconds) as lock_file:
        from dagster import DagsterInstance

        from orchestration.dbt_assets import daily_partitions
        from orchestration.definitions import defs
        from orchestration.serving import dealer_partitions

        instance = instance or DagsterInstance.get()
        abandoned = fail_abandoned_runs(instance, lock_file)
        partition = partition or daily_partitions.get_last_partition_key()
        tags = {PID_TAG: str(os.getpid()), LOCK_TAG: str(lock_file)}
        loggers = {"loggers": {"console": {"config": {"log_level": "DEBUG"}}, "progress": {}}} if progress else {}
        job = defs.resolve_job_def("warehouse_job")
        started = time.perf_counter()
        result = job.execute_in_process(
            instance=instance,
            partition_key=partition,
            run_config={
                "ops": {
                    "raw_landing": {"config": {"simulate_profile": simulate, "seed": seed, "faults": faults}}
                },
                **loggers,
            },
            tags=tags,
            raise_on_error=False,
        )
        outcome = JobOutcome(result.success, result.run_id, time.perf_counter() - started, abandoned_runs=abandoned)
        _account_events(outcome, result.all_events)
        if not (outcome.published and extracts):
            return outcome
        dealers = instance.get_dynamic_partitions(dealer_partitions.name)
        if dealers:
            extracts_started = time.perf_counter()
            extracts_result = defs.resolve_job_def("dealer_extracts_job").execute_in_process(
                instance=instance,
                run_config=loggers,
                tags={
                    **tags,
                    "dagster/asset_partition_range_start": dealers[0],
                    "dagster/asset_partition_range_end": dealers[-1],
                },
                raise_on_error=False,
            )
            outcome.extracts_run_id = extracts_result.run_id
            outcome.extracts_seconds = time.perf_counter() - extracts_started
            outcome.success = outcome.success and extracts_result.success
            _account_events(outcome, extracts_result.all_events)
            if not extracts_result.success and not outcome.failure:
                outcome.failure += "dealer_extracts_job failed\n"
        return outcome


def _account_events(outcome: JobOutcome, events: Any) -> None:
    """Failed checks (severity ERROR: they block the publish), warnings (severity WARN: they never do), step
    failures and whether the serving file was published, from a run's events."""
    for event in events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if not evaluation.passed:
                description = (evaluation.description or "").strip()
                text = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
                text += f": {description[:300]}" if description else ""
                if evaluation.check_name == SOURCE_FRESHNESS_CHECK:
                    outcome.stale_sources.append(text)
                elif evaluation.severity.value == "WARN":
                    outcome.warnings.append(text)
                else:
                    outcome.failed_checks.append(text)
        if event.event_type_value == "ASSET_OBSERVATION":
            # dbt tests on several models are observations (one per model); a warn-severity one is a warning.
            metadata = event.event_specific_data.asset_observation.metadata
            status, test = metadata.get("status"), metadata.get("unique_id")
            if status is not None and status.value == "warn" and test is not None:
                text = f"{test.value.rsplit('.', 1)[-1]}: warn"
                failed_rows = metadata.get("dagster_dbt/failed_row_count")
                text += f" ({failed_rows.value} rows)" if failed_rows is not None else ""
                if text not in outcome.warnings:
                    outcome.warnings.append(text)
        if event.event_type_value == "STEP_FAILURE":
            outcome.failure += f"{event.step_key}: {event.event_specific_data.error.message[:1500]}\n"
        if (
            event.event_type_value == "ASSET_MATERIALIZATION"
            and event.asset_key.to_user_string() == "serving_warehouse"
        ):
            outcome.published = True


def summary_lines(outcome: JobOutcome, home: str, log_file: Path | None = None) -> list[str]:
    """The closing summary: what was published (or why nothing was), failures, then warnings, then where
    everything is. Never says "nothing was published" of a run that published."""
    from orchestration import summary

    current = settings.serving_current()
    lines: list[str] = []
    if outcome.published:
        lines.append(f"Published. Point a BI tool (DuckDB driver, read-only) at: {current}")
        lines.append(f"  -> {os.readlink(current)}; marts in schema `marts`, PII columns dropped.")
    elif current.exists():
        lines.append(f"NOT published. BI tools keep reading the last good data: {current} -> {os.readlink(current)}")
    else:
        lines.append("NOT published, and nothing was published before: BI tools have no serving file yet.")
    failures = [f"check {check}" for check in outcome.failed_checks]
    failures += [f"step {line}" for line in outcome.failure.strip().splitlines()[:20] if line.strip()]
    if failures:
        lines.append(f"Failures ({len(failures)}" + (", after the publish):" if outcome.published else "):"))
        lines += [f"  - {text}" for text in failures]
    if outcome.warnings:
        lines.append(f"Warnings ({len(outcome.warnings)}; a warning never blocks the publish):")
        lines += [f"  - {text}" for text in outcome.warnings]
    if outcome.stale_sources:
        lines.append(
            f"Stale sources ({len(outcome.stale_sources)}; `dbt source freshness`, which never blocks the publish):"
        )
        lines += [f"  - {text}" for text in outcome.stale_sources[:10]]
        if len(outcome.stale_sources) > 10:
            lines.append(f"  - and {len(outcome.stale_sources) - 10} more (see the log)")
    if outcome.extracts_run_id:
        state = "written to" if outcome.success else "FAILED (see the log); folder"
        lines.append(f"Dealer extracts {state}: {settings.exports_dir()}/<dealer_id>/")
    warehouse = settings.warehouse_path()
    if warehouse.exists():
        lines.append(f"Build warehouse (dbt; analysts read-only, not for BI tools): {warehouse}")
        with contextlib.suppress(Exception):  # a warehouse left unreadable by a failed build has no headline
            lines.append(f"  {summary.headline(warehouse)}")
    for run_id in outcome.abandoned_runs:
        lines.append(f"Run {run_id} had been left in progress by a job that died: marked failed.")
    lines.append(
        f"Dagster run {outcome.run_id} {'succeeded' if outcome.success else 'FAILED'} in {outcome.seconds:.0f} s; "
        f"runs in DAGSTER_HOME={home} (browse them with `make dev`)."
    )
    if log_file is not None:
        lines.append(f"Full log: {log_file}")
    return lines


def new_log_file() -> Path:
    """A fresh log file under <data dir>/logs/ (the newest KEEP_LOGS are kept)."""
    folder = lock.data_dir() / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    for old in sorted(folder.glob("run-*.log"))[:-KEEP_LOGS]:
        old.unlink(missing_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return folder / f"run-{stamp}-{os.getpid()}.log"


@contextlib.contextmanager
def output_to(log_file: Path) -> Iterator[TextIO]:
    """Send this process's stdout and stderr (and so its children's: dbt, the simulator) to `log_file` for the
    block; yield a stream on the original stdout for what a person should see."""
    sys.stdout.flush()
    sys.stderr.flush()
    terminal = os.fdopen(os.dup(1), "w", buffering=1)
    saved = os.dup(1), os.dup(2)
    with open(log_file, "a", buffering=1) as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield terminal
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for descriptor in saved:
                os.close(descriptor)
            terminal.close()


def _dbt_node_count() -> int:
    """dbt nodes a whole build runs (seeds, snapshots, non-ephemeral models, data tests): the counter's total."""
    from orchestration.dbt_assets import load_manifest

    count = 0
    for node in load_manifest()["nodes"].values():
        if not node.get("config", {}).get("enabled", True):
            continue
        if node["resource_type"] in {"seed", "snapshot", "test"}:
            count += 1
        elif node["resource_type"] == "model" and node["config"].get("materialized") != "ephemeral":
            count += 1
    return count


def _run(args: argparse.Namespace, home: str, log_file: Path, terminal: TextIO) -> int:
    from orchestration.progress import Progress, build_steps

    if not args.simulate:
        # Every problem of the landing before Dagster starts (the raw_landing asset checks again, and a simulated
        # landing is checked there once it is written).
        report = landing.check_landing()
        if not report.ok:
            print(landing.format_report(report))
            terminal.write(landing.format_report(report) + "\n")
            return 1
    from orchestration import project

    terminal.write("Parsing the dbt project ... ")
    started = time.perf_counter()
    project.prepare_project()
    terminal.write(f"{time.perf_counter() - started:.1f} s\n")
    terminal.write("Loading the Dagster definitions (dbt manifest, GX suites) ... ")
    started = time.perf_counter()
    import orchestration.definitions  # tens of seconds: said before it starts

    terminal.write(f"{time.perf_counter() - started:.1f} s\n")
    warehouse_job = orchestration.definitions.defs.resolve_job_def("warehouse_job")
    progress = Progress(
        terminal, dbt_nodes=_dbt_node_count(), live=terminal.isatty(), dbt_steps=build_steps(warehouse_job)
    )
    with progress.active():
        outcome = run_whole_job(
            args.simulate, args.seed, args.faults, args.partition, extracts=not args.no_extracts, progress=progress
        )
    progress.close()
    lines = summary_lines(outcome, home, log_file)
    print("\n".join(lines))  # into the log too
    warehouse = settings.warehouse_path()
    if warehouse.exists():
        from orchestration import summary

        with contextlib.suppress(Exception):
            print("\n" + summary.summarise(warehouse))
    terminal.write("\n" + "\n".join(lines) + "\n")
    return 0 if outcome.success else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--simulate", default="", help="simulate this profile into RAW_DATA_DIR/.. first")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--faults", action="store_true")
    parser.add_argument("--partition", default=None, help="day of the incremental facts (default: yesterday)")
    parser.add_argument("--no-extracts", action="store_true")
    parser.add_argument("--wait", type=float, default=0.0, help="seconds to wait for a run in progress (-1: forever)")
    parser.add_argument("--instance-only", action="store_true", help="create DAGSTER_HOME and its dagster.yaml; exit")
    args = parser.parse_args(argv)
    # Like an activated virtualenv: dbt (which dagster-dbt starts by name) is the one beside this Python.
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    home = ensure_dagster_home()
    if args.instance_only:
        return 0
    if settings.dbt_target_name() == "spark" and importlib.util.find_spec("dbt.adapters.spark") is None:
        print(
            "DBT_TARGET=spark needs dbt-spark, which this Python lacks: run the job with the Spark environment's "
            "(make env-spark; .venv-spark/bin/python -m orchestration.run).",
            file=sys.stderr,
        )
        return 2
    what = "orchestration.run " + " ".join(argv if argv is not None else sys.argv[1:])
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(lock.data_lock(0, what=what))
        except lock.DataDirectoryBusy as error:
            if args.wait == 0:
                print(error, file=sys.stderr)
                return lock.BUSY_EXIT_CODE
            print(f"Waiting for the run in progress: {lock.holder(lock.lock_path())}", flush=True)
            try:
                stack.enter_context(lock.data_lock(args.wait, what=what))
            except lock.DataDirectoryBusy as still:
                print(still, file=sys.stderr)
                return lock.BUSY_EXIT_CODE
        log_file = new_log_file()
        source = f"simulate {args.simulate} (seed {args.seed})" if args.simulate else f"landing {settings.raw_dir()}"
        print(f"Whole job: {source} → build → audit → publish → extracts. Full log: {log_file}", flush=True)
        with output_to(log_file) as terminal:
            try:
                return _run(args, home, log_file, terminal)
            except Exception as error:
                traceback.print_exc()
                terminal.write(f"\nThe job stopped with an error: {error!r}\nFull log: {log_file}\n")
                return 1
    return 1


if __name__ == "__main__":
    sys.exit(main())
