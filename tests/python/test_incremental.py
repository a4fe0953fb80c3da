"""Incremental facts built over several landed batches equal a full refresh over the same data."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb

from conftest import Build, dbt

INCREMENTAL_MODELS = {
    "marts": ["fct_order_lines", "fct_orders", "fct_dealer_sales", "rpt_wallet_balances"],
    "intermediate": ["int_wallet_transactions_converted"],
}
SELECTION = " ".join(f"+{name}" for names in INCREMENTAL_MODELS.values() for name in names)
# A month file in any form the landing reads: Parquet (any case), CSV, at any depth (Hive-style folders).
MONTH = re.compile(r"_(\d{4}-\d{2})\.(parquet|csv)$", re.IGNORECASE)


def month_files(raw: Path) -> list[Path]:
    return [file for file in raw.rglob("*") if file.is_file()]


def land(raw: Path, landing: Path, up_to_month: str) -> int:
    """Copy every file whose load month is at most `up_to_month` into the landing; returns files added."""
    added = 0
    for file in month_files(raw):
        match = MONTH.search(file.name)
        if match is None or match.group(1) > up_to_month:
            continue
        target = landing / file.relative_to(raw)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(file, target)
            added += 1
    return added


def test_incremental_runs_equal_full_refresh(ci_build: Build, tmp_path: Path):
    months = sorted({m.group(1) for f in month_files(ci_build.raw) if (m := MONTH.search(f.name))})
    assert len(months) >= 6, months
    landing = tmp_path / "landing"
    incremental = tmp_path / "incremental" / "warehouse.duckdb"
    incremental.parent.mkdir()

    # First the history up to three months before the end, then one monthly batch at a time.
    batches = [months[-4], months[-3], months[-2], months[-1]]
    for number, month in enumerate(batches):
        assert land(ci_build.raw, landing, month) > 0
        if number == 0:
            dbt(["seed"], landing, incremental)
        dbt(["run", "--select", SELECTION], landing, incremental)

    full = tmp_path / "full" / "warehouse.duckdb"
    full.parent.mkdir()
    dbt(["seed"], landing, full)
    dbt(["run", "--select", SELECTION, "--full-refresh"], landing, full)

    with duckdb.connect() as con:
        con.execute(f"attach '{incremental}' as incremental (read_only)")
        con.execute(f"attach '{full}' as full_refresh (read_only)")
        for schema, names in INCREMENTAL_MODELS.items():
            for name in names:
                rows = con.execute(f"select count(*) from full_refresh.{schema}.{name}").fetchone()[0]
                assert rows > 0, name
                only_incremental = con.execute(
                    f"select count(*) from (select * from incremental.{schema}.{name}"
                    f" except all select * from full_refresh.{schema}.{name})"
                ).fetchone()[0]
                only_full = con.execute(
                    f"select count(*) from (select * from full_refresh.{schema}.{name}"
                    f" except all select * from incremental.{schema}.{name})"
                ).fetchone()[0]
                assert (only_incremental, only_full) == (0, 0), (
                    f"{name}: {only_incremental} rows only in the incremental build, {only_full} only in the full one"
                )
