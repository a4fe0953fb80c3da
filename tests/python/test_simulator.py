"""Tests for the raw-data simulator (ci profile)."""

from __future__ import annotations

import glob
import json
import re
from pathlib import Path

import duckdb
import pytest

from simulator.generate import run
from simulator.schema import DUCKDB_TYPES, TABLES

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "docs" / "raw_contract.md"


def _glob(out: Path, qualified: str) -> str:
    system, table = qualified.split(".")
    return str(out / "raw" / system / table / "*.parquet")


def _landed(out: Path, qualified: str) -> str:
    """Every file of a table in any form the landing reads (Parquet in any case and at any depth, CSV typed by the
    schema), as one DuckDB relation."""
    system, table = qualified.split(".")
    files = [path for path in sorted((out / "raw" / system / table).rglob("*")) if path.is_file()]
    parquet = [str(path) for path in files if path.suffix.lower() == ".parquet"]
    text = [str(path) for path in files if path.suffix.lower() == ".csv"]
    readers = [f"select * from read_parquet({parquet}, union_by_name = true, hive_partitioning = false)"]
    if text:
        types = {name: DUCKDB_TYPES[typ] for name, typ in TABLES[qualified].columns}
        readers.append(f"select * from read_csv({text}, header = true, columns = {types}, hive_partitioning = false)")
    return "(" + " union all by name ".join(readers) + ")"


def _checksums(out: Path) -> dict[str, tuple]:
    con = duckdb.connect()
    res = {}
    for q in TABLES:
        res[q] = con.execute(
            f"select count(*), coalesce(sum(hash(columns(*)) % 1000003), 0) from read_parquet('{_glob(out, q)}')"
        ).fetchone()
    return res


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("clean")
    run("ci", 11, out, faults=False, progress=False)
    return out


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("faulty")
    run("ci", 11, out, faults=True, progress=False)
    return out


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


def test_determinism(clean: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    other = tmp_path / "other"
    run("ci", 11, again, faults=False, progress=False)
    run("ci", 12, other, faults=False, progress=False)
    a, b, c = _checksums(clean), _checksums(again), _checksums(other)
    assert a == b
    assert a != c
    assert sum(1 for q in a if a[q] != c[q]) > len(a) // 2


def _contract_tables() -> dict[str, list[str]]:
    out = {}
    for line in CONTRACT.read_text().splitlines():
        m = re.match(r"^\| (\w+\.\w+) \| (.+?) \| (.+) \|$", line)
        if not m or m.group(1) == "system.table":
            continue
        cols_text = re.sub(r"\([^)]*\)", "", m.group(3))
        cols = [c.strip() for c in cols_text.split(",")]
        key = m.group(2).strip("()").replace(" ", "").split(",")
        names = []
        for c in key + cols:
            if c and c not in names:
                names.append(c)
        out[m.group(1)] = names
    return out


def test_contract_columns(clean: Path, con: duckdb.DuckDBPyConnection) -> None:
    contract = _contract_tables()
    assert set(contract) == set(TABLES)
    for q, cols in contract.items():
        files = glob.glob(_glob(clean, q))
        assert files, q
        got = [r[0] for r in con.execute(f"describe select * from read_parquet('{_glob(clean, q)}')").fetchall()]
        assert sorted(got) == sorted(cols), q
        assert got == TABLES[q].column_names


def test_types_match_schema_and_sources_yaml(clean: Path, con: duckdb.DuckDBPyConnection) -> None:
    described = {}
    for q, tdef in TABLES.items():
        rows = con.execute(f"describe select * from read_parquet('{_glob(clean, q)}')").fetchall()
        described[q] = {r[0]: r[1] for r in rows}
        for name, typ in tdef.columns:
            assert described[q][name] == DUCKDB_TYPES[typ], (q, name)
    assert described["shop.orders"]["placed_at"] == "VARCHAR"
    yamls = glob.glob(str(ROOT / "models" / "staging" / "*" / "_*__sources.yml"))
    if not yamls:
        pytest.skip("no sources YAML yet")
    yaml = pytest.importorskip("yaml")
    checked = 0
    for path in yamls:
        doc = yaml.safe_load(Path(path).read_text()) or {}
        for src in doc.get("sources", []):
            for t in src.get("tables", []):
                q = f"{src['name']}.{t['name']}"
                if q not in described:
                    continue
                for col in t.get("columns", []):
                    dtype = col.get("data_type")
                    if dtype and col["name"] in described[q]:
                        assert described[q][col["name"]] == dtype.upper(), (q, col["name"])
                        checked += 1
    assert checked > 0


def test_timestamps_and_formats(clean: Path, con: duckdb.DuckDBPyConnection) -> None:
    bad = con.execute(f"""select count(*) from read_parquet('{_glob(clean, 'shop.orders')}')
        where not regexp_full_match(placed_at, '\\d{{4}}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d[+-]\\d\\d:\\d\\d')
           or placed_at::timestamptz > loaded_at""").fetchone()[0]
    assert bad == 0
    events = {"shop.customers": "created_at", "shop.refunds": "refunded_at", "crm.touchpoints": "touched_at",
              "loyalty.wallet_transactions": "transacted_at", "marketing.lead_events": "event_at",
              "promotions.lottery_draws": "drawn_at", "dealer_portal.dealer_purchases": "shipped_at"}
    for q, col in events.items():
        n = con.execute(f"select count(*) from read_parquet('{_glob(clean, q)}') where {col} > loaded_at").fetchone()[0]
        assert n == 0, q
    for q, tdef in TABLES.items():
        k = ", ".join(tdef.key)
        dup = con.execute(f"select count(*) - count(distinct ({k})) from read_parquet('{_glob(clean, q)}')").fetchone()
        assert dup[0] == 0, q
    m = json.loads((clean / "truth" / "manifest.json").read_text())
    assert m["profile"] == "ci" and m["row_counts"]["shop.orders"] > 20_000


def test_resellers(clean: Path, con: duckdb.DuckDBPyConnection) -> None:
    raw = lambda q: f"read_parquet('{_glob(clean, q)}')"  # noqa: E731
    truth = str(clean / "truth" / "resellers.parquet")
    rows = con.execute(f"""
        with t as (select * from read_parquet('{truth}') where expected_flag),
        o as (select o.customer_id, o.order_id, o.placed_at::timestamptz as ts_, o.currency_code,
                     sum(l.quantity * l.unit_price - l.discount_amount) as net
              from {raw('shop.orders')} o join {raw('shop.order_lines')} l using (order_id)
              group by all),
        fx as (select * from {raw('reference.fx_rates')})
        select t.shop_customer_id,
               count(*) filter (where ts_ < timestamptz '2025-11-01') as y1,
               count(*) filter (where ts_ >= timestamptz '2025-11-01') as y2,
               avg(net * fx.rate_to_usd) as aov
        from t join o on o.customer_id = t.shop_customer_id
        join fx on fx.currency_code = o.currency_code and fx.rate_date = (ts_ at time zone 'UTC')::date
        group by 1""").fetchall()
    n_true = con.execute(f"select count(*) from read_parquet('{truth}') where expected_flag").fetchone()[0]
    assert len(rows) == n_true > 0
    for _, y1, y2, aov in rows:
        assert y1 >= 10 and y2 >= 10 and aov >= 1000
    kinds = {r[0] for r in con.execute(f"select distinct decoy_kind from read_parquet('{truth}')").fetchall()}
    assert kinds == {None, "high_value_only", "opted_out", "already_dealer", "competitor_affiliated"}
    missing = con.execute(f"""select count(*) from read_parquet('{truth}') t
        anti join {raw('shop.customers')} c on c.customer_id = t.shop_customer_id""").fetchone()[0]
    assert missing == 0
    req = con.execute(f"""select min(n) from (select t.shop_customer_id, count(r.request_id) n
        from read_parquet('{truth}') t left join {raw('shop.custom_order_requests')} r
        on r.customer_id = t.shop_customer_id and r.requested_at < timestamptz '2025-11-01'
        where expected_flag group by 1)""").fetchone()[0]
    assert req >= 5
    dealer_links = con.execute(f"""select count(*) from read_parquet('{truth}') t join {raw('dealer_portal.dealers')} d
        on d.shop_customer_id = t.shop_customer_id where decoy_kind = 'already_dealer'""").fetchone()[0]
    assert dealer_links >= 1


def test_other_truths(clean: Path, con: duckdb.DuckDBPyConnection) -> None:
    raw = lambda q: f"read_parquet('{_glob(clean, q)}')"  # noqa: E731
    tr = lambda n: f"read_parquet('{clean / 'truth' / (n + '.parquet')}')"  # noqa: E731
    # unfair prize never drawn, fair prizes drawn
    assert con.execute(f"select count(*) from {raw('promotions.lottery_draws')} d join {tr('unfair_prizes')} u "
                       "using (prize_id)").fetchone()[0] == 0
    assert con.execute(f"select count(*) from {raw('promotions.lottery_draws')} d join {tr('fair_prizes')} u "
                       "using (prize_id)").fetchone()[0] > 0
    # under-reporting ratio holds in the raw data
    rows = con.execute(f"""
        with p as (select dealer_id, sum(quantity) q from {raw('dealer_portal.dealer_purchases')} group by 1),
        s as (select dealer_id, sum(quantity) q from {raw('dealer_portal.dealer_sales')}
              where product_id is not null group by 1)
        select p.dealer_id, s.q / p.q, u.reported_ratio from p join s using (dealer_id)
        left join {tr('under_reporting_dealers')} u using (dealer_id)""").fetchall()
    under = [r for r in rows if r[2] is not None]
    assert len(under) >= 2
    for _, ratio, reported in under:
        assert 0.2 <= ratio <= 0.45 and abs(ratio - reported) < 1e-3
    assert all(0.7 <= r[1] <= 1.0 for r in rows if r[2] is None)
    # bargain hunters: exactly one order, with a first-order campaign code
    bad = con.execute(f"""select count(*) from {tr('bargain_hunters')} b
        join (select customer_id, count(*) n, any_value(discount_code) code from {raw('shop.orders')} group by 1) o
        on o.customer_id = b.shop_customer_id
        where n <> 1 or code not in (select discount_code from {raw('marketing.campaigns')}
                                     where campaign_type = 'first_order_discount')""").fetchone()[0]
    assert bad == 0
    assert con.execute(f"select count(*) from {tr('bargain_hunters')}").fetchone()[0] >= 100
    # untended churned: no touchpoint after the last order, and no later order
    bad = con.execute(f"""select count(*) from {tr('untended_churned')} u
        join {raw('mdm.customer_master')} m on m.golden_customer_id = u.golden_customer_id
             and m.source_system = 'crm'
        join {raw('crm.touchpoints')} t on t.crm_contact_id = m.source_customer_id
             and t.touched_at >= u.last_order_at""").fetchone()[0]
    assert bad == 0
    later = con.execute(f"""select count(*) from {tr('untended_churned')} u join {raw('shop.orders')} o
        on o.customer_id = u.shop_customer_id and o.placed_at::timestamptz > u.last_order_at""").fetchone()[0]
    assert later == 0
    n_orders = con.execute(f"""select min(n) from (select count(*) n from {tr('untended_churned')} u
        join {raw('shop.orders')} o on o.customer_id = u.shop_customer_id group by u.shop_customer_id)""").fetchone()
    assert n_orders[0] >= 6
    # loyalty daily totals reconcile with the clean wallet transactions
    diff = con.execute(f"""select count(*) from {raw('loyalty.daily_totals')} d full join (
        select (transacted_at at time zone 'UTC')::date total_date, transaction_type, count(*) c
        from {raw('loyalty.wallet_transactions')} group by all) w using (total_date, transaction_type)
        where d.transaction_count is distinct from w.c""").fetchone()[0]
    assert diff == 0


def test_faults(faulty: Path, clean: Path, con: duckdb.DuckDBPyConnection) -> None:
    from simulator.faults import SPECS

    f = str(faulty / "truth" / "faults.parquet")
    got = {(r[0], r[1]) for r in con.execute(
        f"select source_system || '.' || source_table, fault_type from read_parquet('{f}')").fetchall()}
    for q, spec in SPECS.items():
        expected = {"missing_key", "duplicate_identical", "duplicate_conflicting"}
        expected |= {"future_timestamp"} if spec.event else set()
        expected |= {"unknown_currency"} if spec.currency else set()
        expected |= {"invalid_code"} if spec.codes else set()
        expected |= {"invalid_quantity"} if spec.quantity else set()
        expected |= {"invalid_amount"} if spec.amount else set()
        expected |= {"value_too_long", "non_ascii", "sql_like"} if spec.text else set()
        expected |= {"orphan_reference"} if spec.orphans else set()
        expected |= {"malformed_email"} if spec.email else set()
        expected |= {"late_arrival"} if spec.late else set()
        for ft in expected:
            assert (q, ft) in got, (q, ft)
    assert ("shop.orders", "unparseable_timestamp") in got
    assert ("shop.orders", "orphan_customer") in got
    # every keyed fault points at rows that exist in raw
    for q, tdef in TABLES.items():
        system, table = q.split(".")
        key_expr = " || '|' || ".join(f"cast({k} as varchar)" for k in tdef.key)
        missing = con.execute(f"""select count(*) from read_parquet('{f}') x
            where source_system = '{system}' and source_table = '{table}' and row_key is not null
            and row_key not in (select {key_expr} from {_landed(faulty, q)})""").fetchone()[0]
        assert missing == 0, q
        dups = con.execute(f"""select count(*) from read_parquet('{f}') where source_system = '{system}'
            and source_table = '{table}' and expected_reason = 'duplicate_key'""").fetchone()[0]
        nonnull = " and ".join(f"coalesce(cast({k} as varchar), '') <> ''" for k in tdef.key)
        extra = con.execute(f"select count(*) - count(distinct ({', '.join(tdef.key)})) "
                            f"from {_landed(faulty, q)} where {nonnull}").fetchone()[0]
        assert dups == extra, q
    reasons = {r[0] for r in con.execute(f"select distinct expected_reason from read_parquet('{f}')").fetchall()}
    assert reasons == {None, "missing_key", "unparseable_timestamp", "future_timestamp", "unknown_currency",
                       "invalid_code", "invalid_quantity", "invalid_amount", "value_too_long", "orphan_reference",
                       "duplicate_key", "parent_quarantined", "missing_fx_rate", "refund_exceeds_sale"}
    assert con.execute(f"select count(*) from read_parquet('{f}') where (expected_action = 'keep') <> "
                       "(expected_reason is null)").fetchone()[0] == 0
    # the loyalty system's own totals still match the clean run
    q = "loyalty.daily_totals"
    a = con.execute(f"select sum(transaction_count) from read_parquet('{_glob(clean, q)}')").fetchone()[0]
    b = con.execute(f"""select sum(transaction_count) from {_landed(faulty, q)}
        where transaction_type in ('top_up','top_up_bonus','spend','refund_credit','points_earned',
        'points_redeemed','points_expired','manual_adjustment') and total_date is not null""").fetchone()[0]
    assert b >= a
    empty = con.execute(f"select count(*) from read_parquet('{clean / 'truth' / 'faults.parquet'}')").fetchone()[0]
    assert empty == 0


def test_file_forms(faulty: Path, clean: Path, con: duckdb.DuckDBPyConnection) -> None:
    """--faults lands part of the data as CSV, under an upper-case extension and in Hive-style folders; the rows
    are moved, not copied, and truth/landing_files.parquet lists every planted file."""
    planted = con.execute(f"select * from read_parquet('{faulty / 'truth' / 'landing_files.parquet'}')").fetchall()
    forms = {row[3] for row in planted}
    assert forms == {"csv", "upper_case_extension", "hive_subfolder"}
    for system, table, relative_path, form, rows, _ in planted:
        path = faulty / "raw" / relative_path
        assert path.is_file() and relative_path.startswith(f"{system}/{table}/"), relative_path
        assert (form == "hive_subfolder") == path.parent.name.startswith("year="), relative_path
        assert (form == "upper_case_extension") == (path.suffix == ".PARQUET"), relative_path
        reader = f"read_csv('{path}', header = true)" if form == "csv" else f"read_parquet('{path}')"
        assert con.execute(f"select count(*) from {reader}").fetchone()[0] == rows > 0, relative_path
    manifest = json.loads((faulty / "truth" / "manifest.json").read_text())
    for q in TABLES:  # moved, not duplicated: every form together holds the rows the simulator wrote
        assert con.execute(f"select count(*) from {_landed(faulty, q)}").fetchone()[0] == manifest["row_counts"][q], q
    csv_orders = next(faulty / "raw" / row[2] for row in planted if row[1] == "orders" and row[3] == "csv")
    in_csv = con.execute(f"select count(*) from read_csv('{csv_orders}', header = true) as landed semi join "
                         f"read_parquet('{faulty / 'truth' / 'faults.parquet'}') as faults "
                         "on faults.row_key = landed.order_id").fetchone()[0]
    assert in_csv > 0, "planted bad rows travel in the CSV file too"
    assert not [path for path in (clean / "raw").rglob("*") if path.is_file() and path.suffix != ".parquet"]
    assert not [path for path in (clean / "raw").rglob("year=*")]
    assert con.execute(f"select count(*) from read_parquet('{clean / 'truth' / 'landing_files.parquet'}')"
                       ).fetchone()[0] == 0


def test_file_forms_are_deterministic(faulty: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    run("ci", 11, again, faults=True, progress=False)
    key = "landing_files.parquet"
    first, second = (duckdb.sql(f"select * from read_parquet('{out / 'truth' / key}') order by all").fetchall()
                     for out in (faulty, again))
    assert first == second and first
    for _, _, relative_path, form, *_ in first:
        if form == "csv":
            assert (faulty / "raw" / relative_path).read_bytes() == (again / "raw" / relative_path).read_bytes()
    for q in ("shop.orders", "loyalty.wallet_transactions", "shop.order_lines"):
        assert duckdb.sql(f"select count(*), sum(hash(columns(*)) % 1000003) from {_landed(faulty, q)}").fetchall() \
            == duckdb.sql(f"select count(*), sum(hash(columns(*)) % 1000003) from {_landed(again, q)}").fetchall(), q
