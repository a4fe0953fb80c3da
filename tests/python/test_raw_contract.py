"""A structurally broken landing stops the build before anything is built, with an error that names the
source, the file and the column."""

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


def test_missing_table_is_named(landing: Path, tmp_path: Path):
    folder = landing / "crm" / "touchpoints"
    shutil.rmtree(folder)
    output = build_and_expect_failure(landing, tmp_path)
    assert "crm.touchpoints" in output and "no Parquet file" in output, output[-2000:]


def test_empty_required_table_is_named(landing: Path, tmp_path: Path):
    folder = landing / "marketing" / "campaigns"
    files = sorted(folder.glob("*.parquet"))
    with duckdb.connect() as con:
        con.execute(
            f"copy (select * from read_parquet('{files[0]}') limit 0) to '{folder / 'empty.parquet'}' (format parquet)"
        )
    for file in files:
        file.unlink()
    output = build_and_expect_failure(landing, tmp_path)
    assert "marketing.campaigns" in output and "hold no rows" in output, output[-2000:]


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
