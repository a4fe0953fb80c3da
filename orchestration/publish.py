"""Write-audit-publish: copy the marts of an audited warehouse into a new serving file and atomically repoint
`current.duckdb` at it.

- Only the marts (models under models/marts/, from the dbt manifest) and the semantic layer's calendar
  (models/semantic/, schema `semantic`) are copied, each into its schema: never staging, quarantine or
  intermediate tables. Every table and column comment (dbt `persist_docs`) is copied with them, so a BI tool
  shows the marts' documentation.
- Columns tagged `pii` are DROPPED (not hashed): BI tools and dealers never see them.
- The file is written in the storage format of `storage_version` (default `v1.4.0`, the
  `SERVING_STORAGE_VERSION` setting), so DuckDB 1.4 and later clients open it, not only the engine that wrote it.
- Each publish writes `<serving>/<run id>/current.duckdb`, completely, and closes it before
  `<serving>/current.duckdb` (a relative symlink) is replaced with `os.replace` of a temporary symlink, which is
  atomic on POSIX: a reader opening `current.duckdb` gets the old file or the new one, never a mix. Every serving
  file is named `current.duckdb`, so every client sees the same catalog name, `current`, whichever version it
  runs (DuckDB 2 names the catalog after the file the symlink resolves to, DuckDB 1.4 after the symlink).
- `main.publication` records the run id, the time, the storage version, the row count of every mart and the
  active and empty domains (JSON).
- Serving files other than the current one are pruned once older than a grace period, so a reader that
  opened the previous file keeps a valid file for at least that long.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

CURRENT = "current.duckdb"
CATALOG = Path(CURRENT).stem  # the catalog name every client sees
PUBLICATION_TABLE = "publication"
DEFAULT_GRACE_SECONDS = 3600
DEFAULT_STORAGE_VERSION = "v1.4.0"
_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_STAGING_SUFFIX = ".tmp"


@dataclass(frozen=True)
class MartToPublish:
    """A mart in the warehouse and the columns that must not leave it."""

    name: str
    schema: str = "marts"
    pii_columns: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Publication:
    run_id: str
    path: Path
    row_counts: dict[str, int]
    dropped_pii_columns: dict[str, list[str]]
    pruned: list[Path]
    seconds: float
    storage_version: str = DEFAULT_STORAGE_VERSION


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def current_target(serving_dir: Path) -> Path | None:
    """The serving file `current.duckdb` points at, or None before the first publish."""
    link = serving_dir / CURRENT
    if not link.is_symlink() and not link.exists():
        return None
    return link.resolve()


def repoint_current(serving_dir: Path, target: Path) -> None:
    """Atomically make `current.duckdb` point at `target` (a serving file in a folder of `serving_dir`)."""
    temporary = serving_dir / f".{CURRENT}.{uuid.uuid4().hex}"
    os.symlink(target.relative_to(serving_dir), temporary)
    os.replace(temporary, serving_dir / CURRENT)
    _fsync_directory(serving_dir)


def _fsync_directory(directory: Path) -> None:
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _is_serving_leftover(path: Path) -> bool:
    """What a publish leaves in the serving folder: a run folder holding a serving file, a staging folder or
    file of an interrupted publish, a temporary symlink, or a flat `<run id>.duckdb` file of the earlier layout."""
    if path.is_symlink():
        return path.name.startswith(f".{CURRENT}.")
    if path.is_dir():
        return path.name.endswith(_STAGING_SUFFIX) or (path / CURRENT).exists()
    return path.name.endswith(".duckdb") or ".duckdb.tmp" in path.name


def prune(serving_dir: Path, grace_seconds: float, now: float | None = None) -> list[Path]:
    """Delete serving files (and leftovers of interrupted publishes) older than the grace period, except the
    current one. Returns what was deleted."""
    now = time.time() if now is None else now
    keep = current_target(serving_dir)
    removed: list[Path] = []
    for path in sorted(serving_dir.iterdir()):
        if path.name == CURRENT or not _is_serving_leftover(path):
            continue
        if keep is not None and (path.resolve() == keep or path.resolve() == keep.parent):
            continue
        if now - path.lstat().st_mtime < grace_seconds:
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def _run_folder(serving_dir: Path, run_id: str) -> Path:
    """`<serving>/<run id>`, or `<run id>-<n>` when that run already published (a retried publish step) so the
    file a reader may hold is never replaced in place."""
    if not _RUN_ID.fullmatch(run_id):
        raise ValueError(f"run id {run_id!r} cannot name a serving folder (letters, digits, '-' and '_' only)")
    candidate, attempt = serving_dir / run_id, 1
    while candidate.exists():
        attempt += 1
        candidate = serving_dir / f"{run_id}-{attempt}"
    return candidate


def publish(
    warehouse: Path,
    serving_dir: Path,
    run_id: str,
    marts: Iterable[MartToPublish],
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
    domains: Mapping[str, bool] | None = None,
    storage_version: str = DEFAULT_STORAGE_VERSION,
) -> Publication:
    """Copy `marts` with their comments from `warehouse` (opened read-only) into
    `<serving_dir>/<run_id>/current.duckdb`, written in `storage_version`'s format, repoint `current.duckdb` at it
    and prune old files. The publication record (`main.publication`) names the run, the time, the storage version,
    the row counts and which domains are active (`domains`: domain -> its source tables have rows); the marts of
    an inactive domain are published empty."""
    started = time.perf_counter()
    serving_dir.mkdir(parents=True, exist_ok=True)
    final_folder = _run_folder(serving_dir, run_id)
    staging_folder = serving_dir / f"{final_folder.name}{_STAGING_SUFFIX}"
    shutil.rmtree(staging_folder, ignore_errors=True)
    staging_folder.mkdir()
    staging_file = staging_folder / CURRENT
    row_counts: dict[str, int] = {}
    dropped: dict[str, list[str]] = {}
    # An in-memory session attaches the new file, so its storage version is chosen; spills go to the staging folder.
    with duckdb.connect(config={"temp_directory": str(staging_folder / "spill")}) as con:
        con.execute(
            f"attach {_sql_literal(str(staging_file))} as {_quote(CATALOG)} "
            f"(storage_version {_sql_literal(storage_version)})"
        )
        con.execute(f"attach {_sql_literal(str(warehouse))} as warehouse (read_only)")
        serving = _quote(CATALOG)
        marts = sorted(marts, key=lambda m: (m.schema, m.name))
        for schema in sorted({"marts", *(mart.schema for mart in marts)}):
            con.execute(f"create schema {serving}.{_quote(schema)}")
        for mart in marts:
            columns = con.execute(
                "select column_name, comment from duckdb_columns() "
                "where database_name = 'warehouse' and schema_name = ? and table_name = ? order by column_index",
                [mart.schema, mart.name],
            ).fetchall()
            if not columns:
                raise LookupError(f"mart {mart.schema}.{mart.name} is not in the warehouse {warehouse}")
            kept = [(name, comment) for name, comment in columns if name not in mart.pii_columns]
            dropped[mart.name] = sorted({name for name, _ in columns} - {name for name, _ in kept})
            table = f"{serving}.{_quote(mart.schema)}.{_quote(mart.name)}"
            con.execute(
                f"create table {table} as select {', '.join(_quote(name) for name, _ in kept)} "
                f"from warehouse.{_quote(mart.schema)}.{_quote(mart.name)}"
            )
            (table_comment,) = con.execute(
                "select comment from duckdb_tables() "
                "where database_name = 'warehouse' and schema_name = ? and table_name = ?",
                [mart.schema, mart.name],
            ).fetchone()
            _comment(con, f"table {table}", table_comment)
            for name, comment in kept:
                _comment(con, f"column {table}.{_quote(name)}", comment)
            (row_counts[mart.name],) = con.execute(f"select count(*) from {table}").fetchone()
        con.execute("detach warehouse")
        _write_publication(con, run_id, storage_version, row_counts, domains or {})
        con.execute(f"checkpoint {serving}")
        con.execute(f"detach {serving}")
    shutil.rmtree(staging_folder / "spill", ignore_errors=True)
    with open(staging_file, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(staging_folder, final_folder)
    _fsync_directory(serving_dir)
    final = final_folder / CURRENT
    previous = current_target(serving_dir)
    repoint_current(serving_dir, final)
    if previous is not None and previous.exists() and previous != final.resolve():
        # Its grace period starts now, when it stops being current (a flat file of the earlier layout: the file).
        os.utime(previous if previous.parent == serving_dir.resolve() else previous.parent)
    pruned = prune(serving_dir, grace_seconds)
    return Publication(
        run_id, final, row_counts, dropped, pruned, time.perf_counter() - started, storage_version=storage_version
    )


# What the publication record's table and columns say in a BI tool.
_PUBLICATION_DOCS = {
    None: "One row: which run published this serving file, when, in which storage format, and what it holds.",
    "run_id": "Id of the run (Dagster run id) that published this file.",
    "published_at": "When the file was published, UTC.",
    "storage_version": "DuckDB storage format the file is written in; DuckDB clients of this version or later open it.",
    "row_counts": 'Rows of every published mart, as a JSON object: {"<mart>": <rows>, ...}.',
    "active_domains": "Domains whose source tables held rows in the landing built, as a JSON array.",
    "empty_domains": "Domains without source rows, as a JSON array; their marts are published empty.",
}


def _write_publication(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    storage_version: str,
    row_counts: Mapping[str, int],
    domains: Mapping[str, bool],
) -> None:
    table = f"{_quote(CATALOG)}.main.{PUBLICATION_TABLE}"
    con.execute(
        f"create table {table} (run_id varchar not null, published_at timestamp not null, "
        "storage_version varchar not null, row_counts json not null, active_domains json not null, "
        "empty_domains json not null)"
    )
    con.execute(
        f"insert into {table} values (?, ?, ?, ?, ?, ?)",
        [
            run_id,
            datetime.now(UTC).replace(tzinfo=None),
            storage_version,
            json.dumps(dict(sorted(row_counts.items()))),
            json.dumps([name for name, active in domains.items() if active]),
            json.dumps([name for name, active in domains.items() if not active]),
        ],
    )
    for column, text in _PUBLICATION_DOCS.items():
        _comment(con, f"table {table}" if column is None else f"column {table}.{_quote(column)}", text)


def _comment(con: duckdb.DuckDBPyConnection, target: str, text: str | None) -> None:
    if text:
        con.execute(f"comment on {target} is {_sql_literal(text)}")


def _sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def published_row_counts(serving_dir: Path) -> Mapping[str, int]:
    """Row count of each mart in the current serving file ({} before the first publish)."""
    target = current_target(serving_dir)
    if target is None or not target.exists():
        return {}
    with duckdb.connect(str(target), read_only=True) as con:
        tables = con.execute("select table_name from information_schema.tables where table_schema = 'marts'").fetchall()
        return {name: con.execute(f"select count(*) from marts.{_quote(name)}").fetchone()[0] for (name,) in tables}
