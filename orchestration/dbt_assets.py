"""Every dbt model, seed and snapshot as a Dagster asset (dagster-dbt), dbt tests as asset checks.

One `DbtProject` at the repo root. The translator derives asset groups from dbt folders and owners from
`meta.owner`, never from model names. Two `@dbt_assets` share the project: the incremental models
(`config.materialized:incremental`), daily-partitioned — a run for a range of days passes its first day to dbt,
which makes `incremental_cutoff()` reprocess every row loaded since — and everything else (seeds, views, tables,
snapshots), unpartitioned. A singular test on several models is a check on the model its `meta.dagster.ref` names.

The manifest is read from the project's target folder, never written on import outside `dagster dev` (see
orchestration.project).
"""

import contextlib
import json
import shutil
from collections.abc import Iterator, Mapping
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetSpec,
    BackfillPolicy,
    DagsterEventType,
    DailyPartitionsDefinition,
    Failure,
    FreshnessPolicy,
    RetryRequested,
)
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets
from dagster_dbt.asset_utils import get_dbt_test_names_for_check_keys

from orchestration import landing, lock, settings, spark_mirror
from orchestration.project import reuse_manifest, warehouse_project

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
# dbt as Dagster starts it: a wrapper that execs the real dbt tied to the run's process, so dbt dies with it even
# when the run is killed with SIGKILL (no orphan left writing the warehouse). Leading KEY=VALUE arguments are set in
# dbt's environment (the wrapper's docstring says how it finds dbt).
DBT_WRAPPER = settings.REPO / "orchestration" / "bin" / "dbt"
# The dbt selections of the two asset definitions: the incremental models, daily-partitioned, and every other node
# that is an asset, unpartitioned. The second names what it takes rather than excluding the incremental models, since
# an exclusion would drop the tests that read an incremental model too (a singular test on a report that reads
# fct_orders), leaving them in neither definition; test_dagster_definitions proves each dbt asset is in exactly one.
INCREMENTAL_MODELS = "config.materialized:incremental"
UNPARTITIONED_NODES = (
    "resource_type:seed resource_type:snapshot config.materialized:table config.materialized:view"
    " config.materialized:ephemeral"
)

daily_partitions = DailyPartitionsDefinition(start_date=PARTITIONS_START)


@cache
def load_manifest() -> dict[str, Any]:
    """The parsed dbt manifest, from the target folder (see orchestration.project for who writes it)."""
    manifest = warehouse_project().manifest_path
    if not manifest.exists():
        raise FileNotFoundError(
            f"No dbt manifest at {manifest}: `python -m orchestration.run` (make run) and `dagster dev` (make dev) "
            f"parse the project first; elsewhere run `dbt parse --target-path {manifest.parent}`."
        )
    return json.loads(manifest.read_text())


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
dbt_project = warehouse_project()
if not reuse_manifest():
    dbt_project.prepare_if_dev()  # under `dagster dev` only: parse so the UI shows the project as it is now


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


@contextlib.contextmanager
def holding_data_lock(context: Any, what: str) -> Iterator[None]:
    """Hold the data directory's lock for a step that writes the warehouse, waiting up to
    DBT_STEP_LOCK_WAIT_SECONDS for another writer (re-entered at once inside `python -m orchestration.run`)."""
    with contextlib.ExitStack() as held:
        try:
            held.enter_context(lock.data_lock(0, what=what))
        except lock.DataDirectoryBusy as busy:
            context.log.warning(f"{busy} Waiting up to {DBT_STEP_LOCK_WAIT_SECONDS} s.")
            try:
                held.enter_context(lock.data_lock(DBT_STEP_LOCK_WAIT_SECONDS, what=what))
            except lock.DataDirectoryBusy as error:
                raise Failure(description=str(error), allow_retries=False) from error
        yield


def dbt_environment_arguments(variables: Mapping[str, str]) -> list[str]:
    """`KEY=VALUE` arguments the dbt wrapper (DBT_WRAPPER) sets in dbt's environment, so this process's own
    environment is never changed."""
    return [f"{key}={value}" for key, value in variables.items()]


def dbt_asset_keys() -> set[Any]:
    """Every asset key of the two dbt asset definitions."""
    return {*warehouse_incremental_models.keys, *warehouse_dbt_models.keys}


def run_built_every_dbt_asset(context: AssetExecutionContext) -> bool:
    """True when every dbt asset the run selected has been materialised in it: the run's last dbt step has
    finished (its own materialisations are recorded as they stream)."""
    selection = context.run.asset_selection
    wanted = dbt_asset_keys() & set(selection) if selection else dbt_asset_keys()
    records = context.instance.get_records_for_run(
        context.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION, limit=100_000
    ).records
    built = {record.event_log_entry.dagster_event.asset_key for record in records}
    return wanted <= built


def selected_test_arguments(context: AssetExecutionContext) -> list[str]:
    """`--select` of the dbt tests behind the checks Dagster gave this step (added to the models dagster-dbt selects).

    Dagster splits the two dbt asset definitions into steps in dependency order and runs a check after every asset
    its test reads; dbt's indirect selection (`buildable`) would skip a test whose other parent was built in an
    earlier step (a relationships test to a seed, a reconciliation with a staging view), so each is named."""
    names = get_dbt_test_names_for_check_keys(
        translator, load_manifest(), context.assets_def, context.selected_asset_check_keys
    )
    return ["--select", " ".join(sorted(names))] if names else []


def _run_dbt(
    context: AssetExecutionContext, dbt: DbtCliResource, environment: Mapping[str, str] | None = None
) -> Iterator[Any]:
    with holding_data_lock(context, f"Dagster run {context.run_id} (dbt build)"):
        invocation = dbt.cli(
            [
                *dbt_environment_arguments(environment or {}),
                "build",
                "--exclude-resource-type",
                "unit_test",
                *selected_test_arguments(context),
            ],
            context=context,
            raise_on_error=False,
            target_path=run_target_path(context.run_id),
        )
        yield from invocation.stream()
        if invocation.is_successful():
            if settings.dbt_target_name() == "spark":
                # audit, publish and extracts read the DuckDB build file: copy what Spark built into it
                copied = spark_mirror.mirror_tables(
                    spark_mirror.built_tables(
                        invocation.get_artifact("run_results.json"), invocation.get_artifact("manifest.json")
                    ),
                    settings.spark_warehouse_dir(),
                    settings.warehouse_path(),
                )
                context.log.info(f"Copied {copied} Spark table(s) into {settings.warehouse_path()}")
            if run_built_every_dbt_asset(context):
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
    manifest=load_manifest(),
    project=dbt_project,
    dagster_dbt_translator=translator,
    select=INCREMENTAL_MODELS,
    partitions_def=daily_partitions,
    backfill_policy=BackfillPolicy.single_run(),
    name="warehouse_incremental_models",
)
def warehouse_incremental_models(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    """The incremental models (base staging tables, the wallet lot ledger, the order and wallet facts) with their
    dbt tests.

    Daily partitions (of `loaded_at`): a run for days [start, end] reprocesses every row loaded since `start`
    (delete+insert makes that idempotent), so a backfill of a date range is one run; the daily schedule runs
    yesterday's partition, which is the usual lookback. `incremental_cutoff()` reads the start from
    DBT_BACKFILL_START (or the `backfill_start` var), set in dbt's environment rather than passed as --vars so dbt
    re-uses its partial parse."""
    start = context.partition_time_window.start
    yield from _run_dbt(context, dbt, {"DBT_BACKFILL_START": start.strftime("%Y-%m-%d %H:%M:%S")})


@dbt_assets(
    manifest=load_manifest(),
    project=dbt_project,
    dagster_dbt_translator=translator,
    select=UNPARTITIONED_NODES,
    name="warehouse_dbt_models",
)
def warehouse_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    """Seeds, views, tables and snapshots with their dbt tests: rebuilt whole at every run, so unpartitioned.
    In a run of the whole project Dagster interleaves this definition's steps with the incremental ones in
    dependency order (each step one `dbt build` of its models)."""
    yield from _run_dbt(context, dbt)


def dbt_resource() -> DbtCliResource:
    """The dbt CLI resource for the project (profiles in profiles/, paths from the environment); dbt runs through
    DBT_WRAPPER, so it never outlives the process of the run."""
    return DbtCliResource(
        project_dir=dbt_project,
        profiles_dir=str(settings.REPO / "profiles"),
        dbt_executable=str(DBT_WRAPPER),
    )
