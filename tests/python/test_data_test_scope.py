"""The data tests of the big incremental tables audit what builds wrote since each test last passed
(macros/data_test_scope.sql): a duplicate a build writes is caught, also against a row it did not rewrite, and is
reported again on every run until it is gone; `audit_every_row` reads every row."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from conftest import Build, dbt

UNIQUE = "unique_fct_orders_order_id"


def _passes(warehouse: Path) -> dict[str, object]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return dict(con.execute("select test_unique_id, passed_build_started_at from main.data_test_passes").fetchall())


def _test(build: Build, warehouse: Path, *extra: str) -> tuple[int, str]:
    result = dbt(["test", "--select", UNIQUE, *extra], build.raw, warehouse, check=False)
    return result.returncode, result.stdout


def test_scoped_unique_test_catches_written_duplicates_until_they_are_gone(ci_build: Build, tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy2(ci_build.warehouse, warehouse)
    passes = _passes(warehouse)
    unique_id = next(test for test in passes if f".{UNIQUE}." in test)
    built_at = passes[unique_id]

    code, _ = _test(ci_build, warehouse)
    assert code == 0
    assert _passes(warehouse)[unique_id] > built_at, "a pass moves the test's record to its run's start"

    with duckdb.connect(str(warehouse)) as con:
        order_id, computed_at = con.execute(
            "select order_id, computed_at from marts.fct_orders order by order_id limit 1").fetchone()
        # a build writes a second row of an order it did not rewrite: the new row is compared with the old one
        con.execute("insert into marts.fct_orders select * replace ((now() at time zone 'UTC') as computed_at) "
                    "from marts.fct_orders where order_id = ?", [order_id])
    recorded = _passes(warehouse)[unique_id]
    for _ in range(2):  # a failure does not move the record, so the next run reports it again
        code, output = _test(ci_build, warehouse)
        assert code != 0 and "FAIL 1" in output
        assert _passes(warehouse)[unique_id] == recorded

    with duckdb.connect(str(warehouse)) as con:
        con.execute("delete from marts.fct_orders where order_id = ? and computed_at > ?", [order_id, computed_at])
    assert _test(ci_build, warehouse)[0] == 0

    # a row no build wrote since the last pass (changed behind dbt's back) is outside the scope, but not outside a
    # full audit
    with duckdb.connect(str(warehouse)) as con:
        con.execute("insert into marts.fct_orders select * from marts.fct_orders where order_id = ?", [order_id])
    assert _test(ci_build, warehouse)[0] == 0
    code, output = _test(ci_build, warehouse, "--vars", "{audit_every_row: true}")
    assert code != 0 and "FAIL 1" in output
