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

from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.landing import discover_files, file_format
from simulator.activity import (
    CUR,
    POINTS_EXPIRY_US,
    REFUND_REASONS,
    TX_TYPES,
    _fifo_expiry,
    _format_placed_at,
    _fx_rate,
)
from simulator.catalog import build_catalog
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
from simulator.population import DUPLICATE, NORMAL, build_population
from simulator.profiles import PROFILES
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

    day_date = END_DATE + np.timedelta64(day - 1, "D")
    day_start = int(day_date.astype("datetime64[us]").astype(np.int64))
    day_end = day_start + US_PER_DAY - US_PER_SEC
    # landed in one delivery after the export: the export's time plus (day - 1) days plus the event's time of day
    landed_base = EXPORT_US + US_PER_MIN + (day - 1) * US_PER_DAY

    def landed(at: np.ndarray) -> np.ndarray:
        return landed_base + (at - day_start) + rng.integers(2, 120, len(at)) * US_PER_MIN

    # ---- orders ------------------------------------------------------------------------------------------
    no = int(round(profile.orders / N_DAYS * NEW_DAY_VOLUME))
    ordinary = np.flatnonzero(np.isin(pop.segment, (NORMAL, DUPLICATE)) & (pop.created_us < day_start))
    o_c = ordinary[rng.integers(0, len(ordinary), no)]
    o_t = np.sort(day_start + local_time_of_day_us(rng, no))
    cur = pop.currency[o_c]
    order_id = ids("O", _highest_id(raw_dir, "shop", "orders", "order_id") + 1 + np.arange(no), 10)
    order_np = np.array(order_id.to_pylist(), dtype=object)
    sales = np.array(["web", "app", "marketplace", "phone", "store"], dtype=object)[rng.integers(0, 5, no)]
    acquisition = np.array(["organic_search", "direct", "email", "paid_search"], dtype=object)[rng.integers(0, 4, no)]
    o_loaded = landed(o_t)
    orders = pa.table([order_id, strs(pop.shop_id[o_c]), _format_placed_at(o_t, COUNTRY_OFFSET_MIN[pop.country[o_c]]),
                       strs(CUR[cur]), strs(sales), strs(acquisition), pa.nulls(no, pa.string()),
                       pa.nulls(no, pa.string()), ts(o_loaded)], schema=TABLES["shop.orders"].schema)

    # ---- order lines -------------------------------------------------------------------------------------
    k = 1 + rng.poisson(profile.lines_per_order - 1, no)
    l_o = np.repeat(np.arange(no), k)
    nl = len(l_o)
    prod = np.searchsorted(cat.popularity, rng.random(nl), side="right").clip(0, cat.n - 1)
    qty = np.where(pop.business[o_c][l_o], rng.lognormal(4.6, 1.1, nl), 1 + rng.lognormal(1.0, 0.9, nl))
    qty = qty.astype(np.int64).clip(1, 2_000_000)
    l_cur = cur[l_o]
    unit = round_money(cat.list_usd[prod] * rng.uniform(0.98, 1.02, nl) / _fx_rate(fx, o_t[l_o], l_cur), l_cur)
    unit = np.maximum(unit, np.where(l_cur == 4, 1.0, 0.01))
    line_net = round_money(qty * unit, l_cur)
    order_net = np.bincount(l_o, weights=line_net, minlength=no)
    order_usd = order_net * _fx_rate(fx, o_t, cur)
    l_num = _highest_id(raw_dir, "shop", "order_lines", "order_line_id") + 1 + np.arange(nl)
    lines = pa.table([ids("OL", l_num, 11), order_id.take(pa.array(l_o)), cat.product_id.take(pa.array(prod)),
                      pa.array(qty.astype(np.int32)), pa.array(unit), pa.array(np.zeros(nl)),
                      pa.array(line_net, mask=l_num % 10 == 7),
                      ts(o_loaded[l_o] + rng.integers(0, 120, nl) * US_PER_SEC)],
                     schema=TABLES["shop.order_lines"].schema)

    # ---- refunds: the same day, whole orders or part of one line ------------------------------------------
    ref_o = np.flatnonzero(rng.random(no) < REFUND_SHARE)
    nr = len(ref_o)
    line_start = np.concatenate([[0], np.cumsum(k)[:-1]])
    whole = rng.random(nr) < 0.4
    pick_line = line_start[ref_o] + (rng.random(nr) * k[ref_o]).astype(np.int64)
    r_amount = np.where(whole, order_net[ref_o], round_money(line_net[pick_line] * rng.uniform(0.2, 1.0, nr),
                                                             cur[ref_o]))
    r_amount = np.maximum(r_amount, np.where(cur[ref_o] == 4, 1.0, 0.01))
    r_at = np.minimum(o_t[ref_o] + rng.integers(10 * US_PER_MIN, 3 * US_PER_HOUR, nr), day_end)
    r_line = pa.array(np.where(whole, None, np.array(lines.column("order_line_id").to_pylist(), dtype=object)
                               [pick_line]), pa.string())
    refunds = pa.table([ids("R", _highest_id(raw_dir, "shop", "refunds", "refund_id") + 1 + np.arange(nr), 9),
                        order_id.take(pa.array(ref_o)), r_line, pa.array(r_amount), strs(CUR[cur[ref_o]]),
                        strs(REFUND_REASONS[rng.integers(0, len(REFUND_REASONS), nr)]), ts(r_at), ts(landed(r_at))],
                       schema=TABLES["shop.refunds"].schema)

    # ---- wallet: points on members' orders, top-up and spend for wallet-paid orders, refund credits ----------
    refund_share = np.zeros(no)
    refund_share[ref_o] = np.minimum(r_amount / np.maximum(order_net[ref_o], 1e-9), 1.0)
    refund_at = np.zeros(no, np.int64)
    refund_at[ref_o] = r_at
    member = pop.member_id[o_c] != None  # noqa: E711
    pts = np.floor(order_usd).astype(np.int64)
    earn = np.flatnonzero(member & (pts > 0))
    back = earn[(refund_share[earn] > 0) & (np.floor(pts[earn] * refund_share[earn] + 1e-9) > 0)]
    paid = np.flatnonzero(member & (rng.random(no) < WALLET_PAID_SHARE))
    paid_refunded = paid[refund_share[paid] > 0]
    top_up_at = np.maximum(o_t[paid] - rng.integers(US_PER_MIN, 6 * US_PER_HOUR, len(paid)), day_start)
    top_up = np.maximum(round_money(np.ceil(order_usd[paid] / 10) * 10 / _fx_rate(fx, top_up_at, cur[paid]),
                                    cur[paid]), order_net[paid])
    refunded_amount = np.zeros(no)
    refunded_amount[ref_o] = r_amount
    parts = [  # (type, orders, amount, points, transacted_at, order id shown)
        (4, earn, np.zeros(len(earn)), pts[earn], np.minimum(o_t[earn] + 5 * US_PER_MIN, day_end), True),
        (4, back, np.zeros(len(back)), -np.floor(pts[back] * refund_share[back] + 1e-9).astype(np.int64),
         np.minimum(refund_at[back] + 2 * US_PER_MIN, day_end), True),
        (0, paid, top_up, np.zeros(len(paid), np.int64), top_up_at, False),
        (2, paid, -order_net[paid], np.zeros(len(paid), np.int64), o_t[paid] + 5 * US_PER_SEC, True),
        (3, paid_refunded, refunded_amount[paid_refunded], np.zeros(len(paid_refunded), np.int64),
         np.minimum(refund_at[paid_refunded] + US_PER_MIN, day_end), True),
    ]
    tp = np.concatenate([np.full(len(p[1]), p[0], np.int64) for p in parts])
    w_o = np.concatenate([p[1] for p in parts])
    amt = np.concatenate([p[2] for p in parts])
    wpts = np.concatenate([p[3] for p in parts])
    at = np.minimum(np.concatenate([p[4] for p in parts]), day_end)
    w_order = np.concatenate([np.where(p[5], order_np[p[1]], None) for p in parts])
    w_member = pop.member_id[o_c[w_o]]
    w_cur = cur[w_o]
    # the day's expiries, by the lot rule over the landing's points and the day's own; the first day also posts
    # those of the window's last minute (the window posts only the expiries before END_US, 23:59)
    moved = wpts != 0
    due_from = END_US if day == 1 else day_start
    x_member, x_currency, x_points, x_at = _points_expiring(raw_dir, w_member[moved], wpts[moved], at[moved],
                                                            due_from, day_start + US_PER_DAY)
    member_cur = dict(zip(pop.member_id[o_c], cur, strict=True))  # a member's currency when the landing gives none
    cur_index = {code: i for i, code in enumerate(CUR)}
    x_cur = np.array([cur_index.get(code, member_cur.get(member, 0)) for member, code in
                      zip(x_member, x_currency, strict=True)], np.int64)
    nx = len(x_member)
    tp = np.concatenate([tp, np.full(nx, TX_TYPES.index("points_expired"), np.int64)])
    amt = np.concatenate([amt, np.zeros(nx)])
    wpts = np.concatenate([wpts, -x_points.astype(np.int64)])
    at = np.concatenate([at, x_at])
    w_order = np.concatenate([w_order, np.full(nx, None, object)])
    w_member = np.concatenate([w_member, x_member.astype(object)])
    w_cur = np.concatenate([w_cur, x_cur])
    srt = np.lexsort((tp, at))
    tp, amt, wpts, at, w_order, w_member, w_cur = tp[srt], amt[srt], wpts[srt], at[srt], w_order[srt], w_member[srt], \
        w_cur[srt]
    nw = len(tp)
    w_num = _highest_id(raw_dir, "loyalty", "wallet_transactions", "transaction_id") + 1 + np.arange(nw)
    wallet = pa.table([ids("W", w_num, 11), strs(w_member), strs(np.array(TX_TYPES, dtype=object)[tp]),
                       pa.array(amt), pa.array(wpts.astype(np.int32)), strs(CUR[w_cur]), strs(w_order),
                       pa.nulls(nw, pa.string()), ts(at), ts(landed(at))],
                      schema=TABLES["loyalty.wallet_transactions"].schema)
    totals = _daily_totals(raw_dir, day_start // US_PER_DAY, tp, at, amt * _fx_rate(fx, at, w_cur), wpts,
                           landed_base + US_PER_DAY + 2 * US_PER_HOUR)

    # ---- the day's rates --------------------------------------------------------------------------------
    n_cur = new_rates.shape[1]
    rates = pa.table([dates(np.full(n_cur, rate_days[-1])), strs(CUR), pa.array(new_rates[-1]),
                      ts(np.full(n_cur, landed_base))], schema=TABLES["reference.fx_rates"].schema)

    written = {"shop.orders": orders, "shop.order_lines": lines, "shop.refunds": refunds,
               "loyalty.wallet_transactions": wallet, "loyalty.daily_totals": totals, "reference.fx_rates": rates}
    for qualified, table in written.items():
        tdef = TABLES[qualified]
        folder = raw_dir / tdef.system / tdef.name
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, folder / f"{tdef.name}_{day_date}.parquet", compression="zstd")
    return {qualified: table.num_rows for qualified, table in written.items()}
