"""A new day of shop activity after the simulated window, landed beside an existing landing (``--new-day N``).

Day N is the N-th day after the window (N = 1 is the window's end date, 2026-11-01). For the same profile and
seed as the landing it is added to, it writes one file per table named ``<table>_<YYYY-MM-DD>.parquet`` under
the same table folders, and nothing else changes, so the warehouse's next build is an append (incremental):

- shop.orders and shop.order_lines: about 1.1 times the window's average daily orders (November is above the
  year's average; ~30,000 on large), placed during the day (UTC) by existing customers, in their currency, of
  existing products at list price (no discount codes); ids continue after the landing's highest ids;
- shop.refunds: 4.5% of the day's orders are refunded later the same day (40% whole, else part of a line);
- loyalty.wallet_transactions: points earned on members' orders (taken back in proportion on a refund), and for
  40% of members' orders a top-up earlier that day and the spend; refunds of those orders are credited back;
  the points of every lot in the landing that reaches its expiry (365 days after earning) during the day expire
  at that moment, by the loyalty system's oldest-expiring-lot-first rule (as in the window);
- loyalty.daily_totals: the loyalty system's totals of the day (and, on the first day, the corrected totals of
  the window's last day, whose last-minute expiries it posts);
- reference.fx_rates: the rates of the day (the window's random walk, continued day by day after it).

The day lands after the export: every row's loaded_at is later than any row of the landing (the export's time
plus N days and the event's time of day). No customer signs up on the new day.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.landing import discover_files, file_format
from simulator.activity import (
    CUR,
    POINTS_EARNED,
    POINTS_EXPIRY_US,
    REFUND_CREDIT,
    REFUND_REASONS,
    SPEND,
    TOP_UP,
    TX_TYPES,
    _fifo_expiry,
    _format_placed_at,
    _fx_rate,
)
from simulator.catalog import Catalog, build_catalog
from simulator.common import (
    COUNTRY_OFFSET_MIN,
    END_DATE,
    END_US,
    N_DAYS,
    US_PER_DAY,
    US_PER_HOUR,
    US_PER_MIN,
    US_PER_SEC,
    dates,
    fx_table,
    ids,
    local_time_of_day_us,
    round_money,
    strs,
    ts,
)
from simulator.generate import _rng
from simulator.population import DUPLICATE, NORMAL, Population, build_population
from simulator.profiles import PROFILES, Profile
from simulator.row_faults import EXPORT_US
from simulator.schema import TABLES

# The new day's orders relative to the window's average day.
NEW_DAY_VOLUME = 1.1
REFUND_SHARE = 0.045
WALLET_PAID_SHARE = 0.4
# Highest numeric id of a table's key in the landing (ids the simulator writes: prefix and zero-padded digits).
ID_FORMATS = {"orders": ("O", 10), "order_lines": ("OL", 11), "refunds": ("R", 9), "wallet_transactions": ("W", 11)}


def _landed_rows(raw_dir: Path, system: str, table: str, columns: str) -> str | None:
    """SQL reading `columns` (as text, Parquet and CSV alike) from every file of a landed table; None if none.
    The files are the landing's own (orchestration.landing.discover_files, of a format it reads)."""
    files = discover_files(raw_dir / system / table)
    readers = [f"select {columns} from read_parquet({group!r}, union_by_name = true)"
               if kind == "parquet" else
               f"select {columns} from read_csv({group!r}, all_varchar = true)"
               for kind in ("parquet", "csv")
               if (group := [str(p) for p in files if file_format(p) == kind])]
    return " union all ".join(readers) if readers else None


def _daily_totals(raw_dir: Path, new_day: int, tp: np.ndarray, at: np.ndarray, amount_usd: np.ndarray,
                  points: np.ndarray, loaded_us: int) -> pa.Table:
    """The loyalty system's totals of the movements written (type index `tp`, moment `at` in microseconds, USD
    amount, points), per UTC day and transaction type. A day before `new_day` (days since the epoch) — the window's
    last day, whose last-minute expiries the first new day posts — gets its corrected totals: the landed ones (the
    latest loaded of each day and type) plus the new movements'."""
    day = at // US_PER_DAY
    keys = sorted({(int(d), int(t)) for d, t in zip(day, tp, strict=True)})
    landed: dict[tuple[int, str], tuple[int, float, int]] = {}
    earlier_days = sorted({d for d, _ in keys if d < new_day})
    rows = _landed_rows(raw_dir, "loyalty", "daily_totals",
                        "cast(total_date as varchar) as total_date, cast(transaction_type as varchar) as "
                        "transaction_type, cast(transaction_count as varchar) as transaction_count, "
                        "cast(amount_total as varchar) as amount_total, cast(points_total as varchar) as points_total, "
                        "cast(loaded_at as varchar) as loaded_at") if earlier_days else None
    if rows is not None:
        for total_day, kind, count, amount, points_total in duckdb.connect().execute(f"""
            select
                datediff('day', date '1970-01-01', try_cast(total_date as date)), trim(transaction_type),
                try_cast(transaction_count as bigint), try_cast(amount_total as double),
                try_cast(points_total as bigint)
            from ({rows})
            where try_cast(total_date as date) is not null
            qualify row_number() over (
                partition by try_cast(total_date as date), trim(transaction_type)
                order by try_cast(loaded_at as timestamp) desc
            ) = 1
        """).fetchall():
            if total_day in earlier_days:
                landed[(total_day, kind)] = (count or 0, amount or 0.0, points_total or 0)
    names = np.array(TX_TYPES, dtype=object)
    total_rows = []
    for d, t in keys:
        chosen = (day == d) & (tp == t)
        count, amount, points_total = landed.get((d, names[t]), (0, 0.0, 0))
        total_rows.append((d, names[t], count + int(chosen.sum()), round(amount + float(amount_usd[chosen].sum()), 2),
                           points_total + int(points[chosen].sum())))
    total_days, kinds, counts, amounts, points_totals = (
        [row[i] for row in total_rows] for i in range(5)
    )
    return pa.table([dates(np.array(total_days, np.int64)), strs(np.array(kinds, dtype=object)),
                     pa.array(counts, pa.int32()), pa.array(amounts), pa.array(points_totals, pa.int32()),
                     ts(np.full(len(total_rows), loaded_us))],
                    schema=TABLES["loyalty.daily_totals"].schema)


def _highest_id(raw_dir: Path, system: str, table: str, column: str) -> int:
    """The highest number of a simulator-written id (prefix and zero-padded digits) in a table's files."""
    prefix, width = ID_FORMATS[table]
    rows = _landed_rows(raw_dir, system, table, f"cast({column} as varchar) as id")
    if rows is None:
        return 0
    value = duckdb.connect().execute(
        f"select max(cast(substr(id, {len(prefix) + 1}) as bigint)) from ({rows}) "
        "where regexp_full_match(id, $pattern)",
        {"pattern": f"{prefix}[0-9]{{{width}}}"},
    ).fetchone()[0]
    return int(value or 0)


def _landed_points(raw_dir: Path) -> tuple[np.ndarray, ...]:
    """The landing's points movements, one row per transaction id (the latest loaded copy), rows that don't
    parse left out: member id, currency, points, transacted_at (microseconds) and whether the row is a lot
    (points earned or granted) rather than a use (points redeemed or taken back)."""
    rows = _landed_rows(raw_dir, "loyalty", "wallet_transactions",
                        "cast(transaction_id as varchar) as transaction_id, cast(member_id as varchar) as member_id, "
                        "cast(transaction_type as varchar) as transaction_type, cast(points as varchar) as points, "
                        "cast(currency_code as varchar) as currency_code, "
                        "cast(transacted_at as varchar) as transacted_at, cast(loaded_at as varchar) as loaded_at")
    empty = (np.zeros(0, object), np.zeros(0, object), np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, bool))
    if rows is None:
        return empty
    table = duckdb.connect().sql(f"""
        with typed as (
            select
                member_id,
                upper(trim(currency_code)) as currency_code,
                trim(transaction_type) as transaction_type,
                try_cast(points as bigint) as points,
                epoch_us(try_cast(transacted_at as timestamp)) as transacted_us
            from ({rows})
            where transaction_id is not null and member_id is not null
            qualify row_number() over (partition by transaction_id order by try_cast(loaded_at as timestamp) desc) = 1
        )
        select member_id, currency_code, points, transacted_us, points > 0 as is_lot
        from typed
        where
            points is not null and points != 0 and transacted_us is not null
            and (transaction_type in ('points_earned', 'points_redeemed')
                 or (transaction_type = 'manual_adjustment' and points > 0))
    """).to_arrow_table()
    if table.num_rows == 0:
        return empty
    return tuple(table.column(name).to_numpy(zero_copy_only=False)
                 for name in ("member_id", "currency_code", "points", "transacted_us", "is_lot"))


def _points_expiring(raw_dir: Path, new_member: np.ndarray, new_points: np.ndarray, new_at: np.ndarray,
                     due_from: int, due_until: int) -> tuple[np.ndarray, ...]:
    """Member id, currency, points and moment of every expiry due in [due_from, due_until): each lot of the
    landing or of the day that reaches its expiry then, less what the oldest-expiring-first rule took from it
    before (see activity._fifo_expiry). The day's own movements (new_*) are lots when positive."""
    member, currency, points, at, is_lot = _landed_points(raw_dir)
    member = np.concatenate([member, new_member])
    currency = np.concatenate([currency, np.full(len(new_member), None, object)])
    points = np.concatenate([points, new_points])
    at = np.concatenate([at, new_at])
    is_lot = np.concatenate([is_lot, new_points > 0])
    names, member_key = np.unique(member.astype(str), return_inverse=True)
    lots = np.flatnonzero(is_lot)
    lots = lots[np.lexsort((at[lots], member_key[lots]))]
    uses = np.flatnonzero(~is_lot)
    expired = _fifo_expiry(member_key[lots], at[lots], points[lots], member_key[uses], at[uses], -points[uses])
    expire_at = at[lots] + POINTS_EXPIRY_US
    due = (expired > 0) & (expire_at >= due_from) & (expire_at < due_until)
    return names[member_key[lots][due]], currency[lots][due], expired[due], expire_at[due]


def _continued_rates(seed: int, day: int) -> tuple[np.ndarray, np.ndarray]:
    """Rate days and rates (days 1..day after the window), continuing the window's random walk."""
    rate_days, rates = fx_table(_rng(seed, 1))
    steps = _rng(seed, 2001).normal(0, 0.004, (day, rates.shape[1]))
    steps[:, 0] = 0.0
    more = np.round(rates[-1][None, :] * np.exp(np.cumsum(steps, axis=0)), 6)
    more[:, 0] = 1.0
    return np.arange(rate_days[-1] + 1, rate_days[-1] + 1 + day), more


@dataclass
class NewDay:
    """Day `number` after the window: its moments and when its rows land."""

    number: int
    date: np.datetime64
    start: int  # first microsecond (UTC)
    last_second: int  # the day's last whole second
    landed_base: int  # the export's time plus a minute plus the days since the first new day

    @classmethod
    def of(cls, number: int) -> NewDay:
        day_date = END_DATE + np.timedelta64(number - 1, "D")
        start = int(day_date.astype("datetime64[us]").astype(np.int64))
        return cls(number, day_date, start, start + US_PER_DAY - US_PER_SEC,
                   EXPORT_US + US_PER_MIN + (number - 1) * US_PER_DAY)


def _landed_at(rng: np.random.Generator, day: NewDay, at: np.ndarray) -> np.ndarray:
    """The day lands in one delivery after the export: each row at the export's time plus the days since, the
    event's time of day and 2 to 119 minutes."""
    return day.landed_base + (at - day.start) + rng.integers(2, 120, len(at)) * US_PER_MIN


@dataclass
class DayOrders:
    """The new day's orders in placement order."""

    table: pa.Table
    customer: np.ndarray  # shop customer index
    placed_at: np.ndarray
    currency: np.ndarray
    order_id: pa.Array
    order_id_values: np.ndarray  # the same ids as a numpy object array
    loaded_at: np.ndarray

    @property
    def count(self) -> int:
        return len(self.customer)


@dataclass
class DayLines:
    """The new day's order lines and the order amounts they add up to."""

    table: pa.Table
    order_index: np.ndarray  # index into DayOrders of each line's order
    lines_of_order: np.ndarray
    line_net: np.ndarray  # in the order's currency
    order_net: np.ndarray
    order_net_usd: np.ndarray


@dataclass
class DayRefunds:
    """The new day's refunds."""

    table: pa.Table
    order_index: np.ndarray  # index into DayOrders of each refunded order
    amount: np.ndarray
    refunded_at: np.ndarray


def land_new_day(profile_name: str, seed: int, out: Path, day: int = 1) -> dict[str, int]:
    """Write the files of day `day` after the window into ``out/raw`` and return the rows written per table."""
    if day < 1:
        raise ValueError("day must be 1 or later")
    profile = PROFILES[profile_name]
    raw_dir = out / "raw"
    rng = _rng(seed, 2000 + day)
    pop, _ = build_population(_rng(seed, 6), profile)
    cat, _ = build_catalog(_rng(seed, 3), profile)
    rate_days, new_rates = _continued_rates(seed, day)
    _, window_rates = fx_table(_rng(seed, 1))
    fx = np.vstack([window_rates, new_rates])  # indexed like activity._fx_rate: days since FX_START_DATE
    new_day = NewDay.of(day)

    orders = _day_orders(rng, new_day, profile, pop, raw_dir)
    lines = _day_lines(rng, new_day, profile, cat, fx, pop, orders, raw_dir)
    refunds = _day_refunds(rng, new_day, orders, lines, raw_dir)
    wallet, totals = _day_wallet(rng, new_day, pop, fx, orders, lines, refunds, raw_dir)
    n_currencies = new_rates.shape[1]
    rates = pa.table([dates(np.full(n_currencies, rate_days[-1])), strs(CUR), pa.array(new_rates[-1]),
                      ts(np.full(n_currencies, new_day.landed_base))], schema=TABLES["reference.fx_rates"].schema)

    written = {"shop.orders": orders.table, "shop.order_lines": lines.table, "shop.refunds": refunds.table,
               "loyalty.wallet_transactions": wallet, "loyalty.daily_totals": totals, "reference.fx_rates": rates}
    for qualified, table in written.items():
        tdef = TABLES[qualified]
        folder = raw_dir / tdef.system / tdef.name
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, folder / f"{tdef.name}_{new_day.date}.parquet", compression="zstd")
    return {qualified: table.num_rows for qualified, table in written.items()}


def _day_orders(rng: np.random.Generator, day: NewDay, profile: Profile, pop: Population,
                raw_dir: Path) -> DayOrders:
    """About 1.1 times the window's average daily orders, by ordinary customers who signed up before the day, at
    local times of day typical for shopping, without codes or dealers; ids continue after the landing's."""
    n = int(round(profile.orders / N_DAYS * NEW_DAY_VOLUME))
    ordinary = np.flatnonzero(np.isin(pop.segment, (NORMAL, DUPLICATE)) & (pop.created_us < day.start))
    customer = ordinary[rng.integers(0, len(ordinary), n)]
    placed_at = np.sort(day.start + local_time_of_day_us(rng, n))
    currency = pop.currency[customer]
    order_id = ids("O", _highest_id(raw_dir, "shop", "orders", "order_id") + 1 + np.arange(n), 10)
    sales_channel = np.array(["web", "app", "marketplace", "phone", "store"], dtype=object)[rng.integers(0, 5, n)]
    acquisition_channel = np.array(["organic_search", "direct", "email", "paid_search"],
                                   dtype=object)[rng.integers(0, 4, n)]
    loaded_at = _landed_at(rng, day, placed_at)
    table = pa.table([order_id, strs(pop.shop_id[customer]),
                      _format_placed_at(placed_at, COUNTRY_OFFSET_MIN[pop.country[customer]]), strs(CUR[currency]),
                      strs(sales_channel), strs(acquisition_channel), pa.nulls(n, pa.string()),
                      pa.nulls(n, pa.string()), ts(loaded_at)], schema=TABLES["shop.orders"].schema)
    return DayOrders(table, customer, placed_at, currency, order_id, np.array(order_id.to_pylist(), dtype=object),
                     loaded_at)


def _day_lines(rng: np.random.Generator, day: NewDay, profile: Profile, cat: Catalog, fx: np.ndarray,
               pop: Population, orders: DayOrders, raw_dir: Path) -> DayLines:
    """Lines of existing products by popularity, business quantities in bulk, at list price in the order's
    currency (no discounts); one line total in ten left out, as in the window."""
    lines_of_order = 1 + rng.poisson(profile.lines_per_order - 1, orders.count)
    order_index = np.repeat(np.arange(orders.count), lines_of_order)
    n = len(order_index)
    product = np.searchsorted(cat.popularity, rng.random(n), side="right").clip(0, cat.n - 1)
    quantity = np.where(pop.business[orders.customer][order_index], rng.lognormal(4.6, 1.1, n),
                        1 + rng.lognormal(1.0, 0.9, n))
    quantity = quantity.astype(np.int64).clip(1, 2_000_000)
    currency = orders.currency[order_index]
    unit_price = round_money(cat.list_usd[product] * rng.uniform(0.98, 1.02, n)
                             / _fx_rate(fx, orders.placed_at[order_index], currency), currency)
    unit_price = np.maximum(unit_price, np.where(currency == 4, 1.0, 0.01))
    line_net = round_money(quantity * unit_price, currency)
    order_net = np.bincount(order_index, weights=line_net, minlength=orders.count)
    order_net_usd = order_net * _fx_rate(fx, orders.placed_at, orders.currency)
    line_number = _highest_id(raw_dir, "shop", "order_lines", "order_line_id") + 1 + np.arange(n)
    table = pa.table([ids("OL", line_number, 11), orders.order_id.take(pa.array(order_index)),
                      cat.product_id.take(pa.array(product)), pa.array(quantity.astype(np.int32)),
                      pa.array(unit_price), pa.array(np.zeros(n)), pa.array(line_net, mask=line_number % 10 == 7),
                      ts(orders.loaded_at[order_index] + rng.integers(0, 120, n) * US_PER_SEC)],
                     schema=TABLES["shop.order_lines"].schema)
    return DayLines(table, order_index, lines_of_order, line_net, order_net, order_net_usd)


def _day_refunds(rng: np.random.Generator, day: NewDay, orders: DayOrders, lines: DayLines,
                 raw_dir: Path) -> DayRefunds:
    """4.5% of the day's orders are refunded 10 minutes to 3 hours later the same day: 40% whole, the rest 20% to
    100% of one line."""
    refunded = np.flatnonzero(rng.random(orders.count) < REFUND_SHARE)
    n = len(refunded)
    currency = orders.currency[refunded]
    first_line_of_order = np.concatenate([[0], np.cumsum(lines.lines_of_order)[:-1]])
    whole = rng.random(n) < 0.4
    line = first_line_of_order[refunded] + (rng.random(n) * lines.lines_of_order[refunded]).astype(np.int64)
    amount = np.where(whole, lines.order_net[refunded],
                      round_money(lines.line_net[line] * rng.uniform(0.2, 1.0, n), currency))
    amount = np.maximum(amount, np.where(currency == 4, 1.0, 0.01))
    refunded_at = np.minimum(orders.placed_at[refunded] + rng.integers(10 * US_PER_MIN, 3 * US_PER_HOUR, n),
                             day.last_second)
    line_id = pa.array(np.where(whole, None, np.array(lines.table.column("order_line_id").to_pylist(), dtype=object)
                                [line]), pa.string())
    table = pa.table([ids("R", _highest_id(raw_dir, "shop", "refunds", "refund_id") + 1 + np.arange(n), 9),
                      orders.order_id.take(pa.array(refunded)), line_id, pa.array(amount), strs(CUR[currency]),
                      strs(REFUND_REASONS[rng.integers(0, len(REFUND_REASONS), n)]), ts(refunded_at),
                      ts(_landed_at(rng, day, refunded_at))], schema=TABLES["shop.refunds"].schema)
    return DayRefunds(table, refunded, amount, refunded_at)


def _day_wallet(rng: np.random.Generator, day: NewDay, pop: Population, fx: np.ndarray, orders: DayOrders,
                lines: DayLines, refunds: DayRefunds, raw_dir: Path) -> tuple[pa.Table, pa.Table]:
    """The day's loyalty.wallet_transactions (_day_movements and the expiries due, in time order; ids continue
    after the landing's) and loyalty.daily_totals, landed after the day."""
    tx_type, order_index, amount, points, at, shows_order = _day_movements(rng, day, pop, fx, orders, lines,
                                                                           refunds)
    order_id = np.where(shows_order, orders.order_id_values[order_index], None)
    member = pop.member_id[orders.customer[order_index]]
    currency = orders.currency[order_index]
    # the day's expiries, by the lot rule over the landing's points and the day's own; the first day also posts
    # those of the window's last minute (the window posts only the expiries before END_US, 23:59)
    moved = points != 0
    due_from = END_US if day.number == 1 else day.start
    expired_member, expired_currency, expired_points, expired_at = _points_expiring(
        raw_dir, member[moved], points[moved], at[moved], due_from, day.start + US_PER_DAY)
    # a member's currency when the landing gives none
    member_currency = dict(zip(pop.member_id[orders.customer], orders.currency, strict=True))
    currency_index = {code: i for i, code in enumerate(CUR)}
    expired_currency = np.array([currency_index.get(code, member_currency.get(m, 0)) for m, code in
                                 zip(expired_member, expired_currency, strict=True)], np.int64)
    n_expired = len(expired_member)
    tx_type = np.concatenate([tx_type, np.full(n_expired, TX_TYPES.index("points_expired"), np.int64)])
    amount = np.concatenate([amount, np.zeros(n_expired)])
    points = np.concatenate([points, -expired_points.astype(np.int64)])
    at = np.concatenate([at, expired_at])
    order_id = np.concatenate([order_id, np.full(n_expired, None, object)])
    member = np.concatenate([member, expired_member.astype(object)])
    currency = np.concatenate([currency, expired_currency])
    in_time = np.lexsort((tx_type, at))
    tx_type, amount, points, at = tx_type[in_time], amount[in_time], points[in_time], at[in_time]
    order_id, member, currency = order_id[in_time], member[in_time], currency[in_time]
    n = len(tx_type)
    number = _highest_id(raw_dir, "loyalty", "wallet_transactions", "transaction_id") + 1 + np.arange(n)
    wallet = pa.table([ids("W", number, 11), strs(member), strs(np.array(TX_TYPES, dtype=object)[tx_type]),
                       pa.array(amount), pa.array(points.astype(np.int32)), strs(CUR[currency]), strs(order_id),
                       pa.nulls(n, pa.string()), ts(at), ts(_landed_at(rng, day, at))],
                      schema=TABLES["loyalty.wallet_transactions"].schema)
    totals = _daily_totals(raw_dir, day.start // US_PER_DAY, tx_type, at, amount * _fx_rate(fx, at, currency), points,
                           day.landed_base + US_PER_DAY + 2 * US_PER_HOUR)
    return wallet, totals


def _day_movements(rng: np.random.Generator, day: NewDay, pop: Population, fx: np.ndarray, orders: DayOrders,
                   lines: DayLines, refunds: DayRefunds) -> tuple[np.ndarray, ...]:
    """Members earn a point per whole USD of each order 5 minutes after it, taken back in proportion two minutes
    after a refund; 40% of members' orders are paid from the wallet five seconds after ordering, funded by a
    top-up of the order's USD rounded up to 10 (never less than the order) 1 minute to 6 hours earlier; refunds
    of those orders are credited back a minute after the refund. All on the day.

    Returns, per movement: transaction type (index into TX_TYPES), order index, amount, points, time, and
    whether the row names its order."""
    n = orders.count
    refund_share = np.zeros(n)
    refund_share[refunds.order_index] = np.minimum(
        refunds.amount / np.maximum(lines.order_net[refunds.order_index], 1e-9), 1.0)
    refund_at = np.zeros(n, np.int64)
    refund_at[refunds.order_index] = refunds.refunded_at
    is_member = pop.member_id[orders.customer] != None  # noqa: E711
    points = np.floor(lines.order_net_usd).astype(np.int64)
    earning = np.flatnonzero(is_member & (points > 0))
    taking_back = earning[(refund_share[earning] > 0)
                          & (np.floor(points[earning] * refund_share[earning] + 1e-9) > 0)]
    paid = np.flatnonzero(is_member & (rng.random(n) < WALLET_PAID_SHARE))
    paid_refunded = paid[refund_share[paid] > 0]
    top_up_at = np.maximum(orders.placed_at[paid] - rng.integers(US_PER_MIN, 6 * US_PER_HOUR, len(paid)), day.start)
    currency = orders.currency[paid]
    top_up = np.maximum(round_money(np.ceil(lines.order_net_usd[paid] / 10) * 10 / _fx_rate(fx, top_up_at, currency),
                                    currency), lines.order_net[paid])
    refunded_amount = np.zeros(n)
    refunded_amount[refunds.order_index] = refunds.amount
    kinds = [  # (type, orders, amount, points, transacted_at, order id shown)
        (POINTS_EARNED, earning, np.zeros(len(earning)), points[earning],
         np.minimum(orders.placed_at[earning] + 5 * US_PER_MIN, day.last_second), True),
        (POINTS_EARNED, taking_back, np.zeros(len(taking_back)),
         -np.floor(points[taking_back] * refund_share[taking_back] + 1e-9).astype(np.int64),
         np.minimum(refund_at[taking_back] + 2 * US_PER_MIN, day.last_second), True),
        (TOP_UP, paid, top_up, np.zeros(len(paid), np.int64), top_up_at, False),
        (SPEND, paid, -lines.order_net[paid], np.zeros(len(paid), np.int64),
         orders.placed_at[paid] + 5 * US_PER_SEC, True),
        (REFUND_CREDIT, paid_refunded, refunded_amount[paid_refunded], np.zeros(len(paid_refunded), np.int64),
         np.minimum(refund_at[paid_refunded] + US_PER_MIN, day.last_second), True),
    ]
    return (np.concatenate([np.full(len(kind[1]), kind[0], np.int64) for kind in kinds]),
            np.concatenate([kind[1] for kind in kinds]),
            np.concatenate([kind[2] for kind in kinds]),
            np.concatenate([kind[3] for kind in kinds]),
            np.minimum(np.concatenate([kind[4] for kind in kinds]), day.last_second),
            np.concatenate([np.full(len(kind[1]), kind[5]) for kind in kinds]))
