"""A structurally broken landing stops a bare `dbt build` before anything is built (the on-run-start guard of
create_landing_views), with an error that names the source, the file and the column and points at
`make check-landing`; an optional table may be absent. (test_landing.py covers the full landing report.)"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from conftest import Build, dbt


@pytest.fixture()
def landing(ci_build: Build, tmp_path: Path) -> Path:
    """A private copy of the ci landing that a test may break."""
    raw = tmp_path / "raw"
    shutil.copytree(ci_build.raw, raw)
    return raw


def first_file(raw: Path, system: str, table: str) -> Path:
    return sorted((raw / system / table).glob("*.parquet"))[0]


def build_and_expect_failure(raw: Path, tmp_path: Path) -> str:
    warehouse = tmp_path / "warehouse.duckdb"
    result = dbt(["run", "--select", "stg_shop__orders"], raw, warehouse, check=False)
    assert result.returncode != 0, "the build should have stopped"
    if warehouse.exists():
        with duckdb.connect(str(warehouse), read_only=True) as con:
            built = con.execute(
                "select count(*) from information_schema.tables where table_schema in ('staging', 'marts')"
            ).fetchone()[0]
        assert built == 0, "nothing may be built from a broken landing"
    return result.stdout


def test_missing_column_names_file_and_column(landing: Path, tmp_path: Path):
    broken = first_file(landing, "shop", "orders")
    with duckdb.connect() as con:
        con.execute(
            f"copy (select * exclude (placed_at) from read_parquet('{broken}')) to '{broken}.tmp' (format parquet)"
        )
    Path(f"{broken}.tmp").replace(broken)
    output = build_and_expect_failure(landing, tmp_path)
    assert "shop.orders" in output and str(broken) in output and "'placed_at'" in output, output[-2000:]


def test_unreadable_file_is_named(landing: Path, tmp_path: Path):
    broken = landing / "shop" / "refunds" / "refunds_truncated.parquet"
    broken.write_bytes(b"PAR1 this is not a parquet file")
    output = build_and_expect_failure(landing, tmp_path)
    assert str(broken) in output, output[-2000:]


def test_missing_required_table_is_named(landing: Path, tmp_path: Path):
    shutil.rmtree(landing / "shop" / "products")
    output = build_and_expect_failure(landing, tmp_path)
    assert "shop.products: required table has no rows" in output and "make check-landing" in output, output[-2000:]


def test_missing_optional_table_is_an_empty_view(landing: Path, tmp_path: Path):
    shutil.rmtree(landing / "crm" / "touchpoints")
    warehouse = tmp_path / "warehouse.duckdb"
    dbt(["build", "--select", "+stg_crm__touchpoints", "--indirect-selection", "cautious"], landing, warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from raw_crm.touchpoints").fetchone()[0] == 0
        assert con.execute("select count(*) from staging.stg_crm__touchpoints").fetchone()[0] == 0
        columns = con.execute(
            "select count(*) from information_schema.columns where table_schema = 'raw_crm' "
            "and table_name = 'touchpoints'"
        ).fetchone()[0]
    assert columns > 1, "the empty view keeps the contract's columns"


def test_landing_of_linked_files_is_read_in_full(landing: Path, tmp_path: Path):
    """A landing made of symbolic links to the exports (in a Hive-style subfolder too) reads every row."""
    folder = landing / "crm" / "touchpoints"
    exports = tmp_path / "exports"
    shutil.move(folder, exports)
    (folder / "year=2026").mkdir(parents=True)
    files = sorted(exports.rglob("*.parquet"))
    for number, file in enumerate(files):
        (folder / ("year=2026" if number % 2 else "") / file.name).symlink_to(file)
    warehouse = tmp_path / "warehouse.duckdb"
    dbt(["build", "--select", "+stg_crm__touchpoints", "--indirect-selection", "cautious"], landing, warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        landed = con.execute("select count(*) from raw_crm.touchpoints").fetchone()[0]
    assert landed == duckdb.sql(f"select count(*) from read_parquet('{exports}/**/*.parquet')").fetchall()[0][0] > 0


def test_empty_required_table_is_named(landing: Path, tmp_path: Path):
    folder = landing / "shop" / "products"
    files = sorted(folder.glob("*.parquet"))
    with duckdb.connect() as con:
        con.execute(
            f"copy (select * from read_parquet('{files[0]}') limit 0) to '{folder / 'empty.parquet'}' (format parquet)"
        )
    for file in files:
        file.unlink()
    output = build_and_expect_failure(landing, tmp_path)
    assert "shop.products" in output and "required table has no rows" in output, output[-2000:]


def test_wrong_column_type_is_named(landing: Path, tmp_path: Path):
    broken = first_file(landing, "shop", "order_lines")
    with duckdb.connect() as con:
        con.execute(
            f"copy (select * replace (cast(quantity as varchar) || ' pcs' as quantity) from read_parquet('{broken}'))"
            f" to '{broken}.tmp' (format parquet)"
        )
    Path(f"{broken}.tmp").replace(broken)
    output = build_and_expect_failure(landing, tmp_path)
    assert str(broken) in output and "'quantity'" in output and "VARCHAR" in output, output[-2000:]
