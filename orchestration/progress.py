"""What `python -m orchestration.run` shows a person: one line per stage (landing, build, audit, publish,
extracts) with its time and outcome, a live counter of dbt nodes on a terminal, and nothing else — Dagster's
event log, dbt's output and every warning go to the run's log file.

`progress_logger` is a Dagster logger; `orchestration.run` attaches it (run config `loggers: {progress: {}}`)
while a `Progress` is active, so it sees every Dagster event of the run as it happens."""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

from dagster import InitLoggerContext, logger

STAGES = ("landing", "build", "audit", "publish", "extracts")
# By op name: Dagster runs the two dbt asset definitions in several steps, in dependency order (`warehouse_dbt_models`,
# `warehouse_incremental_models_2`, …), all of them the build. The source-freshness checks are no stage: they never
# block anything, and the summary lists stale sources.
STEP_STAGES = {
    "raw_landing": "landing",
    "warehouse_dbt_models": "build",
    "warehouse_incremental_models": "build",
    "warehouse_built": "audit",
    "gx_mart_suites": "audit",
    "serving_warehouse": "publish",
    "dealer_extracts": "extracts",
}
# A stage is over when its last step ends; the build when its `dbt_steps`-th step ends (or a later stage starts).
LAST_STEPS = {"raw_landing", "gx_mart_suites", "serving_warehouse", "dealer_extracts"}
REFRESH_SECONDS = 1.0


@dataclass
class Stage:
    name: str
    started: float | None = None
    finished: float | None = None
    done: int = 0  # assets materialised and checks evaluated
    passed_checks: int = 0
    warnings: int = 0
    failures: int = 0
    step_failed: bool = False
    note: str = ""
    rows: int = 0  # landed rows (landing)
    observed_tests: set[str] = field(default_factory=set)
    printed: bool = False

    @property
    def seconds(self) -> float:
        if self.started is None:
            return 0.0
        return (self.finished or time.perf_counter()) - self.started

    @property
    def status(self) -> str:
        if self.started is None:
            return "skipped"
        if self.step_failed or self.failures:
            return "FAILED"
        return "ok" if self.finished is not None else "running"


@dataclass
class Progress:
    """Stage lines written to `stream`; on a terminal the running stage's line is redrawn every second."""

    stream: TextIO
    dbt_nodes: int = 0
    live: bool = False
    dbt_steps: int = 1  # steps of the build in the job's plan (build_steps)
    _dbt_steps_ended: int = 0
    stages: dict[str, Stage] = field(default_factory=lambda: {name: Stage(name) for name in STAGES})
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)

    # ------------------------------------------------------------------------------------------------ events
    def on_event(self, event: Any) -> None:
        """Account one Dagster event (a `DagsterEvent`)."""
        step = event.step_key or ""
        stage_name = step_stage(step)
        kind = event.event_type_value
        with self._lock:
            if stage_name is None:
                return
            stage = self.stages[stage_name]
            if kind == "STEP_START" and stage.started is None:
                self._finish_earlier(stage_name)
                stage.started = time.perf_counter()
            elif kind == "ASSET_MATERIALIZATION":
                stage.done += 1
                self._note_materialization(stage, _metadata(event))
            elif kind == "ASSET_OBSERVATION":
                # A dbt test on several models is observed on each of them: one node.
                test = str(_metadata(event).get("unique_id", ""))
                if test not in stage.observed_tests:
                    stage.observed_tests.add(test)
                    stage.done += 1
                    stage.warnings += _metadata(event).get("status") == "warn"
            elif kind == "ASSET_CHECK_EVALUATION":
                stage.done += 1
                evaluation = event.event_specific_data
                if evaluation.passed:
                    stage.passed_checks += 1
                elif getattr(evaluation.severity, "value", "ERROR") == "WARN":
                    stage.warnings += 1
                else:
                    stage.failures += 1
            if kind == "STEP_FAILURE":
                stage.step_failed = True
            if kind in {"STEP_SUCCESS", "STEP_FAILURE"} and stage_name == "build":
                self._dbt_steps_ended += 1
            if kind in {"STEP_SUCCESS", "STEP_FAILURE"} and (
                step in LAST_STEPS or (stage_name == "build" and self._dbt_steps_ended >= self.dbt_steps)
            ):
                stage.finished = time.perf_counter()
                self._print(stage)

    @staticmethod
    def _note_materialization(stage: Stage, metadata: dict[str, Any]) -> None:
        if stage.name == "landing" and isinstance(metadata.get("row_count"), int):
            stage.rows += metadata["row_count"]
            stage.note = f"{stage.rows:,} rows"
        elif stage.name == "publish" and metadata.get("serving_file"):
            name = "/".join(str(metadata["serving_file"]).rsplit("/", 2)[-2:])  # <run id>/current.duckdb
            stage.note = f"current.duckdb -> {name}, {metadata.get('dealers', 0)} dealers"
        elif stage.name == "extracts" and "dealers_written" in metadata:
            skipped = metadata.get("dealers_without_valid_agreement", 0)
            stage.note = f"{metadata['dealers_written']} dealers written, {skipped} without a valid agreement"

    def close(self) -> None:
        """Finish every stage still open and print the lines not printed yet (skipped stages included)."""
        self._stop.set()
        with self._lock:
            for stage in self.stages.values():
                if stage.started is not None and stage.finished is None:
                    stage.finished = time.perf_counter()
            for stage in self.stages.values():
                self._print(stage)

    # ------------------------------------------------------------------------------------------------ display
    def line(self, stage: Stage) -> str:
        number = STAGES.index(stage.name) + 1
        detail = self._detail(stage)
        timing = f"{stage.seconds:6.1f} s" if stage.started is not None else "      -"
        return f"[{number}/{len(STAGES)}] {stage.name:<9} {timing}  {stage.status:<7} {detail}".rstrip()

    def _detail(self, stage: Stage) -> str:
        parts: list[str] = []
        if stage.name == "landing" and stage.started is not None:
            parts.append(f"{stage.done} raw tables")
        elif stage.name == "build" and stage.started is not None:
            total = max(self.dbt_nodes, stage.done)
            parts.append(f"{stage.done}/{total} dbt nodes" if total else f"{stage.done} dbt nodes")
        elif stage.name == "audit" and stage.started is not None:
            checks = stage.passed_checks + stage.warnings + stage.failures
            parts.append(f"{stage.passed_checks}/{checks} GX suites passed")
        if stage.warnings:
            parts.append(f"{stage.warnings} warning{'s' if stage.warnings != 1 else ''}")
        if stage.failures:
            parts.append(f"{stage.failures} failed check{'s' if stage.failures != 1 else ''}")
        if stage.note:
            parts.append(stage.note)
        return ", ".join(parts)

    def _finish_earlier(self, stage_name: str) -> None:
        for name in STAGES[: STAGES.index(stage_name)]:
            earlier = self.stages[name]
            if earlier.started is not None and earlier.finished is None:
                earlier.finished = time.perf_counter()
                self._print(earlier)

    def _print(self, stage: Stage) -> None:
        if stage.printed or stage.status == "running":
            return
        stage.printed = True
        self._write(self.line(stage) + "\n")

    def _write(self, text: str) -> None:
        if self.live:
            text = "\r\x1b[K" + text  # replace the live line
        self.stream.write(text)
        self.stream.flush()

    def _refresh(self) -> None:
        while not self._stop.wait(REFRESH_SECONDS):
            with self._lock:
                running = [stage for stage in self.stages.values() if stage.status == "running"]
                if running:
                    self.stream.write("\r\x1b[K" + self.line(running[-1]))
                    self.stream.flush()

    @contextlib.contextmanager
    def active(self) -> Iterator[Progress]:
        """Receive the events of every run started inside the block (through `progress_logger`)."""
        global _ACTIVE
        _ACTIVE = self
        refresher = threading.Thread(target=self._refresh, daemon=True) if self.live else None
        if refresher:
            refresher.start()
        try:
            yield self
        finally:
            _ACTIVE = None
            self._stop.set()
            if refresher:
                refresher.join(timeout=5)


_ACTIVE: Progress | None = None


def step_stage(step: str) -> str | None:
    """The stage of a step key (`warehouse_dbt_models_3` is the build)."""
    return STEP_STAGES.get(re.sub(r"_\d+$", "", step))


def build_steps(job: Any) -> int:
    """How many steps the build takes in `job` (a Dagster job definition): the dbt asset definitions' ops."""
    return sum(step_stage(node.name) == "build" for node in job.graph.nodes) or 1


def _metadata(event: Any) -> dict[str, Any]:
    """The plain values of a materialization's or observation's metadata ({} when it has none)."""
    data = event.event_specific_data
    recorded = getattr(data, "materialization", None) or getattr(data, "asset_observation", None)
    metadata = getattr(recorded, "metadata", None) or {}
    return {key: getattr(value, "value", value) for key, value in metadata.items()}


class _ProgressHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        if _ACTIVE is not None and event is not None:
            _ACTIVE.on_event(event)


@logger(description="Stage lines of `python -m orchestration.run` (see orchestration.progress); silent otherwise.")
def progress_logger(init_context: InitLoggerContext) -> logging.Logger:
    log = logging.Logger("relationship_warehouse.progress", level=logging.DEBUG)
    log.addHandler(_ProgressHandler())
    return log
