"""The Spark side's Python helpers, without Spark: the parity comparison finds every kind of difference (and
passes equal tables), and the mirror copies Spark's Parquet table folders into a DuckDB build file. `make
test-spark` runs the real builds."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration import spark_mirror, spark_parity

MANIFEST = {
    "nodes": {
        "model.p.fct_things": {
            "unique_id": "model.p.fct_things",
            "resource_type": "model",
            "name": "fct_things",
            "alias": "fct_things",
            "schema": "marts",
            "config": {"enabled": True, "materialized": "table"},
        },
        "test.p.unique_fct_things_thing_id": {
            "resource_type": "test",
            "attached_node": "model.p.fct_things",
            "test_metadata": {"name": "unique"},
            "column_name": "thing_id",
        },
        "model.p.stg_things": {
            "unique_id": "model.p.stg_things",
            "resource_type": "model",
            "name": "stg_things",
            "schema": "staging",
            "config": {"enabled": True, "materialized": "view"},
        },
    }
}

DUCKDB_ROWS = [
    ("a", Decimal("10.0000"), 0.5, "x", "2026-01-01 00:00:00"),
    ("b", Decimal("1.3849"), 1.0 / 3.0, "y", "2026-01-01 00:00:00"),
    ("c", Decimal("2.0000"), 2.0, None, "2026-01-01 00:00:00"),
]


def _duckdb_build(path: Path) -> None:
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute(
        "create table marts.fct_things (thing_id varchar, amount decimal(18, 4), ratio double, label varchar,"
        " computed_at timestamp)"
    )
    con.executemany("insert into marts.fct_things values (?, ?, ?, ?, ?)", DUCKDB_ROWS)
    con.close()


def _spark_table(warehouse: Path, rows: list[tuple]) -> None:
    folder = warehouse / "marts.db" / "fct_things"
    folder.mkdir(parents=True, exist_ok=True)
    table = pa.table(
        {
            "thing_id": [row[0] for row in rows],
            "amount": pa.array([row[1] for row in rows], pa.decimal128(18, 4)),
            "ratio": [row[2] for row in rows],
            "label": [row[3] for row in rows],
            # Spark ran later: build-time columns are not compared
            "computed_at": pa.array([1_800_000_000_000_000] * len(rows), pa.timestamp("us", tz="UTC")),
        }
    )
    pq.write_table(table, folder / "part-00000.parquet")


def _compare(tmp_path: Path, spark_rows: list[tuple]) -> spark_parity.TableResult:
    _duckdb_build(tmp_path / "duck.duckdb")
    _spark_table(tmp_path / "spark", spark_rows)
    con = duckdb.connect(str(tmp_path / "duck.duckdb"), read_only=True)
    node = MANIFEST["nodes"]["model.p.fct_things"]
    try:
        keys = spark_parity.key_columns(node, MANIFEST)
        return spark_parity.compare_table(con, node, keys, tmp_path / "spark" / "marts.db" / "fct_things")
    finally:
        con.close()


def test_published_models_are_the_marts_and_exports_with_their_keys():
    nodes = spark_parity.published_models(MANIFEST)
    assert [node["name"] for node in nodes] == ["fct_things"]
    assert spark_parity.key_columns(nodes[0], MANIFEST) == ["thing_id"]


def test_equal_tables_pass_within_the_rules(tmp_path):
    # money 0.0001 apart (the engines' rounding of a converted amount's fourth decimal), a ratio 1e-13 apart
    rows = [(r[0], r[1], r[2], r[3]) for r in DUCKDB_ROWS]
    rows[1] = ("b", Decimal("1.3850"), 1.0 / 3.0 + 1e-13, "y")
    result = _compare(tmp_path, rows)
    assert result.equal, result.problems
    assert (result.duckdb_rows, result.spark_rows) == (3, 3)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda rows: rows[:2], ["3 rows on DuckDB, 2 on Spark", "1 key(s) only on DuckDB"]),
        (lambda rows: [*rows, ("d", Decimal("1"), 1.0, "z")], ["1 key(s) only on Spark"]),
        (lambda rows: [("a", Decimal("10.0100"), *rows[0][2:]), *rows[1:]], ["column amount: 1 value(s) differ"]),
        (lambda rows: [("a", rows[0][1], 0.5000001, "x"), *rows[1:]], ["column ratio: 1 value(s) differ"]),
        (lambda rows: [*rows[:2], ("c", Decimal("2"), 2.0, "")], ["column label: 1 value(s) differ"]),
    ],
    ids=["missing row", "extra row", "money a cent apart", "ratio beyond 1e-9", "null against empty text"],
)
def test_each_difference_is_named(tmp_path, change, expected):
    rows = change([(r[0], r[1], r[2], r[3]) for r in DUCKDB_ROWS])
    result = _compare(tmp_path, rows)
    assert not result.equal
    for text in expected:
        assert any(text in problem for problem in result.problems), result.problems


def test_a_table_spark_did_not_write_is_a_difference(tmp_path):
    _duckdb_build(tmp_path / "duck.duckdb")
    con = duckdb.connect(str(tmp_path / "duck.duckdb"), read_only=True)
    node = MANIFEST["nodes"]["model.p.fct_things"]
    result = spark_parity.compare_table(con, node, ["thing_id"], tmp_path / "nowhere")
    con.close()
    assert not result.equal and "Spark wrote no table" in result.problems[0]


def test_mirror_copies_the_built_tables_and_names_an_empty_folder(tmp_path):
    rows = [(r[0], r[1], r[2], r[3]) for r in DUCKDB_ROWS]
    _spark_table(tmp_path / "spark", rows)
    run_results = {
        "results": [
            {"unique_id": "model.p.fct_things", "status": "success"},
            {"unique_id": "model.p.stg_things", "status": "success"},  # a view: not copied
            {"unique_id": "test.p.unique_fct_things_thing_id", "status": "pass"},
        ]
    }
    tables = spark_mirror.built_tables(run_results, MANIFEST)
    assert tables == [("marts", "fct_things")]
    assert spark_mirror.mirror_tables(tables, tmp_path / "spark", tmp_path / "build.duckdb") == 1
    con = duckdb.connect(str(tmp_path / "build.duckdb"), read_only=True)
    assert con.execute("select thing_id, amount from marts.fct_things order by 1").fetchall() == [
        ("a", Decimal("10.0000")),
        ("b", Decimal("1.3849")),
        ("c", Decimal("2.0000")),
    ]
    con.close()
    (tmp_path / "spark" / "marts.db" / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="marts.empty"):
        spark_mirror.mirror_tables([("marts", "empty")], tmp_path / "spark", tmp_path / "build.duckdb")


def test_land_holds_back_the_newest_month_up_to_now_and_then_lands_the_rest(tmp_path):
    simulated = tmp_path / "simulated"
    files = [
        "shop/orders/orders_2026-09.parquet",
        "shop/orders/orders_2026-10.parquet",
        "shop/orders/orders_2099-01.parquet",  # a future month (a fault): not the newest landing, lands first
        "shop/order_lines/order_lines_2026-10.PARQUET",
        "loyalty/wallet_transactions/year=2026/wallet_transactions_2026-10.parquet",
        "shop/order_lines/order_lines_int64_export.parquet",  # no load month: lands first
    ]
    for name in files:
        (simulated / name).parent.mkdir(parents=True, exist_ok=True)
        (simulated / name).write_bytes(name.encode())
    landing = tmp_path / "raw"
    assert spark_parity.land(simulated, landing, hold_back_last_month=True) == (3, "2026-10")
    landed = sorted(path.relative_to(landing).as_posix() for path in landing.rglob("*") if path.is_file())
    assert landed == sorted([files[0], files[2], files[5]])
    assert spark_parity.land(simulated, landing) == (3, None)
    assert (landing / files[4]).read_bytes() == files[4].encode()
    with pytest.raises(SystemExit, match="no files to land"):
        spark_parity.land(tmp_path / "empty", landing)
