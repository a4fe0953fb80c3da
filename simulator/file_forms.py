"""File-level faults (with ``--faults``): part of the landing in the other forms a real export has.

After the Parquet files are written, a few tables are rewritten in place so that the everyday build reads every
file form the landing accepts (see orchestration/landing.py), end to end:

- ``csv``: the rows of one month of shop.orders, shop.refunds and service.after_sales_tickets are moved out of
  that month's Parquet file into ``<table>_<YYYY-MM>.csv`` (header row, comma-separated, UTF-8; timestamps as
  ``2025-06-01 09:30:00.123456+00:00``, dates ISO, booleans ``true``/``false``, numbers as Python writes them,
  so ``nan``/``inf`` too; an empty cell is a null). Rows holding an empty string stay in the Parquet file: a CSV
  cannot tell an empty string from a null. The rows are moved, not copied: the table's row count is unchanged.
- ``upper_case_extension``: one month file of shop.order_lines is renamed ``*.PARQUET``.
- ``hive_subfolder``: every month file of loyalty.wallet_transactions moves into a ``year=<YYYY>/`` subfolder.

Each planted file is one row of the answer key ``truth/landing_files.parquet`` (``LANDING_FILES_SCHEMA``).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

CSV_TABLES = ("shop.orders", "shop.refunds", "service.after_sales_tickets")
UPPER_CASE_TABLES = ("shop.order_lines",)
HIVE_TABLES = ("loyalty.wallet_transactions",)
MONTH_FILE = re.compile(r"^(?P<table>.+)_(?P<month>\d{4}-\d{2})\.parquet$")

LANDING_FILES_SCHEMA = pa.schema([("source_system", pa.string()), ("source_table", pa.string()),
                                  ("relative_path", pa.string()), ("file_form", pa.string()),
                                  ("row_count", pa.int64()), ("detail", pa.string())])


def _month_files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.glob("*.parquet") if MONTH_FILE.match(path.name))


def _middle_month(folder: Path) -> Path | None:
    files = [path for path in _month_files(folder) if pq.ParquetFile(path).metadata.num_rows > 0]
    return files[len(files) // 2] if files else None


def csv_cell(value: object) -> str:
    """A value as a typical export writes it (None is an empty cell)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _has_empty_string(table: pa.Table) -> pa.Array:
    mask = pa.array([False] * table.num_rows)
    for name in table.column_names:
        column = table.column(name)
        if pa.types.is_string(column.type) or pa.types.is_dictionary(column.type):
            empty = pc.fill_null(pc.equal(column.cast(pa.string()), ""), False)
            mask = pc.or_(mask, empty)
    return mask


def _to_csv(path: Path) -> tuple[Path, int, str]:
    table = pq.read_table(path)
    stays = _has_empty_string(table)
    moved = table.filter(pc.invert(stays))
    kept = table.filter(stays)
    target = path.with_suffix(".csv")
    with open(target, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(moved.column_names)
        for row in moved.to_pylist():
            writer.writerow([csv_cell(row[name]) for name in moved.column_names])
    if kept.num_rows:
        pq.write_table(kept, path, compression="zstd")
        detail = f"{moved.num_rows} of {table.num_rows} rows of {path.name} moved to CSV; {kept.num_rows} rows " \
                 "holding an empty string stay in the Parquet file"
    else:
        path.unlink()
        detail = f"all {table.num_rows} rows of {path.name} moved to CSV"
    return target, moved.num_rows, detail


def plant_file_forms(raw_dir: Path) -> pa.Table:
    """Rewrite part of the landing under ``raw_dir`` in other file forms; returns the answer-key rows. Tables not
    written (``--systems``) are skipped."""
    records: list[dict] = []

    def record(qualified: str, path: Path, form: str, rows: int, detail: str) -> None:
        system, table = qualified.split(".")
        records.append({"source_system": system, "source_table": table,
                        "relative_path": path.relative_to(raw_dir).as_posix(), "file_form": form,
                        "row_count": rows, "detail": detail})

    for qualified in CSV_TABLES:
        source = _middle_month(raw_dir.joinpath(*qualified.split(".")))
        if source is not None:
            target, rows, detail = _to_csv(source)
            record(qualified, target, "csv", rows, detail)
    for qualified in UPPER_CASE_TABLES:
        source = _middle_month(raw_dir.joinpath(*qualified.split(".")))
        if source is not None:
            target = source.with_name(source.stem + ".PARQUET")
            source.rename(target)
            record(qualified, target, "upper_case_extension", pq.ParquetFile(target).metadata.num_rows,
                   f"{source.name} named with an upper-case extension")
    for qualified in HIVE_TABLES:
        for source in _month_files(raw_dir.joinpath(*qualified.split("."))):
            folder = source.parent / f"year={MONTH_FILE.match(source.name)['month'][:4]}"
            folder.mkdir(exist_ok=True)
            target = folder / source.name
            source.rename(target)
            record(qualified, target, "hive_subfolder", pq.ParquetFile(target).metadata.num_rows,
                   f"{source.name} in a Hive-style subfolder")
    return pa.Table.from_pylist(records, schema=LANDING_FILES_SCHEMA)
