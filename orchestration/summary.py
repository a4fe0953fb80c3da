"""Print what a build produced: where the warehouse is, each layer's tables and row counts, and the
quarantine by source table and reason."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

from orchestration import landing, settings


def summarise(path: Path) -> str:
    """A human-readable report of the warehouse at `path`, opened read-only."""
    lines: list[str] = [f"Warehouse: {path}"]
    table_rows = landing.recorded_table_rows(path)
    if table_rows:
        line = landing.domains_line(table_rows)
        lines.append(line + (" (their marts exist, with no rows)" if "empty" in line else ""))
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute(
            """
            select table_schema, table_name, table_type
            from information_schema.tables
            where table_schema in ('marts', 'staging', 'intermediate', 'reference')
            order by table_schema, table_name
            """
        ).fetchall()
        for schema in ("marts", "intermediate", "reference"):
            built = [(name, kind) for s, name, kind in tables if s == schema and kind == "BASE TABLE"]
            if not built:
                continue
            lines.append(f"\n{schema} tables:")
            for name, _ in built:
                (count,) = con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()
                lines.append(f"  {name:<40} {count:>12,} rows")
        views = [name for s, name, kind in tables if s == "staging" and kind == "VIEW"]
        lines.append(f"\nstaging: {len(views)} views over the landed exports (raw_<system> views)")
        rows = quarantine_counts(con)
        if rows:
            total = sum(count for _, _, count in rows)
            lines.append(f"\nquarantined rows: {total:,}")
            for table, reason, count in rows:
                lines.append(f"  {table:<40} {reason:<24} {count:>8,}")
    return "\n".join(lines)


def quarantine_counts(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int]]:
    """(source system.table, reason, rows) of the quarantine, read from the base tables
    (`staging.base_<system>__<table>`: every raw row with its quarantine_reason), which a DuckDB build and a Spark
    build's copy both hold; the `stg_<system>__quarantined_rows` views select the same rows."""
    base_tables = [
        name
        for (name,) in con.execute(
            """
            select table_name
            from information_schema.columns
            where
                table_schema = 'staging'
                and starts_with(table_name, 'base_')
                and column_name = 'quarantine_reason'
            order by table_name
            """
        ).fetchall()
    ]
    if not base_tables:
        return []
    union = " union all ".join(
        f"select '{name.removeprefix('base_').replace('__', '.', 1)}' as source_table, quarantine_reason "
        f'from staging."{name}" where quarantine_reason is not null'
        for name in base_tables
    )
    return con.execute(
        f"select source_table, quarantine_reason, count(*) from ({union}) group by all order by 1, 2"
    ).fetchall()


def headline(path: Path) -> str:
    """One line: how many marts and rows the warehouse at `path` holds, and how many raw rows were quarantined."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('marts', 'staging') order by 1, 2"
        ).fetchall()
        marts = [name for schema, name in tables if schema == "marts"]
        rows = sum(con.execute(f'select count(*) from marts."{name}"').fetchone()[0] for name in marts)
        quarantined = sum(count for _, _, count in quarantine_counts(con))
    return (
        f"{len(marts)} marts, {rows:,} rows; {quarantined:,} raw rows quarantined "
        "(by table and reason: `python -m orchestration.summary`)"
    )


def main() -> int:
    path = settings.warehouse_path()
    if not path.exists():
        print(f"No warehouse at {path}: run `make build` first.", file=sys.stderr)
        return 1
    print(summarise(path))
    print(f"\nBuild warehouse: {path} (analysts may open it read-only; BI tools read data/serving/current.duckdb)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
