"""Staging loses nothing and trusts nothing it should not: every fault the simulator planted is
quarantined with the reason the answer key gives, or kept exactly as the answer key says."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import duckdb
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
    key_sql = " || '|' || ".join(f"cast({column} as varchar)" for column in key_columns)
    cursor = con.execute(
        f"select {key_sql} as row_key, * from read_parquet('{raw}/{system}/{table}/*.parquet', union_by_name = true)"
        f" where {key_sql} in (select unnest(?))",
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
