"""The raw landing as assets: one asset per dbt source table (same keys dagster-dbt gives sources, so staging
hangs off them), the simulator for the demo, and a sensor that notices new files under RAW_DATA_DIR."""


import hashlib
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    Config,
    Failure,
    MaterializeResult,
    MetadataValue,
    RunRequest,
    SensorEvaluationContext,
    SkipReason,
    multi_asset,
    sensor,
)

from orchestration import gx_checks, landing, lock, settings
from orchestration.dbt_assets import load_manifest


def raw_tables(manifest: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every dbt source table (the raw contract), sorted."""
    manifest = manifest or load_manifest()
    return sorted(manifest["sources"].values(), key=lambda source: (source["source_name"], source["name"]))


def raw_key(source: Mapping[str, Any]) -> AssetKey:
    return AssetKey([source["source_name"], source["name"]])


def table_dir(source: Mapping[str, Any], root: Path | None = None) -> Path:
    return (root or settings.raw_dir()) / source["source_name"] / source["name"]


def landing_fingerprint(root: Path | None = None) -> str:
    """A digest of every landed file's path, size and modification time (what the sensor compares): every file,
    found as the landing check finds them, so a CSV, an upper-case name or a Hive-style folder counts too."""
    root = root or settings.raw_dir()
    digest = hashlib.sha256()
    for path in landing.discover_files(root):
        stat = path.stat()
        digest.update(f"{path.relative_to(root)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def profile_table(
    con: duckdb.DuckDBPyConnection, source: Mapping[str, Any], root: Path | None = None
) -> dict[str, Any]:
    """Row count, files and null rates of a landed table, read from its Parquet and CSV files (the files the
    landing check reads)."""
    files = landing.discover_files(table_dir(source, root))
    readers = landing_readers(files)
    if not readers:
        return {"files": len(files), "row_count": 0, "key_null_rate": None, "loaded_at_null_rate": None}
    keys = (source.get("meta") or {}).get("primary_key") or []
    key_null = " or ".join(f'"{key}" is null' for key in keys) or "false"
    rows, key_nulls, loaded_nulls = con.execute(
        f"""
        select count(*), count(*) filter (where {key_null}), count(*) filter (where loaded_at is null)
        from ({" union all by name ".join(f"select * from {reader}" for reader in readers)}) as landed
        """
    ).fetchone()
    return {
        "files": len(files),
        "row_count": int(rows),
        "key_null_rate": key_nulls / rows if rows else None,
        "loaded_at_null_rate": loaded_nulls / rows if rows else None,
    }


def landing_readers(files: list[Path]) -> list[str]:
    """DuckDB table functions reading the Parquet and the CSV files of a table (CSV as text, by column name)."""

    def listing(paths: list[Path]) -> str:
        return "[" + ", ".join("'" + str(path).replace("'", "''") + "'" for path in paths) + "]"

    parquet = [path for path in files if landing.file_format(path) == "parquet"]
    text = [path for path in files if landing.file_format(path) == "csv"]
    readers = []
    if parquet:
        readers.append(f"read_parquet({listing(parquet)}, union_by_name = true, hive_partitioning = false)")
    if text:
        readers.append(
            f"read_csv({listing(text)}, all_varchar = true, header = true, union_by_name = true,"
            " hive_partitioning = false)"
        )
    return readers


class RawLandingConfig(Config):
    """`simulate_profile` (ci, demo) regenerates the landing with the simulator first (the demo); empty: record
    whatever is in RAW_DATA_DIR (real exports)."""

    simulate_profile: str = ""
    seed: int = 42
    faults: bool = False


def _previous_row_count(context: AssetExecutionContext, key: AssetKey) -> int | None:
    event = context.instance.get_latest_materialization_event(key)
    if event is None or event.asset_materialization is None:
        return None
    value = event.asset_materialization.metadata.get("row_count")
    return int(value.value) if value is not None else None


_SOURCES = raw_tables()


@multi_asset(
    specs=[
        AssetSpec(
            raw_key(source),
            group_name="raw",
            description=source.get("description") or None,
            kinds={"parquet"},
            metadata={"path": MetadataValue.path(str(table_dir(source)))},
            skippable=False,
        )
        for source in _SOURCES
    ],
    check_specs=[AssetCheckSpec("gx_raw_landing", asset=raw_key(source), blocking=True) for source in _SOURCES],
    name="raw_landing",
)
def raw_landing(context: AssetExecutionContext, config: RawLandingConfig) -> Iterator[Any]:
    """Record the landed exports (optionally simulating them first), then check them with the GX suite
    `raw_landing` (volume against the previous load, null rates): a failed check blocks the build."""
    root = settings.raw_dir()
    if config.simulate_profile:
        args = [
            sys.executable,
            "-m",
            "simulator",
            "--profile",
            config.simulate_profile,
            "--seed",
            str(config.seed),
            "--out",
            str(root.parent),
        ]
        if config.faults:
            args.append("--faults")
        # The simulator dies with the run (even a SIGKILLed one) rather than rewrite the landing under the next.
        result = subprocess.run(
            args, cwd=settings.REPO, capture_output=True, text=True, preexec_fn=lock.die_with_parent
        )
        if result.returncode != 0:
            raise Failure(f"simulator failed:\n{result.stderr[-3000:]}", allow_retries=False)
        context.log.info(result.stdout[-2000:])
    # Every problem of the landing at once, before anything is built; then the general rule: unless the landing
    # appends to the one the build warehouse was built from, the warehouse starts afresh (BI tools read the
    # serving file, not this one).
    report = landing.check_landing(root)
    if not report.ok:
        raise Failure(landing.format_report(report), allow_retries=False)
    context.log.info(landing.domains_line({table: report.rows(table) for table in report.files}))
    rows: list[dict[str, Any]] = []
    with duckdb.connect() as con:
        for source in _SOURCES:
            key = raw_key(source)
            profile = profile_table(con, source, root)
            previous = _previous_row_count(context, key)
            ratio = profile["row_count"] / previous if previous else None
            optional_and_empty = not profile["row_count"] and (source.get("meta") or {}).get("landing") != "required"
            rows.append(
                {
                    "table": key.to_user_string(),
                    **profile,
                    # A table that may be absent (an optional system) has no volume to check when it is.
                    "row_count": None if optional_and_empty else profile["row_count"],
                    "previous_row_count": previous,
                    "row_count_vs_previous_load": ratio,
                }
            )
            yield MaterializeResult(
                asset_key=key,
                metadata={
                    "row_count": profile["row_count"],
                    "files": profile["files"],
                    "previous_row_count": previous if previous is not None else MetadataValue.null(),
                },
            )
    results = list(_check_landing(rows))
    if all(result.passed for result in results):
        # The build will run: restart the warehouse unless this landing appends to the one it was built from.
        context.log.info(landing.start_build(report))
    yield from results


def _check_landing(rows: list[dict[str, Any]]) -> Iterator[AssetCheckResult]:
    frame = pd.DataFrame(rows)
    with gx_checks.ContextLock():
        context = gx_checks.get_context()
        gx_checks.ensure_suite(context, gx_checks.RAW_SUITE, gx_checks.fixed_suites()[gx_checks.RAW_SUITE])
        failures = gx_checks.run_suite_by_row(context, gx_checks.RAW_SUITE, frame)
        gx_checks.build_docs(context)
    docs = gx_checks.data_docs_index()
    for index, row in frame.iterrows():
        failed = failures.get(index, [])
        yield AssetCheckResult(
            asset_key=AssetKey(row["table"].split("/")),
            check_name="gx_raw_landing",
            passed=not failed,
            severity=AssetCheckSeverity.ERROR,
            description="; ".join(failed)[:1000] if failed else "landing within bounds",
            metadata={
                "row_count": int(row["row_count"]) if pd.notna(row["row_count"]) else 0,
                "previous_row_count": int(row["previous_row_count"]) if pd.notna(row["previous_row_count"]) else -1,
                "data_docs": MetadataValue.url(docs.as_uri()),
                "suite": gx_checks.RAW_SUITE,
            },
        )


@sensor(name="raw_files_sensor", job_name="warehouse_job", minimum_interval_seconds=60)
def raw_files_sensor(context: SensorEvaluationContext) -> Iterator[RunRequest | SkipReason]:
    """Request a warehouse build when files under RAW_DATA_DIR change (new, replaced or removed)."""
    from orchestration.dbt_assets import daily_partitions

    fingerprint = landing_fingerprint()
    if fingerprint == context.cursor:
        yield SkipReason("no new files under RAW_DATA_DIR")
        return
    context.update_cursor(fingerprint)
    partition = daily_partitions.get_last_partition_key()
    yield RunRequest(run_key=f"landing-{fingerprint[:16]}", partition_key=partition)
