"""Write-audit-publish: copy the marts of an audited warehouse into a new serving file and atomically repoint
`current.duckdb` at it.

- Only models under models/marts/ (from the dbt manifest) are copied: never staging, quarantine or
  intermediate tables.
- Columns tagged `pii` are DROPPED (not hashed): BI tools and dealers never see them.
- The new file is `<serving>/<run id>.duckdb`, written completely and closed before
  `<serving>/current.duckdb` (a relative symlink) is replaced with `os.replace` of a temporary symlink, which
  is atomic on POSIX: a reader opening `current.duckdb` gets the old file or the new one, never a mix.
- Serving files other than the current one are pruned once older than a grace period, so a reader that
  opened the previous file keeps a valid file for at least that long.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

CURRENT = "current.duckdb"
PUBLICATION_TABLE = "publication"
DEFAULT_GRACE_SECONDS = 3600


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


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def current_target(serving_dir: Path) -> Path | None:
    """The serving file `current.duckdb` points at, or None before the first publish."""
    link = serving_dir / CURRENT
    if not link.is_symlink() and not link.exists():
        return None
    return link.resolve()


def repoint_current(serving_dir: Path, target: Path) -> None:
    """Atomically make `current.duckdb` point at `target` (a file in `serving_dir`)."""
    temporary = serving_dir / f".{CURRENT}.{uuid.uuid4().hex}"
    os.symlink(target.name, temporary)
    os.replace(temporary, serving_dir / CURRENT)
    directory = os.open(serving_dir, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def prune(serving_dir: Path, grace_seconds: float, now: float | None = None) -> list[Path]:
    """Delete serving files (and leftovers of interrupted publishes) older than the grace period, except the
    current one. Returns what was deleted."""
    now = time.time() if now is None else now
    keep = current_target(serving_dir)
    removed: list[Path] = []
    for path in serving_dir.iterdir():
        if path.name == CURRENT or (keep is not None and path.resolve() == keep):
            continue
        if not (path.name.endswith(".duckdb") or ".duckdb.tmp" in path.name or path.name.startswith(f".{CURRENT}")):
            continue
        if now - path.lstat().st_mtime >= grace_seconds:
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def publish(
    warehouse: Path,
    serving_dir: Path,
    run_id: str,
    marts: Iterable[MartToPublish],
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
    domains: Mapping[str, bool] | None = None,
) -> Publication:
    """Copy `marts` from `warehouse` (opened read-only) into `<serving_dir>/<run_id>.duckdb`, repoint
    `current.duckdb` at it and prune old files. The publication record (`main.publication`) names the run, the
    row counts and which domains are active (`domains`: domain -> its source tables have rows); the marts of an
    inactive domain are published empty."""
    started = time.perf_counter()
    serving_dir.mkdir(parents=True, exist_ok=True)
    final = serving_dir / f"{run_id}.duckdb"
    staging_file = serving_dir / f"{run_id}.duckdb.tmp"
    staging_file.unlink(missing_ok=True)
    row_counts: dict[str, int] = {}
    dropped: dict[str, list[str]] = {}
    with duckdb.connect(str(staging_file)) as con:
        con.execute(f"attach {_sql_literal(str(warehouse))} as warehouse (read_only)")
        con.execute("create schema marts")
        for mart in sorted(marts, key=lambda m: m.name):
            columns = [
                row[0]
                for row in con.execute(
                    "select column_name from information_schema.columns "
                    "where table_catalog = 'warehouse' and table_schema = ? and table_name = ? "
                    "order by ordinal_position",
                    [mart.schema, mart.name],
                ).fetchall()
            ]
            if not columns:
                raise LookupError(f"mart {mart.schema}.{mart.name} is not in the warehouse {warehouse}")
            kept = [column for column in columns if column not in mart.pii_columns]
            dropped[mart.name] = sorted(set(columns) - set(kept))
            con.execute(
                f"create table marts.{_quote(mart.name)} as select {', '.join(map(_quote, kept))} "
                f"from warehouse.{_quote(mart.schema)}.{_quote(mart.name)}"
            )
            (row_counts[mart.name],) = con.execute(f"select count(*) from marts.{_quote(mart.name)}").fetchone()
        con.execute("detach warehouse")
        domains = domains or {}
        con.execute(
            f"create table main.{PUBLICATION_TABLE} as select ? as run_id, ? as published_at, ? as row_counts, "
            "? as active_domains, ? as empty_domains",
            [
                run_id,
                datetime.now(UTC).replace(tzinfo=None),
                str(row_counts),
                ", ".join(name for name, active in domains.items() if active),
                ", ".join(name for name, active in domains.items() if not active),
            ],
        )
        con.execute("checkpoint")
    with open(staging_file, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(staging_file, final)
    previous = current_target(serving_dir)
    repoint_current(serving_dir, final)
    if previous is not None and previous.exists() and previous != final.resolve():
        os.utime(previous)  # its grace period starts now, when it stops being current
    pruned = prune(serving_dir, grace_seconds)
    return Publication(run_id, final, row_counts, dropped, pruned, time.perf_counter() - started)


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
