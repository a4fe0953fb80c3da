"""Every dbt model, seed and snapshot as a Dagster asset (dagster-dbt), dbt tests as asset checks.

One `DbtProject` at the repo root. The translator derives asset groups from dbt folders and owners from
`meta.owner`, never from model names. The dbt assets are daily-partitioned for the incremental facts: a run for
a range of days passes its first day to dbt, which makes `incremental_cutoff()` reprocess every row loaded since.
"""

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetSpec,
    BackfillPolicy,
    DailyPartitionsDefinition,
    Failure,
    FreshnessPolicy,
    RetryRequested,
)
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from orchestration import landing, lock, settings

# Daily partitions of the incremental facts start with the simulator's first day of history.
PARTITIONS_START = "2024-11-01"
# A mart that has not been rebuilt within this many hours is stale (the daily schedule runs at 05:00 UTC);
# a model may set its own in `meta: {freshness_hours: N}`.
DEFAULT_FRESHNESS_HOURS = 26
# Messages of dbt/DuckDB failures that are transient (another process holds the file): retried, unlike data errors.
TRANSIENT_MARKERS = ("Could not set lock on file", "Conflicting lock is held", "database is locked", "IO Error")
MAX_TRANSIENT_RETRIES = 3
# A dbt step waits this long for another writer of the data directory (a `make build`, or a whole job started
# outside Dagster) before it fails; inside `python -m orchestration.run` the job already holds the lock.
DBT_STEP_LOCK_WAIT_SECONDS = 3600
# dbt as Dagster starts it: a wrapper that execs the real dbt (RW_DBT_EXECUTABLE) tied to the run's process, so
# dbt dies with it even when the run is killed with SIGKILL (no orphan left writing the warehouse).
DBT_WRAPPER = settings.REPO / "orchestration" / "bin" / "dbt"

daily_partitions = DailyPartitionsDefinition(start_date=PARTITIONS_START)

_DBT_PROJECT_FILES = ("models", "seeds", "macros", "snapshots", "tests", "dbt_project.yml")


def _newest_source_mtime(repo: Path) -> float:
    newest = 0.0
    for name in _DBT_PROJECT_FILES:
        path = repo / name
        paths = [path] if path.is_file() else path.rglob("*") if path.exists() else []
        for file in paths:
            if file.is_file() and file.suffix in {".sql", ".yml", ".yaml", ".csv", ".md"}:
                newest = max(newest, file.stat().st_mtime)
    return newest


def ensure_manifest() -> Path:
    """Parse the dbt project when its manifest is missing or older than any project file; return its path.

    Runs at definitions load time (`dagster dev`, `dagster job execute`, in-process runs, tests), so a fresh
    clone needs no extra step. A file lock keeps concurrent loaders (webserver, daemon, run workers) from
    parsing into the same folder at once."""
    target = settings.dbt_target_path()
    target.mkdir(parents=True, exist_ok=True)
    manifest = target / "manifest.json"
    with open(target / ".parse.lock", "w") as parse_lock:
        fcntl.flock(parse_lock, fcntl.LOCK_EX)
        reuse = os.environ.get("RW_REUSE_MANIFEST") == "1"  # trust an existing manifest (CI, repeated loads)
        if manifest.exists() and (reuse or manifest.stat().st_mtime >= _newest_source_mtime(settings.REPO)):
            return manifest
        dbt = Path(sys.executable).parent / "dbt"
        result = subprocess.run(
            [str(dbt), "parse", "--quiet", "--target-path", str(target), "--log-path", str(target / "logs")],
            cwd=settings.REPO,
            env=settings.dbt_env(),
            capture_output=True,
            text=True,
            preexec_fn=lock.die_with_parent,
        )
        if result.returncode != 0:
            raise RuntimeError(f"dbt parse failed:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}")
    return manifest


@cache
def load_manifest() -> dict[str, Any]:
    """The parsed dbt manifest (parsing first when needed)."""
    return json.loads(ensure_manifest().read_text())


def mart_nodes(manifest: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every enabled model under models/marts/, from the manifest (the marts set grows; never hard-code it)."""
    manifest = manifest or load_manifest()
    return sorted(
        (
            node
            for node in manifest["nodes"].values()
            if node["resource_type"] == "model"
            and node["original_file_path"].startswith("models/marts/")
            and node["config"].get("enabled", True)
        ),
        key=lambda node: node["name"],
    )


def semantic_layer_nodes(manifest: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every enabled model under models/semantic/ (the semantic layer's calendar), published with the marts so
    metrics are answered from the serving file."""
    manifest = manifest or load_manifest()
    return sorted(
        (
            node
            for node in manifest["nodes"].values()
            if node["resource_type"] == "model"
            and node["original_file_path"].startswith("models/semantic/")
            and node["config"].get("enabled", True)
        ),
        key=lambda node: node["name"],
    )


def pii_columns(node: Mapping[str, Any]) -> set[str]:
    """Columns of a model tagged `pii` (tags or meta) in its YAML."""
    return {
        name
        for name, column in node.get("columns", {}).items()
        if "pii" in column.get("tags", []) or column.get("meta", {}).get("pii")
    }


class WarehouseTranslator(DagsterDbtTranslator):
    """Groups from dbt folders (`marts_customers`, `staging_shop`, `reference`), owners from `meta.owner`,
    freshness on marts."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        resource_type = dbt_resource_props["resource_type"]
        if resource_type == "seed":
            return "reference"
        if resource_type == "snapshot":
            return "snapshots"
        if resource_type == "source":
            return "raw"
        # fqn: [project, layer, domain, ..., name]
        fqn = dbt_resource_props["fqn"]
        folders = fqn[1:-1]
        return "_".join(folders[:2]) if folders else "models"

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str] | None:
        meta = {**dbt_resource_props.get("config", {}).get("meta", {}), **dbt_resource_props.get("meta", {})}
        owner = meta.get("owner")
        if not owner:
            return None
        owners = owner if isinstance(owner, list) else [owner]
        return [name if "@" in name or name.startswith("team:") else f"team:{name}" for name in owners]

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None) -> AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] == "model" and props["original_file_path"].startswith("models/marts/"):
            meta = {**props.get("config", {}).get("meta", {}), **props.get("meta", {})}
            hours = float(meta.get("freshness_hours", DEFAULT_FRESHNESS_HOURS))
            spec = spec.replace_attributes(
                freshness_policy=FreshnessPolicy.time_window(fail_window=timedelta(hours=hours))
            )
        return spec


translator = WarehouseTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))
settings.export_dbt_env()
dbt_project = DbtProject(
    project_dir=settings.REPO,
    target_path=settings.dbt_target_path(),
    profiles_dir=settings.REPO / "profiles",
)
MANIFEST_PATH = ensure_manifest()


def is_transient(text: str) -> bool:
    """True when a dbt failure is another process holding the DuckDB file, not bad data."""
    return any(marker in text for marker in TRANSIENT_MARKERS)


KEEP_RUN_TARGETS = 5


def run_target_path(run_id: str) -> Path:
    """One dbt target folder per Dagster run, shared by the run's dbt steps and seeded with the project's
    partial-parse file, so each step re-uses the parse instead of parsing the whole project again."""
    runs = settings.dbt_target_path() / "runs"
    target = runs / run_id[:8]
    if not target.exists():
        target.mkdir(parents=True)
        partial = settings.dbt_target_path() / "partial_parse.msgpack"
        if partial.exists():
            shutil.copy2(partial, target / partial.name)
        old = sorted((path for path in runs.iterdir() if path.is_dir()), key=lambda path: path.stat().st_mtime)
        for path in old[:-KEEP_RUN_TARGETS]:
            shutil.rmtree(path, ignore_errors=True)
    return target


def _run_dbt(context: AssetExecutionContext, dbt: DbtCliResource, extra_args: list[str]) -> Iterator[Any]:
    what = f"Dagster run {context.run_id} (dbt build)"
    with contextlib.ExitStack() as held:
        try:
            held.enter_context(lock.data_lock(0, what=what))
        except lock.DataDirectoryBusy as busy:
            context.log.warning(f"{busy} Waiting up to {DBT_STEP_LOCK_WAIT_SECONDS} s.")
            try:
                held.enter_context(lock.data_lock(DBT_STEP_LOCK_WAIT_SECONDS, what=what))
            except lock.DataDirectoryBusy as error:
                raise Failure(description=str(error), allow_retries=False) from error
        invocation = dbt.cli(
            ["build", "--exclude-resource-type", "unit_test", *extra_args],
            context=context,
            raise_on_error=False,
            target_path=run_target_path(context.run_id),
        )
        yield from invocation.stream()
        if invocation.is_successful():
            landing.mark_built()  # the next build may append to this one (see landing.prepare_build)
            return
    log_text = str(invocation.get_error())
    log_file = invocation.target_path / "dbt.log"
    if log_file.exists():
        log_text += log_file.read_text(errors="replace")[-20000:]
    if is_transient(log_text):
        raise RetryRequested(max_retries=MAX_TRANSIENT_RETRIES, seconds_to_wait=5)
    failed = [
        f"{result['unique_id']}: {result['status']} {result.get('message') or ''}".strip()
        for result in invocation.get_artifact("run_results.json").get("results", [])
        if result["status"] in {"error", "fail"}
    ]
    raise Failure(
        description="dbt build failed (data or model error; not retried):\n" + "\n".join(failed[:20]),
        metadata={"failed_nodes": len(failed)},
        allow_retries=False,
    )


@dbt_assets(
    manifest=MANIFEST_PATH,
    project=dbt_project,
    dagster_dbt_translator=translator,
    partitions_def=daily_partitions,
    backfill_policy=BackfillPolicy.single_run(),
    name="warehouse_dbt_models",
)
def warehouse_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    """Seeds, staging, intermediate, marts and snapshots with their dbt tests, in one `dbt build`.

    Daily partitions (of `loaded_at`) drive the incremental facts: a run for days [start, end] reprocesses every
    row loaded since `start` (delete+insert makes that idempotent), so a backfill of a date range is one run;
    the daily schedule runs yesterday's partition, which is the usual lookback. Table and view models are rebuilt
    whole whatever the partition. (One op for the whole project: separate partitioned and unpartitioned dbt
    assets made Dagster split the build into four dbt invocations, each paying dbt's start-up.)
    `incremental_cutoff()` reads the start from DBT_BACKFILL_START (or the `backfill_start` var)."""
    window = context.partition_time_window
    # Passed through the environment rather than --vars, so dbt can re-use its partial parse.
    previous = os.environ.get("DBT_BACKFILL_START")
    os.environ["DBT_BACKFILL_START"] = window.start.strftime("%Y-%m-%d %H:%M:%S")
    try:
        yield from _run_dbt(context, dbt, [])
    finally:
        if previous is None:
            os.environ.pop("DBT_BACKFILL_START", None)
        else:
            os.environ["DBT_BACKFILL_START"] = previous


def dbt_resource() -> DbtCliResource:
    """The dbt CLI resource for the project (profiles in profiles/, paths from the environment); dbt runs through
    DBT_WRAPPER, so it never outlives the process of the run."""
    os.environ.setdefault("RW_DBT_EXECUTABLE", str(Path(sys.executable).parent / "dbt"))
    return DbtCliResource(
        project_dir=dbt_project,
        profiles_dir=str(settings.REPO / "profiles"),
        dbt_executable=str(DBT_WRAPPER),
    )
