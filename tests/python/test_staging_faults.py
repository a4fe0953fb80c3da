"""Staging loses nothing and trusts nothing it should not: every fault the simulator planted is
quarantined with the reason the answer key gives, or kept exactly as the answer key says."""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
import yaml

from conftest import REPO, Build


def source_keys() -> dict[tuple[str, str], list[str]]:
    """(system, table) -> key columns, from the sources YAML (the raw contract)."""
    keys = {}
    for path in sorted((REPO / "models" / "staging").glob("*/_*__sources.yml")):
        for source in yaml.safe_load(path.read_text())["sources"]:
            for table in source["tables"]:
                keys[(source["name"], table["name"])] = table["meta"]["primary_key"]
    return keys


@pytest.fixture(scope="module")
def warehouse(ci_build: Build):
    con = duckdb.connect(str(ci_build.warehouse), read_only=True)
    con.execute(f"create temp view faults as select * from read_parquet('{ci_build.truth / 'faults.parquet'}')")
    quarantine_views = [
        name
        for (name,) in con.execute(
            "select table_name from information_schema.tables "
            "where table_schema = 'staging' and table_name like 'stg_%__quarantined_rows'"
        ).fetchall()
    ]
    union = " union all ".join(f"select * from staging.{name}" for name in quarantine_views)
    con.execute(f"create temp view quarantine as {union}")
    yield con
    con.close()


def test_answer_key_has_faults_for_every_source_table(warehouse):
    faulted = {row for row in warehouse.execute("select distinct source_system, source_table from faults").fetchall()}
    missing = set(source_keys()) - faulted
    assert not missing, f"tables without planted faults: {sorted(missing)}"


def test_every_planted_bad_row_is_quarantined_with_its_reason(warehouse):
    expected = Counter(
        warehouse.execute(
            """
            select source_system, source_table, row_key, expected_reason
            from faults where expected_action = 'quarantine'
            """
        ).fetchall()
    )
    actual = Counter(
        warehouse.execute("select source_system, source_table, row_key, quarantine_reason from quarantine").fetchall()
    )
    wrong = {key: (count, actual.get(key, 0)) for key, count in expected.items() if actual.get(key, 0) < count}
    assert not wrong, f"planted faults not quarantined as expected (expected, found): {dict(list(wrong.items())[:20])}"


def test_nothing_is_quarantined_that_was_not_planted(warehouse):
    unexpected = warehouse.execute(
        """
        select source_system, source_table, quarantine_reason, count(*) as found
        from quarantine
        group by all
        except
        select source_system, source_table, expected_reason, count(*)
        from faults where expected_action = 'quarantine'
        group by all
        """
    ).fetchall()
    assert not unexpected, f"quarantine counts that differ from the answer key: {unexpected}"


def staged_rows(con, system: str, table: str, key_columns: list[str], row_keys: list[str]) -> dict[str, dict]:
    key_sql = " || '|' || ".join(f"cast({column} as varchar)" for column in key_columns)
    cursor = con.execute(
        f"select {key_sql} as row_key, * from staging.stg_{system}__{table} where {key_sql} in (select unnest(?))",
        [row_keys],
    )
    names = [description[0] for description in cursor.description]
    return {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


def raw_rows(con, raw: Path, system: str, table: str, key_columns: list[str], row_keys: list[str]):
    """The landed rows with these keys, from every file of the table: Parquet (any case, any depth) and CSV."""
    files = [path for path in sorted((raw / system / table).rglob("*")) if path.is_file()]
    parquet = [str(path) for path in files if path.suffix.lower() == ".parquet"]
    text = [str(path) for path in files if path.suffix.lower() == ".csv"]
    readers = [f"select * from read_parquet({parquet}, union_by_name = true)"] if parquet else []
    if text:
        readers.append(f"select * from read_csv({text}, all_varchar = true, header = true, union_by_name = true)")
    key_sql = " || '|' || ".join(f"cast({column} as varchar)" for column in key_columns)
    landed = " union all by name ".join(readers)
    cursor = con.execute(
        f"select {key_sql} as row_key, * from ({landed}) where {key_sql} in (select unnest(?))",
        [row_keys],
    )
    names = [description[0] for description in cursor.description]
    return {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


def test_kept_faults_are_staged_as_the_answer_key_says(warehouse, ci_build: Build):
    keys = source_keys()
    kept = warehouse.execute(
        """
        select source_system, source_table, fault_type, list(row_key order by row_key)
        from faults where expected_action = 'keep' and row_key is not null
        group by all
        """
    ).fetchall()
    assert kept, "the answer key lists no kept faults"
    problems: list[str] = []
    for system, table, fault_type, row_keys in kept:
        staged = staged_rows(warehouse, system, table, keys[(system, table)], row_keys)
        absent = sorted(set(row_keys) - set(staged))
        if absent:
            problems.append(f"{system}.{table} {fault_type}: not staged {absent[:5]}")
            continue
        if fault_type == "malformed_email":
            for row_key in row_keys:
                flags = {name: value for name, value in staged[row_key].items() if name.startswith("has_valid_")}
                if all(flags.values()):
                    problems.append(f"{system}.{table} {row_key}: malformed e-mail not flagged")
        if fault_type in ("non_ascii", "sql_like"):
            raw = raw_rows(warehouse, ci_build.raw, system, table, keys[(system, table)], row_keys)
            for row_key in row_keys:
                for name, value in raw[row_key].items():
                    if isinstance(value, str) and name in staged[row_key] and (not value.isascii() or "'" in value):
                        if staged[row_key][name] != value:
                            problems.append(
                                f"{system}.{table} {row_key}.{name}: {value!r} staged as {staged[row_key][name]!r}"
                            )
    assert not problems, "\n".join(problems[:30])


def test_orders_of_unknown_accounts_keep_their_revenue(warehouse):
    orphan_orders = [
        row_key
        for (row_key,) in warehouse.execute(
            "select row_key from faults where fault_type = 'orphan_customer'"
        ).fetchall()
    ]
    assert orphan_orders
    found = warehouse.execute(
        """
        select order_id, golden_customer_id, is_crosswalk_resolved
        from marts.fct_orders where order_id in (select unnest(?))
        """,
        [orphan_orders],
    ).fetchall()
    assert len(found) == len(orphan_orders)
    assert all(not resolved and golden.startswith("shop:") for _, golden, resolved in found)


# ---- row rules (issue 9): every value is trustworthy or its row is quarantined with a reason ------------------

ROW_RULE_FAULTS = {
    # fault type: (expected action, expected reason)
    "non_finite_number": ("quarantine", "invalid_amount"),
    "integer_overflow": ("quarantine", "invalid_quantity"),
    "refund_above_sale": ("quarantine", "refund_exceeds_sale"),
    "refund_above_sale_cumulative": ("quarantine", "refund_exceeds_sale"),
    "refund_of_quarantined_parent": ("quarantine", "parent_quarantined"),
    "line_of_quarantined_order": ("quarantine", "parent_quarantined"),
    "ticket_of_quarantined_line": ("quarantine", "parent_quarantined"),
    "fx_rate_gap_within_window": ("keep", None),
    "fx_rate_gap_longer_than_window": ("keep", None),
    "fx_rate_gap_beyond_window": ("quarantine", "missing_fx_rate"),
    "null_refund_date": ("quarantine", "unparseable_timestamp"),
    "future_loaded_at": ("quarantine", "future_timestamp"),
    "offset_less_timestamp": ("keep", None),
    "free_item": ("keep", None),
    "null_discount": ("keep", None),
    "null_acquisition_channel": ("keep", None),
}


def test_answer_key_plants_every_row_rule(warehouse):
    planted = set(
        warehouse.execute("select distinct fault_type, expected_action, expected_reason from faults").fetchall()
    )
    missing = [(name, *expected) for name, expected in ROW_RULE_FAULTS.items() if (name, *expected) not in planted]
    assert not missing, f"row rules the simulator did not plant: {missing}"
    details = {
        detail.split(" = ")[1]
        for (detail,) in warehouse.execute(
            "select detail from faults where fault_type = 'non_finite_number'"
        ).fetchall()
    }
    assert {"NaN", "+Infinity", "-Infinity", "overflow 1e20"} <= details
    float_tables = {
        table
        for (table,) in warehouse.execute(
            "select distinct source_table from faults where fault_type = 'non_finite_number'"
        ).fetchall()
    }
    assert {"fx_rates", "order_lines", "refunds", "wallet_transactions", "products"} <= float_tables
    too_long = {
        detail.split(" ")[0]
        for (detail,) in warehouse.execute(
            "select detail from faults where fault_type = 'value_too_long' and source_table = 'customers'"
        ).fetchall()
    }
    assert {"region", "email"} <= too_long


def _kept(warehouse, fault_type: str) -> list[str]:
    keys = [key for (key,) in warehouse.execute(
        "select row_key from faults where fault_type = ? and expected_action = 'keep' order by row_key", [fault_type]
    ).fetchall()]
    assert keys, f"no {fault_type} planted"
    return keys


def test_free_items_and_missing_discounts_stage_with_their_units(warehouse):
    (free_line,) = _kept(warehouse, "free_item")
    quantity, unit_price, gross, net = warehouse.execute(
        "select quantity, unit_price, gross_amount, net_amount from marts.fct_order_lines where order_line_id = ?",
        [free_line],
    ).fetchone()
    assert (quantity, unit_price, gross, net) == (3, 0, 0, 0)
    for line in _kept(warehouse, "null_discount"):
        discount, gross, net = warehouse.execute(
            "select discount_amount, gross_amount, net_amount from marts.fct_order_lines where order_line_id = ?",
            [line],
        ).fetchone()
        assert discount == 0 and net == gross and gross > 0


def test_unknown_channels_and_offset_less_times_stage_as_documented(warehouse):
    for order_id in _kept(warehouse, "null_acquisition_channel"):
        (channel,) = warehouse.execute(
            "select acquisition_channel from staging.stg_shop__orders where order_id = ?", [order_id]
        ).fetchone()
        assert channel == "unknown"
    (order_id,) = _kept(warehouse, "offset_less_timestamp")
    detail, staged = warehouse.execute(
        """
        select faults.detail, orders.placed_at
        from staging.stg_shop__orders as orders
        inner join faults
            on orders.order_id = faults.row_key and faults.fault_type = 'offset_less_timestamp'
        where orders.order_id = ?
        """,
        [order_id],
    ).fetchone()
    naive = detail.split("'")[1]  # placed_at = '2025-06-01T09:30:00' has no offset: ...
    assert staged == dt.datetime.fromisoformat(naive), "offset-less placed_at must be read in shop's zone (UTC)"


def test_a_day_without_a_rate_uses_the_last_rate_within_the_window(warehouse, ci_build: Build):
    from simulator.row_faults import FX_GAP_BEYOND, FX_GAP_CURRENCY, FX_GAP_WITHIN

    rates = pq.ParquetDataset(ci_build.raw / "reference" / "fx_rates").read(
        columns=["rate_date", "currency_code", "rate_to_usd"]).to_pylist()
    published = {r["rate_date"]: r["rate_to_usd"] for r in rates
                 if r["currency_code"] == FX_GAP_CURRENCY and r["rate_to_usd"] is not None}
    assert not set(FX_GAP_WITHIN + FX_GAP_BEYOND) & set(published), "the planted gaps must have no rate"
    filled = dict(warehouse.execute(
        "select rate_date, rate_to_reporting from intermediate.int_fx_rates_filled where currency_code = ?",
        [FX_GAP_CURRENCY],
    ).fetchall())
    before_within = FX_GAP_WITHIN[0] - dt.timedelta(days=1)
    for day in FX_GAP_WITHIN:  # 1 to 4 days after the last rate: carried
        assert filled[day] == pytest.approx(published[before_within]), day
    before_beyond = FX_GAP_BEYOND[0] - dt.timedelta(days=1)
    for day in FX_GAP_BEYOND:  # carried for 7 days, then no rate at all (never 0, never a stale guess)
        if (day - before_beyond).days <= 7:
            assert filled[day] == pytest.approx(published[before_beyond]), day
        else:
            assert day not in filled, day


def _csv(path: Path) -> pa.Table:
    """A CSV file read with pyarrow.csv, every column as text (the header row names them)."""
    with open(path, newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(header, pa.string())))


def _landed_files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file())


def _file_rows(path: Path) -> int:
    """Rows of one landed file, read by pyarrow (Parquet footer or CSV), not by DuckDB's glob."""
    if path.suffix.lower() == ".parquet":
        return pq.ParquetFile(path).metadata.num_rows
    if path.suffix.lower() == ".csv":
        return _csv(path).num_rows
    raise AssertionError(f"a landed file of no readable form: {path}")


def test_raw_rows_equal_staged_plus_quarantined_counted_from_the_files(warehouse, ci_build: Build):
    quarantined = Counter(
        {(system, table): count for system, table, count in warehouse.execute(
            "select source_system, source_table, count(*) from quarantine group by all"
        ).fetchall()}
    )
    problems = []
    forms = Counter()
    for system, table in sorted(source_keys()):
        files = _landed_files(ci_build.raw / system / table)
        forms.update(path.suffix.lower() for path in files)
        raw = sum(_file_rows(path) for path in files)
        (staged,) = warehouse.execute(f"select count(*) from staging.stg_{system}__{table}").fetchone()
        if raw != staged + quarantined[(system, table)]:
            problems.append(f"{system}.{table}: raw {raw} != staged {staged} + quarantined "
                            f"{quarantined[(system, table)]}")
    assert not problems, "\n".join(problems)
    assert forms[".csv"] >= 3, f"the count covers the CSV files of the landing: {forms}"


def test_planted_file_forms_are_landed_and_their_rows_staged(warehouse, ci_build: Build):
    """--faults writes part of the landing as CSV, under an upper-case extension and in Hive-style folders
    (truth/landing_files.parquet): each planted file is there with its rows, and its rows reach staging (or the
    quarantine the answer key gives them)."""
    planted = pq.read_table(ci_build.truth / "landing_files.parquet").to_pylist()
    forms = {row["file_form"] for row in planted}
    assert forms == {"csv", "upper_case_extension", "hive_subfolder"}, forms
    csv_tables = {(row["source_system"], row["source_table"]) for row in planted if row["file_form"] == "csv"}
    assert {("shop", "orders"), ("shop", "refunds")} <= csv_tables
    assert any(system != "shop" for system, _ in csv_tables), "a table outside the shop is landed as CSV too"
    keys = source_keys()
    quarantine_keys = {
        (system, table, row_key)
        for system, table, row_key in warehouse.execute(
            "select source_system, source_table, row_key from faults where expected_action = 'quarantine'"
        ).fetchall()
    }
    problems = []
    staged_by_form: Counter = Counter()
    for row in planted:
        system, table, path = row["source_system"], row["source_table"], ci_build.raw / row["relative_path"]
        if not path.is_file():
            problems.append(f"{row['relative_path']}: not landed")
            continue
        if row["file_form"] == "csv":
            assert path.suffix == ".csv"
            landed = _csv(path)
        else:
            assert path.suffix == (".PARQUET" if row["file_form"] == "upper_case_extension" else ".parquet")
            assert row["file_form"] != "hive_subfolder" or path.parent.name.startswith("year=")
            landed = pq.read_table(path)
        if landed.num_rows != row["row_count"] or landed.num_rows == 0:
            problems.append(f"{row['relative_path']}: {landed.num_rows} rows, the answer key says {row['row_count']}")
        key_columns = keys[(system, table)]
        file_keys = {
            "|".join(str(record[column]) for column in key_columns)
            for record in landed.select(key_columns).to_pylist()
            if all(record[column] not in (None, "") for column in key_columns)
        }
        expected = {key for key in file_keys if (system, table, key) not in quarantine_keys}
        staged = set(staged_rows(warehouse, system, table, key_columns, sorted(expected)))
        if expected - staged:
            problems.append(f"{row['relative_path']}: {len(expected - staged)} of {len(expected)} rows not staged, "
                            f"e.g. {sorted(expected - staged)[:3]}")
        staged_by_form[(system, table, row["file_form"])] += len(staged)
    assert not problems, "\n".join(problems[:30])
    # A file may hold only planted bad rows (e.g. a month of future loaded_at), but every planted form of every
    # table brings rows into staging.
    assert all(staged_by_form.values()) and len(staged_by_form) == len(
        {(row["source_system"], row["source_table"], row["file_form"]) for row in planted}), staged_by_form


def test_no_reporting_amount_is_null_or_zero_where_the_local_amount_is_not(warehouse):
    columns = warehouse.execute(
        """
        select table_name, list(column_name)
        from information_schema.columns
        where table_schema = 'marts'
        group by table_name
        """
    ).fetchall()
    pairs = [
        (table, name[: -len("_reporting")])
        for table, names in columns
        for name in names
        if name.endswith("_reporting") and name[: -len("_reporting")] in names
    ]
    assert len(pairs) >= 10, pairs
    problems = []
    for table, local in pairs:
        (bad,) = warehouse.execute(
            f"select count(*) from marts.{table} where {local} != 0 "
            f"and ({local}_reporting is null or {local}_reporting = 0)"
        ).fetchone()
        if bad:
            problems.append(f"{table}.{local}: {bad} rows")
    assert not problems, problems
