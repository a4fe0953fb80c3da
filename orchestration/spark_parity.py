"""Spark parity: every mart and export the Spark build wrote (and every table of staging and the intermediate
layer), compared with the DuckDB build of the same landing.

    python -m orchestration.spark_parity --duckdb data/warehouse.duckdb --spark-warehouse data/spark/warehouse \
        --manifest target/manifest.json
    python -m orchestration.spark_parity land SIMULATED_RAW LANDING [--hold-back-last-month]

`land` copies a simulated landing's files into a landing folder: all of them, or (--hold-back-last-month) all but
those of the newest load month up to the current one (`<table>_<YYYY-MM>.parquet`). A build of the first landing,
then of the whole, runs the incremental models' increments: `make test-spark` builds Spark that way and compares
it with a DuckDB build of the whole landing at once.

Spark's tables are Parquet folders under its warehouse directory (`<schema>.db/<table>/`); DuckDB reads them
beside the DuckDB build and compares each published table (the `marts` and `exports` schemas):

- the same columns, by name, of the same kind (text, number, date and time, true/false);
- the same row count and the same keys (the model's primary key, from its unique tests; a table without one is
  compared as a multiset of rows);
- the same values, column by column: text, dates, times and true/false exactly; decimals (money) to the cent
  (less than half a cent apart: the engines may round a converted amount's fourth decimal differently); doubles
  (ratios, averages) to 1e-9, relative to the larger magnitude when it exceeds 1. The columns recording when a
  build staged or computed a row (`staged_at`, `computed_at`), first saw a day's rate (`changed_at`) and the golden
  customer a member belonged to at the build before (`previous_golden_customer_id`) are not compared, nor the two a
  raw row is written in each engine's own way (`source_row_hash`, `source_row`).

A difference is a bug in the port, not a tolerance to widen: the command lists each one (table, column, a key
and both values) and exits 1.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

PUBLISHED_SCHEMAS = ("marts", "exports")
# Also compared: the tables staging and the intermediate layer build (views are not written by Spark).
INNER_SCHEMAS = ("staging", "intermediate")
TABLE_MATERIALIZATIONS = ("table", "incremental")
# A build's history: when it staged or computed a row or first saw a rate, and a member's golden customer at the
# build before. The builds ran at different times and over different increments, so these are not compared.
BUILD_HISTORY_COLUMNS = ("staged_at", "computed_at", "changed_at", "previous_golden_customer_id")
# Written in each engine's own way by design (see README, "Running on Spark"): a raw row's hash and its JSON text.
ENGINE_COLUMNS = ("source_row_hash", "source_row")
MONEY_PLACES = 2
DOUBLE_TOLERANCE = 1e-9
EXAMPLES_SHOWN = 3
# A landed file's load month, in its name.
LOAD_MONTH = re.compile(r"_(\d{4}-\d{2})\.(parquet|csv)$", re.IGNORECASE)


@dataclass
class TableResult:
    name: str
    duckdb_rows: int = 0
    spark_rows: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return not self.problems


def published_models(manifest: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The enabled models of the published schemas, and the tables of staging and the intermediate layer, sorted
    by schema and name."""
    nodes = [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and node["config"].get("enabled", True)
        and (
            node["schema"] in PUBLISHED_SCHEMAS
            or (node["schema"] in INNER_SCHEMAS and node["config"].get("materialized") in TABLE_MATERIALIZATIONS)
        )
    ]
    return sorted(nodes, key=lambda node: (node["schema"], node["name"]))


def key_columns(node: Mapping[str, Any], manifest: Mapping[str, Any]) -> list[str]:
    """The model's primary key: its unique_combination test's columns, else its unique test's column."""
    tests = [
        test
        for test in manifest["nodes"].values()
        if test["resource_type"] == "test" and test.get("attached_node") == node["unique_id"]
    ]
    for test in tests:
        meta = test.get("test_metadata") or {}
        if meta.get("name") == "unique_combination":
            kwargs = meta.get("kwargs", {})
            columns = kwargs.get("columns") or kwargs.get("arguments", {}).get("columns")
            if columns:
                return list(columns)
    for test in tests:
        if (test.get("test_metadata") or {}).get("name") == "unique" and test.get("column_name"):
            return [test["column_name"]]
    return []


def kind(duckdb_type: str) -> str:
    """How a column compares: money (decimal), double, or exact (text, dates, times, booleans, integers)."""
    upper = duckdb_type.upper()
    if upper.startswith("DECIMAL"):
        return "money"
    if upper in ("DOUBLE", "FLOAT", "REAL"):
        return "double"
    if upper in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"):
        return "integer"
    if upper.startswith("TIMESTAMP"):
        return "timestamp"
    return upper.split("(")[0].lower()


def family(column_kind: str) -> str:
    return "number" if column_kind in ("money", "double", "integer") else column_kind


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _differs(column: str, column_kind: str) -> str:
    """SQL true when the DuckDB value (d.<col>) and the Spark value (s.<col>) differ beyond the column's rule."""
    d, s = f"d.{_quote(column)}", f"s.{_quote(column)}"
    if column_kind == "money":
        values = f"abs(cast({d} as decimal(38, 10)) - cast({s} as decimal(38, 10))) >= {0.5 / 10**MONEY_PLACES}"
    elif column_kind == "double":
        values = (
            f"not (({d} = {s}) or (isnan({d}) and isnan({s})) or abs({d} - {s}) <= {DOUBLE_TOLERANCE}"
            f" * greatest(1, abs({d}), abs({s})))"
        )
    elif column_kind == "timestamp":
        values = f"cast({d} as timestamp) != cast({s} as timestamp)"
    else:
        values = f"cast({d} as varchar) != cast({s} as varchar)"
    return f"(({d} is null) != ({s} is null) or ({d} is not null and {values}))"


def compare_table(
    con: duckdb.DuckDBPyConnection, node: Mapping[str, Any], keys: list[str], spark_folder: Path
) -> TableResult:
    schema, name = node["schema"], node["name"]
    result = TableResult(f"{schema}.{name}")
    if not spark_folder.is_dir():
        result.problems.append(f"Spark wrote no table (no folder {spark_folder})")
        return result
    spark = f"read_parquet('{spark_folder.as_posix()}/**/*.parquet')"
    built = f"{_quote(schema)}.{_quote(name)}"
    duck_columns = {row[0]: row[1] for row in con.execute(f"describe select * from {built}").fetchall()}
    spark_columns = {row[0]: row[1] for row in con.execute(f"describe select * from {spark}").fetchall()}
    result.duckdb_rows = con.execute(f"select count(*) from {built}").fetchone()[0]
    result.spark_rows = con.execute(f"select count(*) from {spark}").fetchone()[0]
    for column in duck_columns.keys() - spark_columns.keys():
        result.problems.append(f"column {column} missing on Spark")
    for column in spark_columns.keys() - duck_columns.keys():
        result.problems.append(f"column {column} only on Spark")
    skipped = BUILD_HISTORY_COLUMNS + ENGINE_COLUMNS
    common = [column for column in duck_columns if column in spark_columns and column not in skipped]
    kinds = {column: kind(duck_columns[column]) for column in common}
    for column in common:
        if family(kinds[column]) != family(kind(spark_columns[column])):
            result.problems.append(f"column {column}: DuckDB {duck_columns[column]}, Spark {spark_columns[column]}")
    if result.duckdb_rows != result.spark_rows:
        result.problems.append(f"{result.duckdb_rows} rows on DuckDB, {result.spark_rows} on Spark")
    select_list = ", ".join(_quote(column) for column in common)
    if not keys or any(key not in common for key in keys):
        # no key: the rows as multisets, values rounded as their rule compares them
        def rounded(column: str) -> str:
            if kinds[column] == "money":
                return f"round(cast({_quote(column)} as decimal(38, 10)), {MONEY_PLACES})"
            if kinds[column] == "double":
                return f"round({_quote(column)}, 9)"
            if kinds[column] == "timestamp":
                return f"cast({_quote(column)} as timestamp)"
            return f"cast({_quote(column)} as varchar)"

        normalised = ", ".join(rounded(column) for column in common)
        for label, left, right in (("DuckDB", built, spark), ("Spark", spark, built)):
            only = con.execute(
                f"select count(*) from (select {normalised} from {left} except all select {normalised} from {right})"
            ).fetchone()[0]
            if only:
                result.problems.append(f"{only} row(s) only on {label} (compared without a key)")
        return result
    on = " and ".join(f"d.{_quote(key)} is not distinct from s.{_quote(key)}" for key in keys)
    key_select = ", ".join(f"coalesce(d.{_quote(key)}, s.{_quote(key)})" for key in keys)
    joined = (
        f"(select {select_list} from {built}) as d full outer join (select {select_list} from {spark}) as s on {on}"
    )
    missing = con.execute(
        f"select count(*) filter (where s.{_quote(keys[0])} is null and d.{_quote(keys[0])} is not null), "
        f"count(*) filter (where d.{_quote(keys[0])} is null and s.{_quote(keys[0])} is not null) from {joined}"
    ).fetchone()
    if missing[0]:
        result.problems.append(f"{missing[0]} key(s) only on DuckDB")
    if missing[1]:
        result.problems.append(f"{missing[1]} key(s) only on Spark")
    value_columns = [column for column in common if column not in keys]
    if not value_columns:
        return result
    counts = con.execute(
        "select "
        + ", ".join(f"count(*) filter (where {_differs(column, kinds[column])})" for column in value_columns)
        + f" from {joined} where d.{_quote(keys[0])} is not null and s.{_quote(keys[0])} is not null"
    ).fetchone()
    for column, count in zip(value_columns, counts, strict=True):
        if not count:
            continue
        examples = con.execute(
            f"select {key_select}, d.{_quote(column)}, s.{_quote(column)} from {joined} "
            f"where d.{_quote(keys[0])} is not null and s.{_quote(keys[0])} is not null "
            f"and {_differs(column, kinds[column])} order by 1 limit {EXAMPLES_SHOWN}"
        ).fetchall()
        shown = "; ".join(f"{'/'.join(str(part) for part in row[:-2])}: {row[-2]!r} vs {row[-1]!r}" for row in examples)
        result.problems.append(f"column {column}: {count} value(s) differ ({kinds[column]}), e.g. {shown}")
    return result


def compare(duckdb_path: Path, spark_warehouse: Path, manifest_path: Path) -> list[TableResult]:
    manifest = json.loads(manifest_path.read_text())
    con = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        con.execute("set timezone = 'UTC'")
        results = []
        for node in published_models(manifest):
            folder = spark_warehouse / f"{node['schema']}.db" / node["name"]
            results.append(compare_table(con, node, key_columns(node, manifest), folder))
        return results
    finally:
        con.close()


def format_results(results: list[TableResult]) -> str:
    lines = []
    width = max((len(result.name) for result in results), default=10)
    for result in results:
        status = "equal" if result.equal else "DIFFERENT"
        lines.append(f"{result.name:<{width}}  {result.duckdb_rows:>9,} rows  {status}")
        lines.extend(f"    - {problem}" for problem in result.problems)
    different = sum(not result.equal for result in results)
    lines.append(f"{len(results) - different} of {len(results)} tables equal on Spark and DuckDB")
    return "\n".join(lines)


def land(simulated: Path, landing: Path, hold_back_last_month: bool = False) -> tuple[int, str | None]:
    """Copies the simulated landing's files that are not in the landing yet (all but the newest load month's
    with hold_back_last_month; a file without a load month always lands); returns the files copied and the
    month held back."""
    files = sorted(path for path in simulated.rglob("*") if path.is_file())
    if not files:
        raise SystemExit(f"{simulated}: no files to land")
    # a month after the current one is a fault (rows loaded in the future), not the newest landing: it lands first
    this_month = datetime.now(UTC).strftime("%Y-%m")
    months = {match.group(1) for path in files if (match := LOAD_MONTH.search(path.name))}
    months = {month for month in months if month <= this_month}
    held_back = max(months) if hold_back_last_month and months else None
    copied = 0
    for path in files:
        match = LOAD_MONTH.search(path.name)
        if held_back is not None and match is not None and match.group(1) == held_back:
            continue
        target = landing / path.relative_to(simulated)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
            copied += 1
    return copied, held_back


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["land"]:
        lander = argparse.ArgumentParser(prog="python -m orchestration.spark_parity land", description=land.__doc__)
        lander.add_argument("simulated", type=Path, help="the simulated landing (the simulator's raw folder)")
        lander.add_argument("landing", type=Path, help="the landing folder the builds read")
        lander.add_argument("--hold-back-last-month", action="store_true", help="leave the newest month's files out")
        args = lander.parse_args(argv[1:])
        copied, held_back = land(args.simulated, args.landing, args.hold_back_last_month)
        print(f"landed {copied} files in {args.landing}" + (f" (held back: {held_back})" if held_back else ""))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duckdb", type=Path, required=True, help="the DuckDB build of the landing")
    parser.add_argument("--spark-warehouse", type=Path, required=True, help="Spark's warehouse directory")
    parser.add_argument("--manifest", type=Path, required=True, help="dbt's manifest.json of the project")
    args = parser.parse_args(argv)
    results = compare(args.duckdb, args.spark_warehouse, args.manifest)
    print(format_results(results))
    return 0 if all(result.equal for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
