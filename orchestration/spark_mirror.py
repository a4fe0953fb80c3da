"""The DuckDB build file of a Spark build: after dbt builds on Spark (DBT_TARGET=spark), every table and seed the
invocation built is copied from its Parquet folder under Spark's warehouse directory into the build warehouse
(WAREHOUSE_PATH), under the same schema and name. The audit, the publish and the dealer extracts then read it as
they read a DuckDB build. Views are not copied (nothing downstream of dbt reads them)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import duckdb

COPIED_MATERIALIZATIONS = ("table", "incremental", "seed")


def built_tables(run_results: Mapping[str, Any], manifest: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(schema, name) of every table and seed the invocation built successfully, in run order."""
    tables = []
    for result in run_results.get("results", []):
        node = manifest["nodes"].get(result["unique_id"])
        if node is None or result["status"] != "success":
            continue
        if node["resource_type"] not in ("model", "seed"):
            continue
        materialized = "seed" if node["resource_type"] == "seed" else node["config"].get("materialized")
        if materialized in COPIED_MATERIALIZATIONS:
            tables.append((node["schema"], node.get("alias") or node["name"]))
    return tables


def mirror_tables(tables: Iterable[tuple[str, str]], spark_warehouse: Path, duckdb_path: Path) -> int:
    """Copies each (schema, name) from `<spark_warehouse>/<schema>.db/<name>/` into `duckdb_path`; returns how many.
    A table whose folder holds no Parquet file stops the copy, naming the folder."""
    tables = list(tables)
    duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(duckdb_path))
    try:
        for schema, name in tables:
            folder = spark_warehouse / f"{schema}.db" / name
            files = sorted(folder.rglob("*.parquet")) if folder.is_dir() else []
            if not files:
                raise FileNotFoundError(f"Spark table {schema}.{name}: no Parquet file under {folder}")
            pattern = (folder / "**" / "*.parquet").as_posix().replace("'", "''")
            con.execute(f'create schema if not exists "{schema}"')
            con.execute(f"create or replace table \"{schema}\".\"{name}\" as select * from read_parquet('{pattern}')")
    finally:
        con.close()
    return len(tables)
