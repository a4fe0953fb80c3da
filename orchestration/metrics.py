"""Answer the semantic layer's metrics (MetricFlow, models/semantic/) from a copy of the published serving file.

`mf` opens its DuckDB target read-write, and DuckDB allows one writer or many readers, never both: querying
`current.duckdb` itself would lock BI tools out, and be locked out by them. So the file `current.duckdb` points
at is copied (a plain file copy takes no DuckDB lock) to `<METRICS_DIR>/<catalog>.duckdb`, named after the
catalog the semantic manifest's relations name, and `mf` runs against the copy.

    python -m orchestration.metrics                      # the headline metrics (saved query headline_metrics)
    python -m orchestration.metrics <mf arguments>       # anything else, e.g.
    python -m orchestration.metrics query --saved-query headline_metrics_by_month
    python -m orchestration.metrics query --metrics net_revenue --group-by metric_time__month,customer__country_code
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from orchestration import publish, settings

REPO = settings.REPO
# mf reads the semantic manifest from the project's target/ folder, whatever DBT_TARGET_PATH says.
SEMANTIC_MANIFEST = REPO / "target" / "semantic_manifest.json"
HEADLINE_QUERY = "headline_metrics"


class MetricsError(RuntimeError):
    """The metrics cannot be answered (nothing published, no semantic manifest, mf failed)."""


@dataclass(frozen=True)
class ServingCopy:
    path: Path  # the copy mf queries
    source: Path  # the serving file it was copied from
    run_id: str
    published_at: str


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def semantic_manifest() -> dict[str, Any]:
    """target/semantic_manifest.json, parsed again (`dbt parse`) when a file under models/ or dbt_project.yml is
    newer than it."""
    sources = [REPO / "dbt_project.yml", *(path for path in (REPO / "models").rglob("*") if path.is_file())]
    if not SEMANTIC_MANIFEST.exists() or SEMANTIC_MANIFEST.stat().st_mtime < max(p.stat().st_mtime for p in sources):
        result = subprocess.run(
            [_bin("dbt"), "parse", "--quiet", "--target-path", str(SEMANTIC_MANIFEST.parent)],
            cwd=REPO,
            env=settings.dbt_env(),
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise MetricsError(f"dbt parse failed:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}")
    return json.loads(SEMANTIC_MANIFEST.read_text())


def semantic_catalog(manifest: Mapping[str, Any]) -> str:
    """The one catalog (DuckDB database name) every semantic model and time spine of the manifest reads from."""
    relations = [model["node_relation"] for model in manifest["semantic_models"]]
    relations += [spine["node_relation"] for spine in manifest["project_configuration"].get("time_spines", [])]
    catalogs = {relation["database"] for relation in relations}
    if len(catalogs) != 1:
        raise MetricsError(f"the semantic manifest {SEMANTIC_MANIFEST} reads from catalogs {sorted(catalogs)}, not one")
    return catalogs.pop()


def copy_serving_file(serving_dir: Path, metrics_dir: Path, catalog: str) -> ServingCopy:
    """Copy the current serving file to `<metrics_dir>/<catalog>.duckdb` (replacing an earlier copy)."""
    source = publish.current_target(serving_dir)
    if source is None or not source.exists():
        raise MetricsError(f"nothing is published in {serving_dir}: run `make run` first")
    metrics_dir.mkdir(parents=True, exist_ok=True)
    copy = metrics_dir / f"{catalog}.duckdb"
    temporary = metrics_dir / f".{copy.name}.{uuid.uuid4().hex}.tmp"
    try:
        shutil.copyfile(source, temporary)
        os.replace(temporary, copy)
    finally:
        temporary.unlink(missing_ok=True)
    Path(f"{copy}.wal").unlink(missing_ok=True)
    with duckdb.connect(str(copy), read_only=True) as con:
        run_id, published_at = con.execute(
            f"select run_id, strftime(published_at, '%Y-%m-%d %H:%M:%S') from main.{publish.PUBLICATION_TABLE}"
        ).fetchone()
    return ServingCopy(copy, source, run_id, published_at)


def run_mf(args: Sequence[str], copy: ServingCopy, capture: bool = False) -> subprocess.CompletedProcess:
    """Run `mf <args>` in the project against the copy."""
    env = {**settings.dbt_env(), "WAREHOUSE_PATH": str(copy.path), "DBT_PROJECT_DIR": str(REPO)}
    return subprocess.run([_bin("mf"), *args], cwd=REPO, env=env, capture_output=capture, text=True)


def query(copy: ServingCopy, args: Sequence[str], out: Path | None = None) -> list[dict[str, str]]:
    """Rows of `mf query <args>`, read back from its CSV output (kept at `out` when given)."""
    with tempfile.TemporaryDirectory() as folder:
        out = out or Path(folder) / "result.csv"
        out.unlink(missing_ok=True)
        result = run_mf(["query", *args, "--csv", str(out), "--quiet"], copy, capture=True)
        if result.returncode != 0 or not out.exists():
            raise MetricsError(f"mf query {' '.join(args)} failed:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}")
        with open(out, newline="") as handle:
            return list(csv.DictReader(handle))


def format_value(value: str, kind: str) -> str:
    """A metric value as `make metrics` prints it, by the metric's `meta.format`."""
    if value in ("", None):
        return "—"
    number = float(value)
    if kind == "percent":
        return f"{number:.1%}"
    if kind == "count":
        return f"{number:,.0f}"
    return f"{number:,.2f}"


def headline(manifest: Mapping[str, Any], copy: ServingCopy) -> list[tuple[str, str, str]]:
    """(metric, label, formatted value) of every metric of the headline saved query; the unrounded values are
    kept as CSV next to the copy (`headline_metrics.csv`)."""
    (saved,) = [query for query in manifest["saved_queries"] if query["name"] == HEADLINE_QUERY]
    names = list(saved["query_params"]["metrics"])
    metrics = {metric["name"]: metric for metric in manifest["metrics"]}
    (row,) = query(copy, ["--saved-query", HEADLINE_QUERY], out=copy.path.parent / f"{HEADLINE_QUERY}.csv")
    return [
        (
            name,
            metrics[name].get("label") or name,
            format_value(row[name], ((metrics[name].get("config") or {}).get("meta") or {}).get("format", "number")),
        )
        for name in names
    ]


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        manifest = semantic_manifest()
        copy = copy_serving_file(settings.serving_dir(), settings.metrics_dir(), semantic_catalog(manifest))
        print(
            f"Serving file of run {copy.run_id}, published {copy.published_at} UTC, copied to {copy.path} "
            f"(BI readers of {settings.serving_current()} are not touched).",
            flush=True,
        )
        if argv:
            return run_mf(argv, copy).returncode
        rows = headline(manifest, copy)
    except MetricsError as error:
        print(f"metrics: {error}", file=sys.stderr)
        return 1
    width = max(len(label) for _, label, _ in rows)
    print(f"\nHeadline metrics (saved query {HEADLINE_QUERY}; money in the reporting currency; unrounded in "
          f"{settings.metrics_dir() / HEADLINE_QUERY}.csv):")
    for name, label, value in rows:
        print(f"  {label:<{width}}  {value:>16}   {name}")
    print(
        "\nMore: make metrics MF='query --saved-query headline_metrics_by_month' · "
        "MF='list metrics' · MF='query --metrics net_revenue --group-by metric_time__month,customer__country_code'"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
