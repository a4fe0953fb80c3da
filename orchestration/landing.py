"""The landing check and the record of what the warehouse was built from.

    python -m orchestration.landing check     # list every problem of the landing in one table; exit 1 if any
    python -m orchestration.landing prepare   # check, then restart the build warehouse unless the landing is an
                                              # append of the one it was built from; record the build as started
    python -m orchestration.landing record    # after a successful build: record the landing as built

The contract is the sources YAML (`models/staging/<system>/_<system>__sources.yml`), read directly so the check
needs neither dbt nor a warehouse: a table's `meta.landing` says whether it must be landed (`required`,
`optional`, or `required_when_foreign_currency`), a column's `meta.optional: true` says a file may lack it
(it is then null), and `data_type` is the type a file's column must be able to stand for.

Files are read with pyarrow, independently of the warehouse's engine. Every file under
`RAW_DATA_DIR/<system>/<table>/` (at any depth, so Hive-style `year=2026/` folders count) is read when its name
ends in `.parquet` or `.csv` (any case) and is an error otherwise: no file is ever skipped silently. CSV files
are read as text and every cell of a typed column must cast to the contract type; a cell that does not is
reported with its file, column and line (the dbt views cast CSV text to the contract type strictly, so
nothing turns into null on the way in).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import shutil
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import yaml

from orchestration import settings

READABLE_SUFFIXES = {".parquet": "parquet", ".csv": "csv"}
REQUIRED = "required"
OPTIONAL = "optional"
REQUIRED_WHEN_FOREIGN_CURRENCY = "required_when_foreign_currency"
RECORD_SUFFIX = ".landing.json"
# The layout of the build warehouse that an incremental build reads back (e.g. the landed file of each staged shop
# order and line). Raised with every change that a warehouse built by earlier code lacks: the next build then
# starts from an empty warehouse instead of stopping. A record without it is of format 1. Format 3: staged_at
# on the incremental base models and the order facts. Format 4: the wallet chain computed one member at a time
# (computed_at, rules_digest, previous_golden_customer_id). Format 5: computed_at on fct_orders, campaign outcomes
# computed one customer at a time. Format 6: touchpoints converted incrementally (staged_at, computed_at,
# previous_golden_customer_id) and each order's first touchpoint after it matched one customer at a time.
WAREHOUSE_FORMAT = 6
# Rows of a CSV file whose cells fail to cast that the report quotes (the rest are counted).
QUOTED_BAD_ROWS = 3


@dataclass(frozen=True)
class ContractColumn:
    name: str
    data_type: str
    optional: bool = False


@dataclass(frozen=True)
class ContractTable:
    system: str
    name: str
    columns: tuple[ContractColumn, ...]
    landing: str = OPTIONAL

    @property
    def label(self) -> str:
        return f"{self.system}.{self.name}"


@dataclass(frozen=True)
class Violation:
    """One problem of the landing: a row of the report."""

    table: str
    file: str
    column: str
    problem: str
    expected: str = ""
    found: str = ""


@dataclass(frozen=True)
class LandedFile:
    path: Path
    size: int
    mtime_ns: int
    rows: int


@dataclass
class LandingReport:
    root: Path
    violations: list[Violation] = field(default_factory=list)
    files: dict[str, list[LandedFile]] = field(default_factory=dict)

    def rows(self, table: str) -> int:
        return sum(file.rows for file in self.files.get(table, []))

    @property
    def ok(self) -> bool:
        return not self.violations


# --- the contract --------------------------------------------------------------------------------------------


def load_contract(repo: Path | None = None) -> list[ContractTable]:
    """Every source table of the sources YAML files, sorted by system and table."""
    tables: list[ContractTable] = []
    for path in sorted((repo or settings.REPO).glob("models/staging/*/_*__sources.yml")):
        document = yaml.safe_load(path.read_text()) or {}
        for source in document.get("sources", []):
            for table in source.get("tables", []):
                columns = tuple(
                    ContractColumn(
                        name=column["name"],
                        data_type=str(column.get("data_type") or "VARCHAR").upper(),
                        optional=bool((column.get("meta") or {}).get("optional", False)),
                    )
                    for column in table.get("columns", [])
                )
                landing = (table.get("meta") or {}).get("landing", OPTIONAL)
                tables.append(ContractTable(source["name"], table["name"], columns, landing))
    return sorted(tables, key=lambda table: (table.system, table.name))


def reporting_currency(repo: Path | None = None) -> str:
    """The `reporting_currency` var of dbt_project.yml."""
    project = yaml.safe_load(((repo or settings.REPO) / "dbt_project.yml").read_text())
    return str(project.get("vars", {}).get("reporting_currency", "USD")).upper()


# --- finding files ---------------------------------------------------------------------------------------------


def file_format(path: Path) -> str | None:
    """`parquet` or `csv` for a file the landing reads (extension in any case), else None."""
    return READABLE_SUFFIXES.get(path.suffix.lower())


def discover_files(folder: Path) -> list[Path]:
    """Every regular file under a table's folder, at any depth (Hive-style subfolders included), sorted.
    The one file-discovery rule of the project: the landing check, the Dagster raw assets and the landing record
    all use it (the dbt views list the same files with the engine's glob `<folder>/**`)."""
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.rglob("*") if path.is_file())


def unknown_folders(root: Path, contract: Iterable[ContractTable]) -> list[Path]:
    """Files or folders under the landing root that belong to no contract table (they would never be read)."""
    known = {(table.system, table.name) for table in contract}
    systems = {system for system, _ in known}
    strays: list[Path] = []
    if not root.is_dir():
        return strays
    for system_dir in sorted(root.iterdir()):
        if system_dir.name not in systems or not system_dir.is_dir():
            strays.append(system_dir)
            continue
        for table_dir in sorted(system_dir.iterdir()):
            if (system_dir.name, table_dir.name) not in known or not table_dir.is_dir():
                strays.append(table_dir)
    return strays


# --- types -----------------------------------------------------------------------------------------------------


def _base_type(arrow_type: pa.DataType) -> pa.DataType:
    return arrow_type.value_type if pa.types.is_dictionary(arrow_type) else arrow_type


def type_is_compatible(arrow_type: pa.DataType, contract_type: str) -> bool:
    """True when a file column of `arrow_type` can stand for the contract's `data_type`. A NULL-typed column
    (pyarrow `null`, what pandas writes for an all-null column) stands for any type."""
    found = _base_type(arrow_type)
    if pa.types.is_null(found):
        return True
    if contract_type == "VARCHAR":
        return pa.types.is_string(found) or pa.types.is_large_string(found) or pa.types.is_string_view(found)
    if contract_type in ("INTEGER", "BIGINT"):
        return pa.types.is_integer(found)
    if contract_type in ("DOUBLE", "FLOAT") or contract_type.startswith("DECIMAL"):
        return pa.types.is_integer(found) or pa.types.is_floating(found) or pa.types.is_decimal(found)
    if contract_type == "BOOLEAN":
        return pa.types.is_boolean(found)
    if contract_type == "DATE":
        return pa.types.is_date(found) or pa.types.is_timestamp(found)
    if contract_type.startswith("TIMESTAMP"):
        return pa.types.is_timestamp(found)
    return False


def _cast_failures(values: pa.Array, contract_type: str) -> list[int]:
    """Indexes of non-null text cells that do not cast to the contract type (as the dbt views cast them)."""
    if contract_type == "VARCHAR":
        return []
    targets = {
        "INTEGER": [pa.int32()],
        "BIGINT": [pa.int64()],
        "DOUBLE": [pa.float64()],
        "FLOAT": [pa.float64()],
        "BOOLEAN": [pa.bool_()],
        "DATE": [pa.date32()],
        "TIMESTAMP WITH TIME ZONE": [pa.timestamp("us", tz="UTC"), pa.timestamp("us")],
        "TIMESTAMP": [pa.timestamp("us"), pa.timestamp("us", tz="UTC")],
    }.get(contract_type, [pa.float64()] if contract_type.startswith("DECIMAL") else [pa.string()])
    trimmed = pc.utf8_trim_whitespace(values)

    def casts(array: pa.Array) -> bool:
        for target in targets:
            try:
                pc.cast(array, target)
                return True
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                continue
        return False

    if casts(trimmed):
        return []
    return [
        index
        for index in range(len(trimmed))
        if trimmed[index].is_valid and not casts(trimmed.slice(index, 1))
    ]


# --- reading files ---------------------------------------------------------------------------------------------


def _csv_delimiter(path: Path) -> str:
    with open(path, newline="", encoding="utf-8", errors="replace") as handle:
        sample = handle.read(64 * 1024)
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def read_csv_as_text(path: Path) -> pa.Table:
    """A CSV file with a header row, every column as text (empty cells are null)."""
    delimiter = _csv_delimiter(path)
    with open(path, newline="", encoding="utf-8-sig") as handle:
        header = next(csv.reader(handle, delimiter=delimiter), [])
    if not header:
        raise ValueError("no header row")
    return pacsv.read_csv(
        path,
        parse_options=pacsv.ParseOptions(delimiter=delimiter),
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.string() for name in header}, strings_can_be_null=True
        ),
    )


def _check_file(table: ContractTable, path: Path) -> tuple[int, list[Violation]]:
    """Row count of one file and its violations of the table's contract."""
    shown = str(path)
    kind = file_format(path)
    if kind is None:
        return 0, [
            Violation(
                table.label,
                shown,
                "",
                "file is not read (unsupported format)",
                "*.parquet or *.csv",
                path.suffix or "(no extension)",
            )
        ]
    violations: list[Violation] = []
    try:
        if kind == "parquet":
            parquet = pq.ParquetFile(path)
            schema = parquet.schema_arrow
            rows = parquet.metadata.num_rows
            text = None
        else:
            text = read_csv_as_text(path)
            schema = text.schema
            rows = text.num_rows
    except Exception as error:  # noqa: BLE001 — any reader error makes the file unreadable, reported by name
        message = " ".join(str(error).split())[:160]
        return 0, [Violation(table.label, shown, "", "unreadable file", kind, message)]
    found = {name.lower(): schema.field(name) for name in schema.names}
    for column in table.columns:
        field_ = found.get(column.name.lower())
        if field_ is None:
            if not column.optional:
                violations.append(Violation(table.label, shown, column.name, "missing column", column.data_type, "—"))
            continue
        if text is None:
            if not type_is_compatible(field_.type, column.data_type):
                violations.append(
                    Violation(table.label, shown, column.name, "incompatible type", column.data_type, str(field_.type))
                )
            continue
        bad = _cast_failures(text.column(field_.name).combine_chunks(), column.data_type)
        if bad:
            quoted = ", ".join(
                f"line {index + 2}: {text.column(field_.name)[index].as_py()!r}" for index in bad[:QUOTED_BAD_ROWS]
            )
            more = f" (+{len(bad) - QUOTED_BAD_ROWS} more)" if len(bad) > QUOTED_BAD_ROWS else ""
            violations.append(
                Violation(table.label, shown, column.name, "CSV value does not cast", column.data_type, quoted + more)
            )
    return rows, violations


def _foreign_currencies(table: ContractTable, files: Iterable[Path], currency: str) -> set[str]:
    """Currency codes (three letters, after trimming and upper-casing) other than the reporting currency found in
    a table's readable files. Malformed codes do not count: staging quarantines their rows (unknown_currency)."""
    if not any(column.name == "currency_code" for column in table.columns):
        return set()
    codes: set[str] = set()
    for path in files:
        try:
            if file_format(path) == "parquet":
                if "currency_code" not in pq.read_schema(path).names:
                    continue
                values = pq.read_table(path, columns=["currency_code"]).column(0)
            elif file_format(path) == "csv":
                values = read_csv_as_text(path).column("currency_code")
            else:
                continue
        except Exception:  # noqa: BLE001 — unreadable files are reported by _check_file
            continue
        if not pa.types.is_string(_base_type(values.type)) and not pa.types.is_large_string(values.type):
            continue
        for value in pc.unique(pc.utf8_upper(pc.utf8_trim_whitespace(values.cast(pa.string())))).to_pylist():
            if value and value != currency and re.fullmatch("[A-Z]{3}", value):
                codes.add(value)
    return codes


def check_landing(
    root: Path | None = None, contract: list[ContractTable] | None = None, currency: str | None = None
) -> LandingReport:
    """Read every file of the landing and list every violation of the contract (never stopping at the first)."""
    root = root or settings.raw_dir()
    contract = contract if contract is not None else load_contract()
    currency = (currency or reporting_currency()).upper()
    report = LandingReport(root=root)
    foreign: dict[str, set[str]] = {}
    for table in contract:
        paths = discover_files(root / table.system / table.name)
        landed: list[LandedFile] = []
        for path in paths:
            rows, violations = _check_file(table, path)
            report.violations.extend(violations)
            stat = path.stat()
            landed.append(LandedFile(path, stat.st_size, stat.st_mtime_ns, rows))
        report.files[table.label] = landed
        if table.landing == REQUIRED and not report.rows(table.label):
            found = f"{len(paths)} file(s), 0 rows" if paths else "no file"
            report.violations.append(
                Violation(table.label, str(root / table.system / table.name) + "/", "", "required table has no rows",
                          "at least one row", found)
            )
    rates_missing = any(
        table.landing == REQUIRED_WHEN_FOREIGN_CURRENCY and not report.rows(table.label) for table in contract
    )
    if rates_missing:  # only then are the currency columns read
        for table in contract:
            if table.landing == REQUIRED_WHEN_FOREIGN_CURRENCY:
                continue
            codes = _foreign_currencies(table, [file.path for file in report.files[table.label]], currency)
            if codes:
                foreign[table.label] = codes
    for table in contract:
        if table.landing == REQUIRED_WHEN_FOREIGN_CURRENCY and foreign and not report.rows(table.label):
            where = "; ".join(f"{label}: {', '.join(sorted(codes))}" for label, codes in sorted(foreign.items()))
            report.violations.append(
                Violation(table.label, str(root / table.system / table.name) + "/", "",
                          f"required: amounts are not all in the reporting currency {currency}",
                          "exchange rates", f"none; {where}"[:200])
            )
    for stray in unknown_folders(root, contract):
        report.violations.append(
            Violation(stray.relative_to(root).as_posix(), str(stray), "", "not a contract table: never read",
                      "<system>/<table>/ of the sources YAML", "unknown folder" if stray.is_dir() else "file")
        )
    return report


def format_report(report: LandingReport) -> str:
    """The violations as one readable table (or a one-line all-clear with row counts)."""
    if report.ok:
        landed = sum(1 for files in report.files.values() if sum(file.rows for file in files))
        return (
            f"Landing {report.root}: no problems — {landed} of {len(report.files)} contract tables hold rows, "
            f"{sum(len(files) for files in report.files.values())} files."
        )
    headers = ("table", "file", "column", "problem", "expected", "found")
    rows = [
        (
            violation.table,
            _relative(violation.file, report.root),
            violation.column,
            violation.problem,
            violation.expected,
            violation.found,
        )
        for violation in report.violations
    ]
    widths = [max(len(headers[i]), *(len(row[i]) for row in rows)) for i in range(len(headers))]
    lines = [
        f"Landing {report.root}: {len(rows)} problem(s); nothing was built. Fix them all, then run again.",
        "  ".join(header.ljust(widths[i]) for i, header in enumerate(headers)),
        "  ".join("-" * width for width in widths),
    ]
    lines += ["  ".join(value.ljust(widths[i]) for i, value in enumerate(row)).rstrip() for row in rows]
    return "\n".join(lines)


def _relative(path: str, root: Path) -> str:
    try:
        return Path(path).relative_to(root).as_posix() + ("/" if path.endswith("/") else "")
    except ValueError:
        return path


# --- what the warehouse was built from --------------------------------------------------------------------------


def record_path(warehouse: Path | None = None) -> Path:
    """The landing record next to the build warehouse: `<warehouse>.landing.json`."""
    warehouse = warehouse or settings.warehouse_path()
    return warehouse.with_name(warehouse.name + RECORD_SUFFIX)


def landing_record(report: LandingReport, status: str) -> dict[str, Any]:
    """Files (path relative to the root, size, mtime), row counts per table, the engine (dbt target) and the build's
    status."""
    return {
        "status": status,
        "warehouse_format": WAREHOUSE_FORMAT,
        "engine": settings.dbt_target_name(),
        "root": str(report.root),
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "tables": {
            table: {
                "rows": sum(file.rows for file in files),
                "files": [
                    {"path": file.path.relative_to(report.root).as_posix(), "size": file.size,
                     "mtime_ns": file.mtime_ns, "rows": file.rows}
                    for file in files
                ],
            }
            for table, files in sorted(report.files.items())
        },
    }


def refresh_reason(previous: Mapping[str, Any] | None, current: Mapping[str, Any], warehouse_exists: bool) -> str:
    """Why the next build must start from an empty warehouse ('' when the landing appends to the one built):
    a file removed or rewritten, another landing root, a previous build that did not finish, a warehouse built
    in an earlier layout (WAREHOUSE_FORMAT) or by the other engine (DBT_TARGET), or a warehouse with no record of
    what it was built from."""
    if not warehouse_exists:
        return ""
    if previous is None:
        return "no record of the landing the warehouse was built from"
    if previous.get("status") != "built":
        return "the previous build did not finish"
    built_format, current_format = previous.get("warehouse_format", 1), current.get("warehouse_format", 1)
    if built_format != current_format:
        return f"the warehouse was built in an earlier layout (format {built_format}, now {current_format})"
    built_engine, current_engine = previous.get("engine", "duckdb"), current.get("engine", "duckdb")
    if built_engine != current_engine:
        return f"the warehouse was built on {built_engine}, this build runs on {current_engine}"
    if previous.get("root") != current.get("root"):
        return f"the landing root changed ({previous.get('root')} -> {current.get('root')})"
    now = {
        file["path"]: (file["size"], file["mtime_ns"])
        for table in current["tables"].values()
        for file in table["files"]
    }
    for table in previous.get("tables", {}).values():
        for file in table["files"]:
            if file["path"] not in now:
                return f"{file['path']} was removed"
            if now[file["path"]] != (file["size"], file["mtime_ns"]):
                return f"{file['path']} was rewritten"
    return ""


def read_record(warehouse: Path | None = None) -> dict[str, Any] | None:
    path = record_path(warehouse)
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def write_record(record: Mapping[str, Any], warehouse: Path | None = None) -> Path:
    path = record_path(warehouse)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(record, indent=1))
    temporary.replace(path)
    return path


def prepare_build(root: Path | None = None, warehouse: Path | None = None) -> tuple[LandingReport, str]:
    """Check the landing; when it is sound, restart the build warehouse unless the landing appends to the one it
    was built from, and record the build as started. Returns the report and a one-line account of the build."""
    report = check_landing(root)
    if not report.ok:
        return report, ""
    return report, start_build(report, warehouse)


def start_build(report: LandingReport, warehouse: Path | None = None) -> str:
    """For a sound landing: restart the build warehouse unless the landing appends to the one it was built from,
    and record the build as started. Returns the one-line account of the build."""
    warehouse = warehouse or settings.warehouse_path()
    current = landing_record(report, "building")
    reason = refresh_reason(read_record(warehouse), current, warehouse.exists())
    if current["engine"] == "spark" and (reason or not warehouse.exists()):
        # a local Spark session's tables and metastore start empty with the build warehouse: Spark's incremental
        # models would otherwise add this landing to tables built from another one
        for stale_folder in (settings.spark_warehouse_dir(), settings.spark_metastore_dir()):
            shutil.rmtree(stale_folder, ignore_errors=True)
    if reason:
        for stale in (warehouse, Path(f"{warehouse}.wal")):
            stale.unlink(missing_ok=True)
        line = f"Full refresh: {reason}; the build warehouse starts empty."
    elif warehouse.exists():
        line = "Incremental build: the landing appends to the one the warehouse was built from."
    else:
        line = "First build: the build warehouse starts empty."
    write_record(current, warehouse)
    return line


def mark_built(warehouse: Path | None = None) -> None:
    """Record that the build started by `prepare_build` finished."""
    record = read_record(warehouse)
    if record is None:
        return
    record["status"] = "built"
    record["built_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    write_record(record, warehouse)


# --- active domains --------------------------------------------------------------------------------------------

# The source tables whose rows make a domain active; the customers domain needs only the required shop core.
# README's "Which marts need which source tables" lists the same.
DOMAIN_SOURCES: dict[str, tuple[str, ...]] = {
    "customers": ("shop.customers", "shop.orders", "shop.order_lines", "shop.products"),
    "loyalty": ("loyalty.wallet_transactions", "promotions.lottery_draws"),
    "channel": ("dealer_portal.dealers", "dealer_portal.dealer_sales", "marketing.leads", "marketing.campaigns"),
    "service": ("service.after_sales_tickets",),
}


def active_domains(table_rows: Mapping[str, int]) -> dict[str, bool]:
    """customers is active when every core table has rows; another domain when any of its tables has rows."""
    return {
        domain: (all if domain == "customers" else any)(table_rows.get(table, 0) > 0 for table in tables)
        for domain, tables in DOMAIN_SOURCES.items()
    }


def domains_line(table_rows: Mapping[str, int]) -> str:
    """One line naming the active and the empty domains."""
    domains = active_domains(table_rows)
    active = [name for name, is_active in domains.items() if is_active]
    empty = [name for name, is_active in domains.items() if not is_active]
    line = f"Active domains: {', '.join(active) or 'none'}"
    return line + (f"; empty (no source rows): {', '.join(empty)}" if empty else "")


def recorded_table_rows(warehouse: Path | None = None) -> dict[str, int]:
    """Rows per source table of the landing recorded for the build warehouse (empty when there is no record)."""
    record = read_record(warehouse) or {}
    return {table: int(value.get("rows", 0)) for table, value in record.get("tables", {}).items()}


# --- command line -----------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["check", "prepare", "record"], nargs="?", default="check")
    args = parser.parse_args(argv)
    if args.command == "record":
        mark_built()
        print(f"Recorded the landing the warehouse was built from: {record_path()}")
        return 0
    if args.command == "check":
        report = check_landing()
        print(format_report(report))
        if report.ok:
            print(domains_line({table: report.rows(table) for table in report.files}))
        return 0 if report.ok else 1
    report, line = prepare_build()
    print(format_report(report))
    if not report.ok:
        return 1
    print(domains_line({table: report.rows(table) for table in report.files}))
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
