"""The landing: every problem in one report, files of every readable kind counted, a shop-only company builds,
and the warehouse knows what it was built from."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from conftest import REPO, Build, dbt, simulate
from orchestration import landing

# --- pure helpers ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arrow_type", "contract_type", "expected"),
    [
        (pa.null(), "VARCHAR", True),
        (pa.null(), "DOUBLE", True),
        (pa.string(), "VARCHAR", True),
        (pa.dictionary(pa.int32(), pa.string()), "VARCHAR", True),
        (pa.string(), "DOUBLE", False),
        (pa.string(), "INTEGER", False),
        (pa.int64(), "INTEGER", True),
        (pa.float64(), "INTEGER", False),
        (pa.decimal128(18, 4), "DOUBLE", True),
        (pa.timestamp("us", tz="UTC"), "TIMESTAMP WITH TIME ZONE", True),
        (pa.timestamp("ns"), "DATE", True),
        (pa.date32(), "TIMESTAMP WITH TIME ZONE", False),
        (pa.bool_(), "BOOLEAN", True),
        (pa.int8(), "BOOLEAN", False),
    ],
)
def test_type_compatibility(arrow_type: pa.DataType, contract_type: str, expected: bool) -> None:
    assert landing.type_is_compatible(arrow_type, contract_type) is expected


def test_files_of_every_kind_are_found_and_the_rest_named(tmp_path: Path) -> None:
    folder = tmp_path / "shop" / "orders"
    (folder / "year=2026" / "month=01").mkdir(parents=True)
    for name in ["a.parquet", "B.PARQUET", "c.Csv", "year=2026/month=01/d.parquet", "e.xlsx", "f.json"]:
        (folder / name).write_bytes(b"")
    found = landing.discover_files(folder)
    assert [path.relative_to(folder).as_posix() for path in found] == [
        "B.PARQUET",
        "a.parquet",
        "c.Csv",
        "e.xlsx",
        "f.json",
        "year=2026/month=01/d.parquet",
    ]
    assert [landing.file_format(path) for path in found] == ["parquet", "parquet", "csv", None, None, "parquet"]
    assert landing.discover_files(tmp_path / "absent") == []


def test_csv_cells_that_do_not_cast_are_found() -> None:
    values = pa.array(["3", None, "3 pcs", "4", "x"])
    assert landing._cast_failures(values, "INTEGER") == [2, 4]
    assert landing._cast_failures(pa.array(["2026-03-01T18:05:00+08:00", "2026-03-01 10:00:00", "yesterday"]),
                                  "TIMESTAMP WITH TIME ZONE") == [2]
    assert landing._cast_failures(pa.array(["anything"]), "VARCHAR") == []


def _record(files: dict[str, tuple[int, int]], status: str = "built", root: str = "/raw",
            warehouse_format: int = landing.WAREHOUSE_FORMAT) -> dict:
    return {
        "status": status,
        "warehouse_format": warehouse_format,
        "root": root,
        "tables": {"shop.orders": {"rows": 1, "files": [
            {"path": path, "size": size, "mtime_ns": mtime} for path, (size, mtime) in files.items()
        ]}},
    }


def test_only_an_append_keeps_the_warehouse() -> None:
    before = _record({"shop/orders/a.parquet": (10, 1)})
    appended = _record({"shop/orders/a.parquet": (10, 1), "shop/orders/b.parquet": (5, 2)})
    assert landing.refresh_reason(before, appended, warehouse_exists=True) == ""
    assert "removed" in landing.refresh_reason(appended, before, warehouse_exists=True)
    rewritten = _record({"shop/orders/a.parquet": (10, 7)})
    assert "rewritten" in landing.refresh_reason(before, rewritten, warehouse_exists=True)
    assert "did not finish" in landing.refresh_reason(_record({}, status="building"), appended, True)
    assert "no record" in landing.refresh_reason(None, appended, warehouse_exists=True)
    assert "root" in landing.refresh_reason(before, _record({}, root="/elsewhere"), warehouse_exists=True)
    assert landing.refresh_reason(None, appended, warehouse_exists=False) == ""
    older_layout = {key: value for key, value in before.items() if key != "warehouse_format"}
    assert "earlier layout (format 1" in landing.refresh_reason(older_layout, appended, warehouse_exists=True)


def test_active_domains() -> None:
    core = {"shop.customers": 5, "shop.orders": 9, "shop.order_lines": 20, "shop.products": 3}
    assert landing.active_domains(core) == {"customers": True, "loyalty": False, "channel": False, "service": False}
    assert landing.active_domains({**core, "service.after_sales_tickets": 1})["service"]
    assert "empty (no source rows): loyalty, channel, service" in landing.domains_line(core)


def test_contract_marks_the_core_required_and_optional_columns() -> None:
    contract = {table.label: table for table in landing.load_contract()}
    required = {label for label, table in contract.items() if table.landing == landing.REQUIRED}
    assert required == {"shop.customers", "shop.products", "shop.orders", "shop.order_lines"}
    assert contract["reference.fx_rates"].landing == landing.REQUIRED_WHEN_FOREIGN_CURRENCY
    assert all(table.landing in (landing.REQUIRED, landing.OPTIONAL, landing.REQUIRED_WHEN_FOREIGN_CURRENCY)
               for table in contract.values())
    orders = {column.name: column for column in contract["shop.orders"].columns}
    assert orders["discount_code"].optional and not orders["order_id"].optional


# --- landings on disk ----------------------------------------------------------------------------------------------


def _first(raw: Path, system: str, table: str, index: int = 0) -> Path:
    return sorted((raw / system / table).rglob("*.parquet"))[index]  # at any depth: Hive-style folders too


def _check(raw: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "orchestration.landing", "check"],
        cwd=REPO,
        env={**os.environ, "RAW_DATA_DIR": str(raw)},
        capture_output=True,
        text=True,
    )


def _to_csv(path: Path, target: Path) -> int:
    table = pq.read_table(path)
    pacsv.write_csv(table, target)
    path.unlink()
    return table.num_rows


@pytest.fixture()
def landing_copy(ci_build: Build, tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    shutil.copytree(ci_build.raw, raw)
    return raw


def test_check_landing_lists_every_problem_in_one_run(landing_copy: Path) -> None:
    raw = landing_copy
    shutil.rmtree(raw / "shop" / "products")  # a required table missing
    # A NULL-typed column (pandas writes one for an all-null column) is accepted for a nullable column.
    nulled = _first(raw, "shop", "customers")
    table = pq.read_table(nulled)
    index = table.schema.get_field_index("company_name")
    pq.write_table(table.set_column(index, "company_name", pa.nulls(table.num_rows)), nulled)
    # Readable in other spellings: a CSV export, an upper-case name, a Hive-style folder.
    _to_csv(_first(raw, "shop", "orders"), raw / "shop" / "orders" / "orders_export.csv")
    upper = _first(raw, "shop", "order_lines")
    upper.rename(upper.with_name(upper.stem + ".PARQUET"))
    hive = raw / "shop" / "order_lines" / "year=2026"
    hive.mkdir()
    moved = _first(raw, "shop", "order_lines")
    moved.rename(hive / moved.name)
    # Problems: a CSV cell that does not cast, a spreadsheet, a missing column, a wrong type.
    bad_csv = raw / "shop" / "refunds" / "refunds_export.csv"
    _to_csv(_first(raw, "shop", "refunds"), bad_csv)
    lines = bad_csv.read_text().splitlines()
    header = [name.strip('"') for name in lines[0].split(",")]
    cells = lines[3].split(",")
    cells[header.index("refund_amount")] = "twelve"
    lines[3] = ",".join(cells)
    bad_csv.write_text("\n".join(lines) + "\n")
    (raw / "crm" / "referrals" / "referrals_2026.xlsx").write_bytes(b"PK\x03\x04 not parquet")
    missing = _first(raw, "crm", "touchpoints")
    pq.write_table(pq.read_table(missing).drop(["crm_contact_id"]), missing)
    wrong = _first(raw, "loyalty", "wallet_transactions")
    table = pq.read_table(wrong)
    index = table.schema.get_field_index("amount")
    pq.write_table(table.set_column(index, "amount", pa.array([f"{v} EUR" for v in table["amount"].to_pylist()])),
                   wrong)

    result = _check(raw)
    assert result.returncode == 1, result.stdout
    report = result.stdout
    rows = [line for line in report.splitlines()[3:] if line.strip()]
    expected = [
        ("shop.products", "shop/products/", "required table has no rows"),
        ("shop.refunds", "shop/refunds/refunds_export.csv", "refund_amount", "line 4: 'twelve'"),
        ("crm.referrals", "referrals_2026.xlsx", "file is not read"),
        ("crm.touchpoints", missing.name, "crm_contact_id", "missing column"),
        ("loyalty.wallet_transactions", wrong.name, "amount", "incompatible type", "DOUBLE", "string"),
    ]
    for parts in expected:
        assert any(all(part in row for part in parts) for row in rows), (parts, report)
    assert len(rows) == len(expected), report  # nothing else: NULL-typed, CSV, upper-case and Hive files are fine
    for fine in ("company_name", "orders_export.csv", ".PARQUET", "year=2026"):
        assert fine not in report, report

    # A bare dbt build refuses before building anything, naming the problems and the full report's command.
    warehouse = raw.parent / "warehouse.duckdb"
    built = dbt(["run", "--select", "stg_shop__orders"], raw, warehouse, check=False)
    assert built.returncode != 0
    assert "make check-landing" in built.stdout and "crm.touchpoints" in built.stdout, built.stdout[-3000:]
    assert "shop.products: required table has no rows" in built.stdout


def test_csv_upper_case_and_hive_files_are_staged(landing_copy: Path) -> None:
    raw = landing_copy
    csv_rows = _to_csv(_first(raw, "shop", "orders", 3), raw / "shop" / "orders" / "orders_2025.csv")
    upper = _first(raw, "shop", "order_lines", 3)
    upper_rows = pq.ParquetFile(upper).metadata.num_rows
    upper.rename(upper.with_name(upper.stem.upper() + ".PARQUET"))
    hive = raw / "shop" / "order_lines" / "year=2025" / "month=05"
    hive.mkdir(parents=True)
    moved = _first(raw, "shop", "order_lines", 4)
    hive_rows = pq.ParquetFile(moved).metadata.num_rows
    moved.rename(hive / moved.name)
    assert min(csv_rows, upper_rows, hive_rows) > 0
    assert _check(raw).returncode == 0

    warehouse = raw.parent / "warehouse.duckdb"
    dbt(
        ["build", "--select", "+stg_shop__orders", "+stg_shop__order_lines", "+stg_shop__quarantined_rows",
         "--exclude-resource-type", "test", "unit_test"],
        raw,
        warehouse,
    )
    report = landing.check_landing(raw)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for table in ("orders", "order_lines"):
            files = report.files[f"shop.{table}"]
            independent = sum(file.rows for file in files)  # pyarrow, file by file
            assert independent == sum(
                pq.ParquetFile(f.path).metadata.num_rows if landing.file_format(f.path) == "parquet"
                else pacsv.read_csv(f.path).num_rows for f in files
            )
            (viewed,) = con.execute(f"select count(*) from raw_shop.{table}").fetchone()
            (staged,) = con.execute(f"select count(*) from staging.stg_shop__{table}").fetchone()
            (quarantined,) = con.execute(
                "select count(*) from staging.stg_shop__quarantined_rows where source_table = ?", [table]
            ).fetchone()
            assert viewed == independent
            assert staged + quarantined == independent, (table, staged, quarantined, independent)
        (csv_orders,) = con.execute(
            "select count(*) from read_csv(?, all_varchar = true, header = true) as landed "
            "where order_id in (select order_id from staging.stg_shop__orders)",
            [str(raw / "shop" / "orders" / "orders_2025.csv")],
        ).fetchone()
        assert csv_orders > 0, "rows of the CSV export reach staging"
        types = dict(con.execute("select column_name, data_type from information_schema.columns "
                                 "where table_schema = 'raw_shop' and table_name = 'orders'").fetchall())
        assert types["loaded_at"] == "TIMESTAMP WITH TIME ZONE", "CSV text is cast to the contract type"


@pytest.mark.long
def test_shop_only_landing_builds_with_empty_other_domains(ci_build: Build, tmp_path: Path) -> None:
    data = tmp_path / "shop_only"
    simulate(data, systems="shop,mdm,reference")
    systems = {path.name for path in (data / "raw").iterdir()}
    assert systems == {"shop", "mdm", "reference"}
    faults = pq.read_table(data / "truth" / "faults.parquet")
    assert faults.num_rows > 0 and set(faults["source_system"].to_pylist()) <= systems, "answer key of what was written"
    assert not (data / "truth" / "under_reporting_dealers.parquet").exists()
    assert _check(data / "raw").returncode == 0
    warehouse = data / "warehouse.duckdb"
    dbt(["build", "--exclude", "test_type:unit"], data / "raw", warehouse)

    marts_by_domain = {
        folder.name: {path.stem for path in folder.glob("*.sql")}
        for folder in (REPO / "models" / "marts").iterdir()
        if folder.is_dir()
    }
    with duckdb.connect(str(warehouse), read_only=True) as con:
        built = {name for (name,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'").fetchall()}
        for domain, marts in marts_by_domain.items():
            assert marts <= built, f"every mart exists, also of an empty domain: {sorted(marts - built)}"
            if domain == "customers":
                continue
            for mart in sorted(marts):
                (rows,) = con.execute(f'select count(*) from marts."{mart}"').fetchone()
                assert rows == 0, f"{domain} mart {mart} has {rows} rows without its source systems"
        shop_only = con.execute(
            "select count(*), sum(net_amount_reporting), sum(gross_amount_reporting) from marts.fct_orders"
        ).fetchone()
        assert con.execute("select count(*) from marts.dim_customers").fetchone()[0] > 0
    with duckdb.connect(str(ci_build.warehouse), read_only=True) as con:
        full = con.execute(
            "select count(*), sum(net_amount_reporting), sum(gross_amount_reporting) from marts.fct_orders"
        ).fetchone()
    assert shop_only[0] > 0
    assert shop_only == full, "the same shop data gives the same order facts with or without the other systems"

    # Without exchange rates the foreign-currency amounts could not be reported: both checks refuse.
    shutil.rmtree(data / "raw" / "reference")
    result = _check(data / "raw")
    assert result.returncode == 1 and "reference.fx_rates" in result.stdout and "EUR" in result.stdout, result.stdout
    refused = dbt(["run", "--select", "stg_shop__orders"], data / "raw", data / "refused.duckdb", check=False)
    assert refused.returncode != 0 and "reference.fx_rates: required" in refused.stdout, refused.stdout[-2000:]

    # A shop that sells only in the reporting currency needs no rate file: every amount is reported at 1.
    for table in ("orders", "refunds", "products"):
        for path in sorted((data / "raw" / "shop" / table).rglob("*")):
            if path.suffix.lower() == ".parquet":
                rows = pq.read_table(path)
                index = rows.column_names.index("currency_code")
                rows = rows.set_column(index, "currency_code", pa.array(["USD"] * rows.num_rows, pa.string()))
                pq.write_table(rows, path)
            elif path.suffix.lower() == ".csv":  # rewritten as text, so every other cell keeps its export format
                with path.open(newline="") as file:
                    reader = csv.DictReader(file)
                    fields, texts = reader.fieldnames, [{**row, "currency_code": "USD"} for row in reader]
                with path.open("w", newline="") as file:
                    writer = csv.DictWriter(file, fieldnames=fields)
                    writer.writeheader()
                    writer.writerows(texts)
    assert _check(data / "raw").returncode == 0
    usd_only = data / "usd_only.duckdb"
    dbt(["build", "--select", "+fct_orders", "+stg_shop__quarantined_rows", "--exclude", "test_type:unit",
         "--indirect-selection", "cautious"], data / "raw", usd_only)
    with duckdb.connect(str(usd_only), read_only=True) as con:
        staged, built, unreported = con.execute(
            """
            select
                (select count(*) from staging.stg_shop__orders),
                count(*),
                count(*) filter (where net_amount_reporting is distinct from net_amount
                                 or gross_amount_reporting is distinct from gross_amount)
            from marts.fct_orders
            """
        ).fetchone()
        missing_rate = con.execute(
            "select count(*) from staging.stg_shop__quarantined_rows where quarantine_reason = 'missing_fx_rate'"
        ).fetchone()[0]
    assert built > 0 and unreported == 0 and missing_rate == 0, (staged, built, unreported, missing_rate)


def test_a_rewritten_landing_restarts_the_build_warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    contract = [landing.ContractTable("shop", "orders", (landing.ContractColumn("order_id", "VARCHAR"),))]
    monkeypatch.setattr(landing, "load_contract", lambda repo=None: contract)
    raw = tmp_path / "raw"
    folder = raw / "shop" / "orders"
    folder.mkdir(parents=True)
    pq.write_table(pa.table({"order_id": ["o1"]}), folder / "a.parquet")
    warehouse = tmp_path / "warehouse.duckdb"
    # on Spark (DBT_TARGET=spark) the local session's tables and metastore restart with the build warehouse
    monkeypatch.setenv("DBT_TARGET", "spark")
    monkeypatch.setenv("SPARK_WAREHOUSE_DIR", str(tmp_path / "spark"))
    spark_table = tmp_path / "spark" / "warehouse" / "marts.db" / "fct_orders" / "part-0.parquet"
    metastore = tmp_path / "spark" / "metastore_db"

    def spark_build() -> None:
        spark_table.parent.mkdir(parents=True, exist_ok=True)
        spark_table.write_bytes(b"built")
        metastore.mkdir(exist_ok=True)

    def build() -> str:
        report, line = landing.prepare_build(raw, warehouse)
        assert report.ok, landing.format_report(report)
        assert landing.read_record(warehouse)["status"] == "building"
        assert warehouse.exists() != line.startswith(("Full refresh", "First build")), "a full refresh starts empty"
        warehouse.write_bytes(b"built")  # stands for dbt's build
        return line

    spark_build()  # left from an earlier build: the first build starts without it
    assert build().startswith("First build")
    assert not spark_table.exists() and not metastore.exists()
    landing.mark_built(warehouse)
    assert landing.read_record(warehouse)["tables"]["shop.orders"]["rows"] == 1
    pq.write_table(pa.table({"order_id": ["o2", "o3"]}), folder / "b.parquet")
    spark_build()
    assert build().startswith("Incremental build"), "new files append: the warehouse is kept"
    assert spark_table.exists() and metastore.exists(), "and so are Spark's tables"
    # The build fails midway (never marked built): the next one starts afresh.
    line = build()
    assert line == "Full refresh: the previous build did not finish; the build warehouse starts empty."
    assert not spark_table.exists() and not metastore.exists(), "Spark's tables start empty too"
    assert (tmp_path / "spark").is_dir(), "only the tables and the metastore go"
    landing.mark_built(warehouse)
    pq.write_table(pa.table({"order_id": ["o1", "o4"]}), folder / "a.parquet")
    assert build() == "Full refresh: shop/orders/a.parquet was rewritten; the build warehouse starts empty."
    landing.mark_built(warehouse)
    (folder / "b.parquet").unlink()
    assert build() == "Full refresh: shop/orders/b.parquet was removed; the build warehouse starts empty."
    landing.mark_built(warehouse)
    monkeypatch.setenv("DBT_TARGET", "duckdb")
    assert build() == "Full refresh: the warehouse was built on spark, this build runs on duckdb; the build " \
        "warehouse starts empty."


def test_publication_record_and_volume_checks_know_the_active_domains(tmp_path: Path) -> None:
    from orchestration import gx_checks, publish

    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.fct_orders as select 'o1' as order_id")
        con.execute("create table marts.fct_wallet_ledger as select 'w1' as entry_id where false")
        empty_inactive = gx_checks.mart_metrics(con, "marts", "fct_wallet_ledger", 10, False)
        empty_active = gx_checks.mart_metrics(con, "marts", "fct_wallet_ledger", 10, True)
    assert empty_inactive["row_count"].isna().all() and empty_inactive["row_count_vs_published"].isna().all()
    assert empty_active.at[0, "row_count"] == 0, "an empty mart of an active domain still fails the volume check"
    domains = landing.active_domains({"shop.customers": 1, "shop.orders": 1, "shop.order_lines": 1,
                                      "shop.products": 1})
    publication = publish.publish(
        warehouse,
        tmp_path / "serving",
        "run-1",
        [publish.MartToPublish("fct_orders"), publish.MartToPublish("fct_wallet_ledger")],
        domains=domains,
    )
    with duckdb.connect(str(publication.path), read_only=True) as con:
        active, empty = con.execute("select active_domains, empty_domains from main.publication").fetchone()
    assert (json.loads(active), json.loads(empty)) == (["customers"], ["loyalty", "channel", "service"])
