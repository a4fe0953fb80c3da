"""The new-day slice (python -m simulator --new-day): one day after the window, added beside a ci landing."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orchestration.landing import check_landing, landing_record, refresh_reason
from simulator.generate import run
from simulator.new_day import land_new_day

DAY = "2026-11-01"
TABLES = ("shop/orders", "shop/order_lines", "shop/refunds", "loyalty/wallet_transactions", "loyalty/daily_totals",
          "reference/fx_rates")


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, dict[str, int]]:
    out = tmp_path_factory.mktemp("new_day")
    run("ci", 42, out, progress=False)
    before = landing_record(check_landing(out / "raw"), "built")
    counts = land_new_day("ci", 42, out, 1)
    return out, before, counts


def _read(out: Path, table: str, day_only: bool) -> str:
    pattern = f"*_{DAY}.parquet" if day_only else "**/*.parquet"
    return f"read_parquet('{out / 'raw' / table / pattern}', union_by_name = true)"


def test_slice_writes_one_new_file_per_table_and_counts_as_an_append(landing: tuple) -> None:
    out, before, counts = landing
    for table in TABLES:
        assert (out / "raw" / table / f"{table.split('/')[1]}_{DAY}.parquet").is_file()
    assert 30 <= counts["shop.orders"] <= 50  # ci: 25,000 orders over 730 days, times 1.1
    assert counts["shop.order_lines"] > counts["shop.orders"]
    assert counts["reference.fx_rates"] == 10
    after = landing_record(check_landing(out / "raw"), "building")
    assert refresh_reason(before, after, warehouse_exists=True) == ""


def test_slice_rows_reference_existing_parents_and_land_after_every_row(landing: tuple) -> None:
    out, _, _ = landing
    con = duckdb.connect()

    def scalar(sql: str) -> object:
        return con.execute(sql).fetchone()[0]

    new_orders, all_orders = _read(out, "shop/orders", True), _read(out, "shop/orders", False)
    new_lines = _read(out, "shop/order_lines", True)
    # every customer, product and member of the slice exists in the landing; every line and refund has its order
    assert scalar(f"select count(*) from {new_orders} where customer_id not in "
                  f"(select customer_id from {_read(out, 'shop/customers', False)})") == 0
    assert scalar(f"select count(*) from {new_lines} where product_id not in "
                  f"(select product_id from {_read(out, 'shop/products', False)})") == 0
    assert scalar(f"select count(*) from {new_lines} where order_id not in (select order_id from {new_orders})") == 0
    assert scalar(f"select count(*) from {new_orders} where order_id not in (select order_id from {new_lines})") == 0
    assert scalar(f"select count(*) from {_read(out, 'shop/refunds', True)} where order_id not in "
                  f"(select order_id from {new_orders})") == 0
    assert scalar(f"select count(*) from {_read(out, 'loyalty/wallet_transactions', True)} where member_id not in "
                  f"(select source_customer_id from {_read(out, 'mdm/customer_master', False)} "
                  "where source_system = 'loyalty')") == 0
    # ids are new, the orders are placed on the day, and every row lands after every row of the window
    assert scalar(f"select count(*) - count(distinct order_id) from {all_orders}") == 0
    assert scalar(f"select count(*) from {new_orders} "
                  f"where cast(cast(placed_at as timestamptz) at time zone 'UTC' as date) != date '{DAY}'") == 0
    for table in TABLES:
        window_latest = scalar(f"select max(loaded_at) from {_read(out, table, False)} "
                               f"where filename not like '%_{DAY}.parquet'".replace(
                                   "union_by_name = true)", "union_by_name = true, filename = true)"))
        assert scalar(f"select min(loaded_at) from {_read(out, table, True)}") > window_latest, table
    # the day's rates cover every currency of the slice
    assert scalar(f"select count(*) from {new_orders} where currency_code not in "
                  f"(select currency_code from {_read(out, 'reference/fx_rates', True)})") == 0


def test_first_day_posts_the_expiries_of_the_windows_last_minute(tmp_path: Path) -> None:
    """The window posts only the expiries before END_US (23:59 on its last day); a lot expiring in the last minute
    is posted by the first new day, so no lot keeps points past its expiry once the day has landed. Hand-computed:
    M1 earned 10 points expiring at 23:58 (the window's to post) and 40 expiring at 23:59:30, and redeemed 15 in
    between: oldest-expiring first, the redemption takes the 10 and 5 of the 40, so the day posts 35 at 23:59:30."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from simulator.activity import POINTS_EXPIRY_US
    from simulator.common import END_US, US_PER_DAY, US_PER_SEC
    from simulator.new_day import _points_expiring

    folder = tmp_path / "raw" / "loyalty" / "wallet_transactions"
    folder.mkdir(parents=True)
    early = END_US - 60 * US_PER_SEC - POINTS_EXPIRY_US  # expires at 23:58
    late = END_US + 30 * US_PER_SEC - POINTS_EXPIRY_US  # expires at 23:59:30
    moments = [early, late, late + US_PER_DAY]
    pq.write_table(
        pa.table({
            "transaction_id": ["W1", "W2", "W3"],
            "member_id": ["M1", "M1", "M1"],
            "transaction_type": ["points_earned", "points_earned", "points_redeemed"],
            "points": [10, 40, -15],
            "currency_code": ["USD", "USD", "USD"],
            "transacted_at": pa.array(moments, pa.timestamp("us", tz="UTC")),
            "loaded_at": pa.array([m + 3600 * US_PER_SEC for m in moments], pa.timestamp("us", tz="UTC")),
        }),
        folder / "wallet_transactions_2025-10.parquet",
    )
    day_start = END_US + 60 * US_PER_SEC  # midnight after the window
    none = np.zeros(0, np.int64)
    member, _, points, at = _points_expiring(
        tmp_path / "raw", np.zeros(0, object), none, none, END_US, day_start + US_PER_DAY
    )
    assert (list(member), list(points), list(at)) == (["M1"], [35], [late + POINTS_EXPIRY_US])
    member, *_ = _points_expiring(tmp_path / "raw", np.zeros(0, object), none, none, day_start, day_start + US_PER_DAY)
    assert list(member) == [], "from midnight on, the window's last minute is missed"


def test_first_day_corrects_the_totals_of_the_windows_last_day(tmp_path: Path) -> None:
    """The expiries of the window's last minute belong to its last day: the slice re-sends that day's totals,
    corrected, so the ledger still reconciles with the loyalty system per day. Hand-computed: the landing's latest
    totals of 31 October have 3 points expiries (-30 points; an older copy said 2) and 5 top-ups; the slice posts an
    expiry of 7 points at 23:59:30 on 31 October, one of 4 on 1 November and a top-up of 50 USD on 1 November. The
    31 October expiries become 4 (-37 points), loaded with the slice; the 31 October top-ups are not re-sent."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from simulator.activity import TX_TYPES
    from simulator.common import END_US, US_PER_DAY, US_PER_SEC
    from simulator.new_day import _daily_totals

    folder = tmp_path / "raw" / "loyalty" / "daily_totals"
    folder.mkdir(parents=True)
    last_day = END_US // US_PER_DAY  # 2026-10-31, days since the epoch
    stamp = pa.timestamp("us", tz="UTC")
    pq.write_table(
        pa.table({
            "total_date": pa.array([last_day, last_day, last_day], pa.date32()),
            "transaction_type": ["points_expired", "points_expired", "top_up"],
            "transaction_count": pa.array([2, 3, 5], pa.int32()),
            "amount_total": [0.0, 0.0, 100.0],
            "points_total": pa.array([-20, -30, 0], pa.int32()),
            "loaded_at": pa.array([END_US, END_US + 3600 * US_PER_SEC, END_US], stamp),
        }),
        folder / "daily_totals_2026-10.parquet",
    )
    expired, top_up = TX_TYPES.index("points_expired"), TX_TYPES.index("top_up")
    new_day = last_day + 1
    at = np.array([END_US + 30 * US_PER_SEC, new_day * US_PER_DAY + 10 * 3600 * US_PER_SEC,
                   new_day * US_PER_DAY + 12 * 3600 * US_PER_SEC])
    totals = _daily_totals(tmp_path / "raw", new_day, np.array([expired, expired, top_up]), at,
                           np.array([0.0, 0.0, 50.0]), np.array([-7, -4, 0]), new_day * US_PER_DAY + 7200 * US_PER_SEC)
    rows = sorted(zip(*(totals.column(name).to_pylist() for name in
                        ("total_date", "transaction_type", "transaction_count", "amount_total", "points_total")),
                      strict=True))
    day = totals.column("total_date").to_pylist()
    assert rows == [
        (day[0], "points_expired", 4, 0.0, -37),
        (day[1], "points_expired", 1, 0.0, -4),
        (day[1], "top_up", 1, 50.0, 0),
    ]
    assert str(day[0]) == "2026-10-31" and str(day[1]) == "2026-11-01"
