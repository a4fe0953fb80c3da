"""Incremental models built over several landed batches equal a full refresh over the same data.

Besides the monthly files, the batches land files of corrections: a later copy of an order and of a line
already staged (the staged copy loses and is quarantined as duplicate_key with its raw row), an older copy and
an invalid newer copy (they lose), a line whose order lands a batch later (orphan_reference, then staged), and
an order loaded a few seconds after the build starts (future_timestamp; staged by the next build, once the
clock has passed it) with a line of it (parent_quarantined, then staged), and in the last batch a file that lands
late: an order and its line, a refund of a line refunded in part already, a wallet top-up and a dealer's report
line, loaded long before anything else the warehouse holds (the facts and the wallet balances take them all the
same).
The last batch also lands crosswalk rows that match or re-match a loyalty member, a shop account and a CRM contact
to other golden customers (the wallet chain, the order facts and the touchpoints move them, and rebuild both
customers), and a corrected wallet top-up that names another member (it leaves the old wallet for the new one).
The build-history columns (`staged_at`, when a build staged the row; `computed_at`, when a build last computed it;
and `previous_golden_customer_id`) are the only ones allowed to differ."""

from __future__ import annotations

import re
import shutil
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from conftest import Build, dbt

INCREMENTAL_MODELS = {
    # fct_dealer_sales is a table rebuilt in full; it stays here to prove a late dealer file reaches it
    "marts": [
        "fct_order_lines",
        "fct_orders",
        "fct_dealer_sales",
        "fct_wallet_ledger",
        "rpt_wallet_balances",
        "fct_campaign_customer_outcomes",
        # a table rebuilt in full from the incremental matches below; it stays here to prove they reach it
        "rpt_relationship_health",
    ],
    "intermediate": [
        "int_fx_rates_tracked",
        "int_customer_ids_tracked",
        "int_wallet_transactions_converted",
        "int_wallet_entries_balanced",
        "int_wallet_entries_bucketed",  # a view: what its consumers read must equal too
        "int_points_lots_consumed",
        "int_touchpoints_converted",
        "int_orders_follow_up_matched",
    ],
    "staging": [
        "base_shop__orders",
        "base_shop__order_lines",
        "base_shop__refunds",
        "stg_shop__quarantined_rows",
        "base_loyalty__wallet_transactions",
        "stg_loyalty__quarantined_rows",
        "base_crm__touchpoints",
        "stg_crm__quarantined_rows",
    ],
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


def reason_of(warehouse: Path, table: str, key: str) -> list[tuple]:
    """(quarantine_reason, has source_row) of every row of `key` in a base table, latest loaded first."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            f"select quarantine_reason, source_row is not null from staging.{table}"
            " where row_key = ? order by loaded_at desc",
            [key],
        ).fetchall()


def land_corrections(warehouse: Path, landing: Path, batch: str, future_margin: timedelta) -> dict[str, str]:
    """Land corrections of an order and a line the warehouse staged, each the only row of its key (see the
    module docstring), in new files named after `batch`; returns the keys used. Rows are copied from their
    landed Parquet file, so types match. The future order is loaded `future_margin` from now: later than the
    next build's start."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        single = "select row_key from staging.{} group by row_key having count(*) = 1"
        order_key, line_key, order_file, line_file, order_hash, line_hash, recent = con.execute(
            "select orders.row_key, lines.row_key, orders.landed_file, lines.landed_file,"
            " orders.source_row_hash, lines.source_row_hash,"
            " (select max(loaded_at) from staging.base_shop__orders where quarantine_reason is null)"
            " + interval 1 hour"
            " from staging.base_shop__orders as orders"
            " inner join staging.base_shop__order_lines as lines on lines.order_id = orders.order_id"
            " where orders.quarantine_reason is null and lines.quarantine_reason is null"
            " and orders.placed_at < orders.loaded_at - interval 1 minute"
            " and orders.landed_file ilike '%.parquet' and lines.landed_file ilike '%.parquet'"
            f" and orders.row_key in ({single.format('base_shop__orders')})"
            f" and lines.row_key in ({single.format('base_shop__order_lines')})"
            " order by lines.row_key limit 1"
        ).fetchall()[0]
    future = datetime.now(UTC) + future_margin
    keys = {"order": order_key, "line": line_key, "late_order": f"LATE-{batch}", "future_order": f"FUTURE-{batch}"}
    orders = [  # replacements in the staged order's raw row
        f"timestamptz '{recent}' as loaded_at, null as acquisition_channel",  # later correction: wins
        "loaded_at - interval 1 second as loaded_at, null as dealer_id",  # older copy: loses
        f"'{keys['future_order']}' as order_id, timestamptz '{future.isoformat()}' as loaded_at",
    ]
    lines = [  # replacements in the staged line's raw row
        f"quantity + 1 as quantity, timestamptz '{recent}' as loaded_at",  # later correction: wins
        f"0 as quantity, timestamptz '{recent}' + interval 1 hour as loaded_at",  # newer but invalid: loses
        f"'ORPHAN-{batch}' as order_line_id, '{keys['late_order']}' as order_id, timestamptz '{recent}' as loaded_at",
        f"'FUTURE-LINE-{batch}' as order_line_id, '{keys['future_order']}' as order_id,"
        f" timestamptz '{recent}' as loaded_at",
    ]
    with duckdb.connect() as con:
        for table, source_file, row_hash, replacements in [
            ("orders", order_file, order_hash, orders),
            ("order_lines", line_file, line_hash, lines),
        ]:
            # the raw row is the one whose hash staging recorded
            selects = " union all by name ".join(
                f"select * replace ({replace}) from read_parquet('{source_file}') as raw where hash(raw) = {row_hash}"
                for replace in replacements
            )
            target = landing / "shop" / table / f"{table}_corrections_{batch}.parquet"
            con.execute(f"copy ({selects}) to '{target}' (format parquet)")
    keys["future_at"] = future.isoformat()
    keys["order_file"], keys["order_hash"] = order_file, str(order_hash)
    return keys


def copy_landed_rows(source_file: str, row_filter: str, replace: str, target: Path, limit: int | None = None) -> None:
    """Land `target`, a new Parquet file of the rows of landed file `source_file` that match `row_filter` (alias
    `raw`; the first `limit` of them when given), with the `select * replace (...)` list `replace`; at least one row
    must match."""
    with duckdb.connect() as con:
        con.execute(
            f"copy (select * replace ({replace}) from read_parquet('{source_file}') as raw where {row_filter}"
            f"{f' limit {limit}' if limit else ''}) to '{target}' (format parquet)"
        )
        assert con.execute(f"select count(*) from read_parquet('{target}')").fetchall()[0][0] > 0, target


def land_late_order(warehouse: Path, landing: Path, keys: dict[str, str], batch: str) -> None:
    """Land the order the orphan line of `land_corrections` refers to, loaded after every row staged so far."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        recent = con.execute(
            "select max(loaded_at) + interval 1 hour from staging.base_shop__orders where quarantine_reason is null"
        ).fetchall()[0][0]
    copy_landed_rows(
        keys["order_file"],
        f"hash(raw) = {keys['order_hash']}",
        f"'{keys['late_order']}' as order_id, timestamptz '{recent}' as loaded_at",
        landing / "shop" / "orders" / f"orders_late_{batch}.parquet",
    )


def copy_staged_order(warehouse: Path, landing: Path, order_id: str, file_tag: str, customer_id: str | None = None
                      ) -> None:
    """Land, in new files tagged `file_tag`, a copy of the earliest-loaded staged order and of one of its lines under
    `order_id` (the line `<order_id>-1`), with their old loaded_at, and the account `customer_id` when given."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        order_file, order_hash, line_file, line_hash = con.execute(
            "select orders.landed_file, orders.source_row_hash, lines.landed_file, lines.source_row_hash"
            " from staging.base_shop__orders as orders"
            " inner join staging.base_shop__order_lines as lines on lines.order_id = orders.order_id"
            " where orders.quarantine_reason is null and lines.quarantine_reason is null"
            " and orders.landed_file ilike '%.parquet' and lines.landed_file ilike '%.parquet'"
            " order by orders.loaded_at, lines.row_key limit 1"
        ).fetchall()[0]
    account = f", '{customer_id}' as customer_id" if customer_id else ""
    for table, source_file, row_hash, replace in [
        ("orders", order_file, order_hash, f"'{order_id}' as order_id{account}"),
        ("order_lines", line_file, line_hash, f"'{order_id}-1' as order_line_id, '{order_id}' as order_id"),
    ]:
        target = landing / "shop" / table / f"{table}_{file_tag}.parquet"
        copy_landed_rows(source_file, f"hash(raw) = {row_hash}", replace, target)


def land_old_order(warehouse: Path, landing: Path, batch: str) -> str:
    """Land, in new files, a copy of the earliest-loaded staged order and of one of its lines under new keys, with
    their old loaded_at: a late file whose rows are older than every cutoff. Returns the new order's id."""
    order_id = f"OLD-{batch}"
    copy_staged_order(warehouse, landing, order_id, f"late_{batch}_old")
    return order_id


def land_old_refund(warehouse: Path, landing: Path, batch: str) -> str:
    """Land, in a new file, a copy of the earliest-loaded staged line refund as a new refund of 0.01 whose line has
    that much left to refund, with its old loaded_at. Returns the new refund's id."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        refund_file, refund_hash = con.execute(
            "select refunds.landed_file, refunds.source_row_hash"
            " from staging.base_shop__refunds as refunds"
            " inner join marts.fct_order_lines as lines on lines.order_line_id = refunds.order_line_id"
            " where refunds.quarantine_reason is null and refunds.landed_file ilike '%.parquet'"
            " and lines.refunded_amount + 0.01 < lines.net_amount"
            " order by refunds.loaded_at, refunds.row_key limit 1"
        ).fetchall()[0]
    refund_id = f"OLD-REFUND-{batch}"
    copy_landed_rows(
        refund_file,
        f"hash(raw) = {refund_hash}",
        f"'{refund_id}' as refund_id, cast(0.01 as double) as refund_amount",
        landing / "shop" / "refunds" / f"refunds_late_{batch}_old.parquet",
    )
    return refund_id


def copy_staged_top_up(warehouse: Path, landing: Path, transaction_id: str, file_tag: str,
                       member_id: str | None = None) -> None:
    """Land, in a new file tagged `file_tag`, a copy of the earliest-loaded staged wallet top-up under
    `transaction_id`, with its old loaded_at, and the member `member_id` when given."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        source_file, key = con.execute(
            "select landed_file, row_key from staging.base_loyalty__wallet_transactions"
            " where quarantine_reason is null and transaction_type = 'top_up' and landed_file ilike '%.parquet'"
            " order by loaded_at, row_key limit 1"
        ).fetchall()[0]
    member = f", '{member_id}' as member_id" if member_id else ""
    # by key: staging's row hash is of the row as the landing view types and orders it, not of the file's columns
    copy_landed_rows(
        source_file,
        f"trim(raw.transaction_id) = '{key}'",
        f"'{transaction_id}' as transaction_id{member}",
        landing / "loyalty" / "wallet_transactions" / f"wallet_transactions_{file_tag}.parquet",
        limit=1,
    )


def land_old_top_up(warehouse: Path, landing: Path, batch: str) -> str:
    """Land, in a new file, a copy of the earliest-loaded staged wallet top-up under a new id, with its old
    loaded_at. Returns the new transaction's id."""
    transaction_id = f"OLD-TOP-UP-{batch}"
    copy_staged_top_up(warehouse, landing, transaction_id, f"late_{batch}_old")
    return transaction_id


def land_old_dealer_sales(warehouse: Path, landing: Path, batch: str) -> str:
    """Land, in a new file, a copy of a staged report line of the earliest dealer sales file that has one, under a
    new id, with its old loaded_at. Returns the new report line's id."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("select report_line_id from staging.stg_dealer_portal__dealer_sales").fetchall()
    staged = {key for (key,) in rows}
    report_line_id = f"OLD-REPORT-LINE-{batch}"
    for source_file in sorted((landing / "dealer_portal" / "dealer_sales").rglob("*.parquet")):
        with duckdb.connect() as con:
            rows = con.execute(f"select trim(report_line_id) from read_parquet('{source_file}')").fetchall()
        keys = [key for (key,) in rows]
        key = next((key for key in keys if key in staged), None)
        if key is not None:
            copy_landed_rows(
                str(source_file),
                f"trim(raw.report_line_id) = '{key}'",
                f"'{report_line_id}' as report_line_id",
                landing / "dealer_portal" / "dealer_sales" / f"dealer_sales_late_{batch}_old.parquet",
                limit=1,
            )
            return report_line_id
    raise AssertionError("no landed Parquet file of dealer sales holds a staged report line")


def land_corrected_rate(warehouse: Path, landing: Path, batch: str) -> tuple[date, str]:
    """Land, in a new file, a correction of the rate of the day of the earliest staged order in another currency than
    USD: 1.25 times the landed rate, loaded one second after it (a file that lands late: its loaded_at is months
    before this batch's). Returns (day, currency)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        day, currency = con.execute(
            "select cast(placed_at as date), currency_code from staging.stg_shop__orders"
            " where currency_code != 'USD' order by placed_at, order_id limit 1"
        ).fetchone()
    for source_file in sorted((landing / "reference" / "fx_rates").rglob("*.parquet")):
        with duckdb.connect() as con:
            found = con.execute(
                f"select count(*) from read_parquet('{source_file}')"
                " where cast(rate_date as date) = ? and upper(trim(currency_code)) = ?",
                [day, currency],
            ).fetchone()[0]
        if found:
            copy_landed_rows(
                str(source_file),
                f"cast(raw.rate_date as date) = date '{day}' and upper(trim(raw.currency_code)) = '{currency}'",
                "raw.rate_to_usd * 1.25 as rate_to_usd, raw.loaded_at + interval 1 second as loaded_at",
                landing / "reference" / "fx_rates" / f"fx_rates_late_{batch}_corrected.parquet",
                limit=1,
            )
            return day, currency
    raise AssertionError(f"no landed Parquet file of rates holds {currency} on {day}")


def land_moved_movement(warehouse: Path, landing: Path, batch: str) -> tuple[str, str]:
    """Land a corrected copy of a staged wallet top-up (loaded after every staged movement, so it wins) that names
    another member than the original: the movement leaves one wallet for another. Returns (transaction id, new
    member)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        source_file, key, member, recent = con.execute(
            "select landed_file, row_key, member_id,"
            " (select max(loaded_at) from staging.base_loyalty__wallet_transactions) + interval 1 hour"
            " from staging.base_loyalty__wallet_transactions"
            " where quarantine_reason is null and transaction_type = 'top_up' and landed_file ilike '%.parquet'"
            " and member_id in (select member_id from staging.stg_loyalty__wallet_transactions"
            " group by member_id having count(*) > 2)"
            " order by loaded_at desc, row_key limit 1"
        ).fetchall()[0]
        other_member = con.execute(
            "select min(member_id) from staging.stg_loyalty__wallet_transactions where member_id <> ?", [member]
        ).fetchall()[0][0]
    copy_landed_rows(
        source_file,
        f"trim(raw.transaction_id) = '{key}'",
        f"'{other_member}' as member_id, timestamptz '{recent}' as loaded_at",
        landing / "loyalty" / "wallet_transactions" / f"wallet_transactions_moved_{batch}.parquet",
        limit=1,
    )
    return key, other_member


def land_unmatched_accounts(warehouse: Path, landing: Path, batch: str) -> tuple[str, str]:
    """Land a wallet top-up of a new loyalty member and an order (with a line) of a new shop account, copies of
    staged rows under new ids: MDM does not know either account, so both get fallback golden customers. Returns
    (member id, shop account id)."""
    member, account = f"M-UNMATCHED-{batch}", f"C-UNMATCHED-{batch}"
    copy_staged_top_up(warehouse, landing, f"UNMATCHED-TOP-UP-{batch}", f"unmatched_{batch}", member_id=member)
    copy_staged_order(warehouse, landing, f"UNMATCHED-{batch}", f"unmatched_{batch}", customer_id=account)
    return member, account


def land_mdm_matches(
    warehouse: Path, landing: Path, batch: str, unmatched_member: str, unmatched_account: str
) -> dict[str, tuple[str, str]]:
    """Land crosswalk rows that move accounts to other golden customers: a loyalty member and a shop account that
    MDM did not know (fallback golden ids, see land_unmatched_accounts) matched to golden customers with wallet
    movements and orders of their own, in a late file (loaded_at as old as the oldest crosswalk row); and a
    loyalty member and a shop account MDM knew re-matched to new golden customers (loaded after every crosswalk
    row, so they replace the earlier match; the shop account's golden customer keeps another account when one
    exists). Returns {case: (account, golden customer it must have now)}."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        def first(sql: str) -> str:
            rows = con.execute(sql).fetchall()
            assert rows, sql
            return rows[0][0]

        wallet = "select member_id, golden_customer_id from intermediate.int_wallet_transactions_converted"
        orders = "select shop_customer_id, golden_customer_id from marts.fct_orders"
        assert first(f"select golden_customer_id from ({wallet}) where member_id = '{unmatched_member}'") == (
            f"loyalty:{unmatched_member}"
        )
        wallet_customer = first(f"select golden_customer_id from ({wallet}) where golden_customer_id not like"
                                " 'loyalty:%' order by 1 limit 1")
        matched_member = first(f"select member_id from ({wallet}) where golden_customer_id not like 'loyalty:%'"
                               f" and golden_customer_id <> '{wallet_customer}' order by 1 limit 1")
        assert first(f"select golden_customer_id from ({orders}) where shop_customer_id = '{unmatched_account}'") == (
            f"shop:{unmatched_account}"
        )
        order_customer = first(f"select golden_customer_id from ({orders}) where golden_customer_id not like"
                               " 'shop:%' order by 1 limit 1")
        matched_account = first(  # preferably an account whose golden customer has another one
            f"select built.shop_customer_id from ({orders}) as built where built.golden_customer_id not like 'shop:%'"
            f" and built.golden_customer_id <> '{order_customer}'"
            " order by (select count(distinct accounts.shop_customer_id) from marts.fct_orders as accounts"
            " where accounts.golden_customer_id = built.golden_customer_id) > 1 desc, 1 limit 1"
        )
        touchpoints = "select crm_contact_id, golden_customer_id from intermediate.int_touchpoints_converted"
        crm_contact = first(f"select crm_contact_id from ({touchpoints}) where golden_customer_id not like 'crm:%'"
                            f" and golden_customer_id <> '{order_customer}' order by 1 limit 1")
        oldest, newest = con.execute(
            "select min(loaded_at), max(loaded_at) + interval 1 hour from staging.stg_mdm__customer_master"
        ).fetchall()[0]
    cases = {
        "late match of a member": ("loyalty", unmatched_member, wallet_customer, oldest),
        "re-match of a member": ("loyalty", matched_member, f"G-REMATCH-{batch}", newest),
        "late match of an account": ("shop", unmatched_account, order_customer, oldest),
        "re-match of an account": ("shop", matched_account, f"G-SPLIT-{batch}", newest),
        # a CRM contact's touchpoints move to a customer with orders: both customers' follow-ups are matched again
        "re-match of a contact": ("crm", crm_contact, order_customer, newest),
    }
    source_file = min((landing / "mdm" / "customer_master").rglob("*.parquet"))
    for number, (system, account, golden, loaded_at) in enumerate(cases.values()):
        copy_landed_rows(
            str(source_file),
            "true",
            f"'{golden}' as golden_customer_id, '{system}' as source_system, '{account}' as source_customer_id,"
            f" timestamptz '{loaded_at}' as loaded_at",
            landing / "mdm" / "customer_master" / f"customer_master_late_{batch}_{number}.parquet",
            limit=1,
        )
    return {case: (account, golden) for case, (_, account, golden, _) in cases.items()}


# Columns that record the build history (when a build staged or computed the row, the golden customer a member's
# movements had before MDM moved them): the only ones an incremental build may set otherwise than a full refresh.
BUILD_HISTORY_COLUMNS = ["staged_at", "computed_at", "changed_at", "previous_golden_customer_id"]


def _columns_but_build_history(con: duckdb.DuckDBPyConnection, catalog: str, schema: str, name: str) -> str:
    columns = con.execute(
        "select column_name from information_schema.columns where table_catalog = ? and table_schema = ?"
        " and table_name = ? and column_name not in (select unnest(?)) order by ordinal_position",
        [catalog, schema, name, BUILD_HISTORY_COLUMNS],
    ).fetchall()
    return ", ".join(f'"{column}"' for (column,) in columns)


@pytest.mark.long
def test_incremental_runs_equal_full_refresh(ci_build: Build, tmp_path: Path):
    months = sorted({m.group(1) for f in month_files(ci_build.raw) if (m := MONTH.search(f.name))})
    assert len(months) >= 6, months
    landing = tmp_path / "landing"
    incremental = tmp_path / "incremental" / "warehouse.duckdb"
    incremental.parent.mkdir()

    # First the history up to three months before the end, then one monthly batch at a time.
    batches = [months[-4], months[-3], months[-2], months[-1]]
    keys: dict[str, str] = {}
    future_margin = timedelta(seconds=45)
    for number, month in enumerate(batches):
        assert land(ci_build.raw, landing, month) > 0
        if number == 0:
            dbt(["seed"], landing, incremental)
        if number == 1:
            keys = land_corrections(incremental, landing, month, future_margin)
        if number == 2:
            land_late_order(incremental, landing, keys, month)
            unmatched_member, unmatched_account = land_unmatched_accounts(incremental, landing, month)
        if number == 3:  # the clock has passed the future order's loaded_at before this build starts
            old_order = land_old_order(incremental, landing, month)
            old_refund = land_old_refund(incremental, landing, month)
            old_top_up = land_old_top_up(incremental, landing, month)
            old_report_line = land_old_dealer_sales(incremental, landing, month)
            matches = land_mdm_matches(incremental, landing, month, unmatched_member, unmatched_account)
            moved_transaction, new_member = land_moved_movement(incremental, landing, month)
            corrected_day, corrected_currency = land_corrected_rate(incremental, landing, month)
            time.sleep(max(0.0, (datetime.fromisoformat(keys["future_at"]) - datetime.now(UTC)).total_seconds() + 1))
        invoked_at = datetime.now(UTC)
        dbt(["run", "--select", SELECTION], landing, incremental)
        if number == 0:
            # the future order must still be in the future when the next build starts: three times the time this
            # build took to start (dbt's parse is slow on a busy machine), and at least 45 s
            with duckdb.connect(str(incremental), read_only=True) as con:
                started_at = con.execute("select max(staged_at) from staging.base_shop__orders").fetchall()[0][0]
            future_margin = max(future_margin, 3 * (started_at.replace(tzinfo=UTC) - invoked_at))
        if number == 1:
            # the later corrections win; the staged copies lose and keep their raw row; the other copies lose
            assert reason_of(incremental, "base_shop__orders", keys["order"]) == [
                (None, False),
                ("duplicate_key", True),
                ("duplicate_key", True),
            ]
            assert reason_of(incremental, "base_shop__order_lines", keys["line"]) == [
                ("invalid_quantity", True),
                (None, False),
                ("duplicate_key", True),
            ]
            assert reason_of(incremental, "base_shop__order_lines", f"ORPHAN-{month}") == [("orphan_reference", True)]
            assert reason_of(incremental, "base_shop__orders", keys["future_order"]) == [("future_timestamp", True)]
            assert reason_of(incremental, "base_shop__order_lines", f"FUTURE-LINE-{month}") == [
                ("parent_quarantined", True)
            ]
        if number == 2:
            assert reason_of(incremental, "base_shop__order_lines", f"ORPHAN-{batches[1]}") == [(None, False)]
        if number == 3:
            assert reason_of(incremental, "base_shop__orders", keys["future_order"]) == [(None, False)]
            assert reason_of(incremental, "base_shop__order_lines", f"FUTURE-LINE-{batches[1]}") == [(None, False)]
            with duckdb.connect(str(incremental), read_only=True) as con:
                assert con.execute(
                    "select count(*) from marts.fct_order_lines where order_id = ?", [old_order]
                ).fetchone() == (1,), "a late file of old rows reaches the facts"
                assert con.execute(
                    "select count(*) from staging.stg_shop__refunds where refund_id = ?", [old_refund]
                ).fetchone() == (1,)
                assert con.execute(
                    "select count(*) from marts.fct_wallet_ledger where transaction_id = ?", [old_top_up]
                ).fetchone() >= (1,)
                assert con.execute(
                    "select count(*) from marts.fct_dealer_sales where report_line_id = ?", [old_report_line]
                ).fetchone() == (1,)
                for case, (account, golden) in matches.items():
                    table, column = (
                        ("fct_wallet_ledger", "member_id") if "member" in case
                        else ("fct_orders", "shop_customer_id") if "account" in case
                        else ("int_touchpoints_converted", "crm_contact_id")
                    )
                    table = f"intermediate.{table}" if table.startswith("int_") else f"marts.{table}"
                    assert con.execute(
                        f"select distinct golden_customer_id from {table} where {column} = ?", [account]
                    ).fetchall() == [(golden,)], case
                assert con.execute(
                    "select member_id from marts.fct_wallet_ledger where transaction_id = ?", [moved_transaction]
                ).fetchall() == [(new_member,)], "a corrected movement leaves its old wallet for the new one"
                orders, stale = con.execute(
                    "select count(*), count(*) filter (where orders.fx_rate_to_reporting != rates.rate_to_reporting)"
                    " from marts.fct_orders as orders"
                    " inner join intermediate.int_fx_rates_filled as rates"
                    " on orders.order_date = rates.rate_date and orders.currency_code = rates.currency_code"
                    " where orders.order_date = ? and orders.currency_code = ?",
                    [corrected_day, corrected_currency],
                ).fetchone()
                assert orders > 0 and stale == 0, "a late corrected rate re-prices the orders of its day"
                member = matches["late match of a member"][0]
                assert con.execute(
                    "select count(*) from marts.rpt_wallet_balances where golden_customer_id = ?", [f"loyalty:{member}"]
                ).fetchone() == (0,), "the fallback customer of a member matched later keeps no balance"

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
                columns = _columns_but_build_history(con, "full_refresh", schema, name)
                assert columns == _columns_but_build_history(con, "incremental", schema, name), name
                only_incremental = con.execute(
                    f"select count(*) from (select {columns} from incremental.{schema}.{name}"
                    f" except all select {columns} from full_refresh.{schema}.{name})"
                ).fetchone()[0]
                only_full = con.execute(
                    f"select count(*) from (select {columns} from full_refresh.{schema}.{name}"
                    f" except all select {columns} from incremental.{schema}.{name})"
                ).fetchone()[0]
                assert (only_incremental, only_full) == (0, 0), (
                    f"{name}: {only_incremental} rows only in the incremental build, {only_full} only in the full one"
                )
