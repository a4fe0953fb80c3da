"""Row-rule faults that span tables: quarantined parents and their children, refunds above the sale, rate gaps,
non-finite and overflowing numbers, free items, missing discounts and channels, offset-less timestamps.

The FaultInjector plans them per customer block (orders, lines, refunds, wallet and tickets of one block are
seen together before any is written), applies the plan table by table, and records every planted row in the
answer key with the reason staging must give it, or "keep" with the value it must stage with.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from simulator.common import CURRENCIES, CURRENCY_DECIMALS, END_US, FX_START_DATE, US_PER_DAY

UTC = dt.UTC
# The moment the landing is exported: no row is loaded later (a later loaded_at is a future_timestamp fault).
EXPORT_US = END_US + 25 * US_PER_DAY
EXPORT = dt.datetime(1970, 1, 1, tzinfo=UTC) + dt.timedelta(microseconds=EXPORT_US)
NON_FINITE = [("NaN", math.nan), ("+Infinity", math.inf), ("-Infinity", -math.inf), ("overflow 1e20", 1e20)]
INT_OVERFLOW = 3_000_000_000  # does not fit the contract's 32-bit INTEGER; lands in an int64 file
HUGE_REFUND = 9_999_999.0
FX_GAP_CURRENCY = "EUR"
_FX_DAY0 = dt.date.fromisoformat(str(FX_START_DATE))
# Rates of FX_GAP_CURRENCY are removed on these days (before the simulated window, where no clean event is).
FX_GAP_WITHIN = [_FX_DAY0 + dt.timedelta(days=d) for d in range(5, 9)]  # 4 days: shorter than the 7-day window
FX_GAP_BEYOND = [_FX_DAY0 + dt.timedelta(days=d) for d in range(12, 26)]  # 14 days: longer than the window
FX_DAY_WITHIN = _FX_DAY0 + dt.timedelta(days=7)  # uses the rate of day 4 (3 days old): kept
FX_DAY_BEYOND = _FX_DAY0 + dt.timedelta(days=23)  # last rate on day 11 (12 days old): missing_fx_rate
FX_FALLBACK_DAY = _FX_DAY0 + dt.timedelta(days=4)


def cap_loaded_at(table: pa.Table) -> pa.Table:
    """Rows of an export cannot have been loaded after it was taken: loaded_at is capped at EXPORT."""
    if "loaded_at" not in table.column_names or table.num_rows == 0:
        return table
    idx = table.column_names.index("loaded_at")
    field = table.schema.field(idx)
    loaded = table.column(idx)
    later_than_export = pc.fill_null(pc.greater(loaded, pa.scalar(EXPORT, field.type)), False)
    capped = pc.if_else(later_than_export, pa.scalar(EXPORT, field.type), loaded)
    return table.set_column(idx, field, capped)


def line_net(row: dict, currency: str) -> float:
    """What a line charged after its discount, as staging computes it (exact to the currency's minor unit)."""
    decimals = int(CURRENCY_DECIMALS[CURRENCIES.index(currency)])
    gross = row["line_amount"] if row["line_amount"] is not None else round(row["quantity"] * row["unit_price"],
                                                                            decimals)
    return round(gross - (row["discount_amount"] or 0.0), decimals)


def minor_unit(currency: str) -> float:
    return 10.0 ** -int(CURRENCY_DECIMALS[CURRENCIES.index(currency)])


def later(value: dt.datetime, delta: dt.timedelta) -> dt.datetime:
    return min(value + delta, EXPORT)


class BlockPlan:
    """What to plant in one customer block, decided with all of its tables in view.

    Candidates are drawn from a small random sample of each table and every edit touches a handful of rows,
    so planning costs little even at the large profile (vectorised masks, no whole-table Python lists)."""

    SAMPLE = 400

    def __init__(self, injector, tables: dict[str, pa.Table], protected_orders: set[str]) -> None:
        self.inj = injector
        rng = injector.rng
        orders, lines, refunds = tables["shop.orders"], tables["shop.order_lines"], tables["shop.refunds"]
        wallet, draws = tables["loyalty.wallet_transactions"], tables["promotions.lottery_draws"]
        sample = _sample(rng, orders, self.SAMPLE)
        busy = pc.is_in(sample.column("order_id"), value_set=pa.array(sorted(protected_orders), pa.string()))
        for other in (refunds, wallet, draws):
            if other.num_rows:
                busy = pc.or_(busy, pc.is_in(sample.column("order_id"), value_set=other.column("order_id")))
        free = sample.filter(pc.invert(pc.fill_null(busy, True))).to_pylist()
        self.currency = {o["order_id"]: o["currency_code"] for o in free}
        lines_of_free = lines.filter(pc.is_in(lines.column("order_id"),
                                              value_set=pa.array([o["order_id"] for o in free], pa.string())))
        lines_by_order: dict[str, list[dict]] = {}
        for line in lines_of_free.to_pylist():
            lines_by_order.setdefault(line["order_id"], []).append(line)
        # parents quarantined in place, their children follow them into the quarantine
        self.bad_orders = {o["order_id"] for o in free[:2]}
        spare = [o["order_id"] for o in free[2:] if o["order_id"] in lines_by_order]
        self.bad_lines = {lines_by_order[oid][0]["order_line_id"]: oid for oid in spare[:2]}
        self.free_item_order = spare[2] if len(spare) > 2 else None
        zero_discount = [lines_by_order[oid][-1] for oid in spare[3:]
                         if lines_by_order[oid][-1]["discount_amount"] == 0]
        self.null_discount_line = zero_discount[0]["order_line_id"] if zero_discount else None
        self.child_lines = {line["order_line_id"] for oid in self.bad_orders for line in lines_by_order.get(oid, [])}
        self.quarantined_lines = self.child_lines | set(self.bad_lines)
        self.template_order = free[-1] if len(free) > 6 else None
        self.template_line = lines_by_order[spare[-1]][0] if len(spare) > 4 else None
        self.new_orders: list[tuple[str, dt.date, str]] = []  # (order_id, day, expectation) that get one line each
        # a clean line refund to top up past its line (cumulative): the only refund of an unprotected order
        self.cumulative = None
        refund_sample = _sample(rng, refunds, self.SAMPLE).to_pylist()
        counts = {}
        if refunds.num_rows:
            value_counts = pc.value_counts(refunds.column("order_id")).to_pylist()
            counts = {item["values"]: item["counts"] for item in value_counts}
        line_refunds = [r for r in refund_sample if r["order_line_id"] is not None and counts.get(r["order_id"]) == 1
                        and r["order_id"] not in protected_orders]
        by_line = {line["order_line_id"]: line for line in lines.filter(pc.is_in(
            lines.column("order_line_id"), value_set=pa.array([r["order_line_id"] for r in line_refunds],
                                                              pa.string()))).to_pylist()}
        for r in line_refunds:
            line = by_line.get(r["order_line_id"])
            if line and line["line_amount"] is not None:
                self.cumulative = (r, line_net(line, r["currency_code"]))
                break
        self.template_refund = next((r for r in refund_sample
                                     if self.cumulative is None or r["refund_id"] != self.cumulative[0]["refund_id"]),
                                    None)
        self.wallet_template = next((w for w in _sample(rng, wallet, self.SAMPLE).to_pylist()
                                     if w["amount"] not in (None, 0.0)), None)

    # ---- per table -----------------------------------------------------------------------------------
    def apply(self, q: str, table: pa.Table) -> tuple[pa.Table, np.ndarray, int]:
        """The batch with this plan's rows edited (moved to the end) or added.

        Returns the new batch, which of the original rows stayed in place (in order, at the front), and how
        many rows follow them; every row that follows is the plan's, and other faults must leave it alone."""
        masks = {"shop.orders": lambda: _in(table, "order_id", self.bad_orders),
                 "shop.order_lines": lambda: _in(table, "order_line_id",
                                                 self.quarantined_lines | {self.null_discount_line}),
                 "shop.refunds": lambda: pc.or_(
                     pc.or_(_in(table, "order_id", self.bad_orders),
                            _in(table, "order_line_id", self.quarantined_lines)),
                     _in(table, "refund_id", {self.cumulative[0]["refund_id"]} if self.cumulative else set())),
                 "service.after_sales_tickets": lambda: _in(table, "order_line_id", self.quarantined_lines),
                 "loyalty.wallet_transactions": lambda: _in(table, "transaction_id", set())}
        handler = {"shop.orders": self._orders, "shop.order_lines": self._lines, "shop.refunds": self._refunds,
                   "service.after_sales_tickets": self._tickets,
                   "loyalty.wallet_transactions": self._wallet}.get(q)
        if handler is None or table.num_rows == 0:
            return table, np.ones(table.num_rows, bool), 0
        mask = pc.fill_null(masks[q](), False)
        stay = np.asarray(pc.invert(mask).to_numpy(zero_copy_only=False), dtype=bool)
        rows = table.filter(mask).to_pylist()
        rest = table.filter(pc.invert(mask))
        extra: list[dict] = []
        handler(q, rows, extra, rest)
        moved = rows + extra
        if not moved:
            return rest, stay, 0
        return pa.concat_tables([rest, pa.Table.from_pylist(moved, schema=table.schema)]), stay, len(moved)

    def _orders(self, q, rows, extra, rest):
        rec = self.inj._record
        for o in rows:
            o["sales_channel"] = "tbd"
            rec(q, o["order_id"], "quarantined_parent_order", "quarantine", "invalid_code",
                "sales_channel = 'tbd' on an order whose lines, refunds and tickets must follow it")
        t = self.template_order
        if t is None:
            return
        placed = dt.datetime.fromisoformat(t["placed_at"]).astimezone(UTC) - dt.timedelta(days=1)
        naive = placed.strftime("%Y-%m-%dT%H:%M:%S")
        o = dict(t, order_id=self.inj._fresh_key(q), placed_at=naive)
        extra.append(o)
        rec(q, o["order_id"], "offset_less_timestamp", "keep", None,
            f"placed_at = {naive!r} has no offset: staged as {naive} UTC (source_time_zones.shop = UTC)")
        for value in (None, ""):
            o = dict(t, order_id=self.inj._fresh_key(q), acquisition_channel=value)
            extra.append(o)
            rec(q, o["order_id"], "null_acquisition_channel", "keep", None,
                f"acquisition_channel = {value!r}: staged as 'unknown'")
        # Only the beyond-window case is an order: a kept order dated before the simulated window would be a
        # day of its own in every daily series (its average order value alone before the first real day). The
        # within-window gap is checked on int_fx_rates_filled and in the dbt unit tests.
        for day, expectation in ((FX_DAY_BEYOND, "beyond"),):
            placed_at = dt.datetime.combine(day, dt.time(12), tzinfo=UTC)
            o = dict(t, order_id=self.inj._fresh_key(q), currency_code=FX_GAP_CURRENCY,
                     placed_at=placed_at.isoformat(), loaded_at=placed_at + dt.timedelta(hours=1))
            extra.append(o)
            self.new_orders.append((o["order_id"], day, expectation))
            if expectation == "within":
                rec(q, o["order_id"], "fx_rate_gap_within_window", "keep", None,
                    f"{FX_GAP_CURRENCY} order on {day}, no rate since {FX_FALLBACK_DAY}: uses that day's rate")
            else:
                rec(q, o["order_id"], "fx_rate_gap_beyond_window", "quarantine", "missing_fx_rate",
                    f"{FX_GAP_CURRENCY} order on {day}, last rate {(FX_GAP_BEYOND[0] - dt.timedelta(days=1))}")

    def _lines(self, q, rows, extra, rest):
        rec = self.inj._record
        variants = iter([("NaN", math.nan), ("+Infinity", math.inf)])
        for line in rows:
            lid = line["order_line_id"]
            if lid in self.child_lines:
                rec(q, lid, "line_of_quarantined_order", "quarantine", "parent_quarantined",
                    f"order {line['order_id']} is quarantined")
            elif lid in self.bad_lines:
                label, value = next(variants)
                line["unit_price"] = value
                rec(q, lid, "quarantined_parent_line", "quarantine", "invalid_amount",
                    f"unit_price = {label} on a line whose refunds and tickets must follow it")
            elif lid == self.null_discount_line:
                line["discount_amount"] = None
                rec(q, lid, "null_discount", "keep", None, "discount_amount is null: staged as 0")
        t = self.template_line
        if t is None:
            return
        for order_id, day, expectation in self.new_orders:
            o_line = dict(t, order_line_id=self.inj._fresh_key(q), order_id=order_id,
                          loaded_at=dt.datetime.combine(day, dt.time(14), tzinfo=UTC))
            extra.append(o_line)
            if expectation == "within":
                rec(q, o_line["order_line_id"], "fx_rate_gap_within_window", "keep", None,
                    f"line of {order_id}: converted at the {FX_GAP_CURRENCY} rate of {FX_FALLBACK_DAY}")
            else:
                self.quarantined_lines.add(o_line["order_line_id"])
                rec(q, o_line["order_line_id"], "line_of_quarantined_order", "quarantine", "parent_quarantined",
                    f"order {order_id} is quarantined (missing_fx_rate)")
        if self.free_item_order is not None:
            free = dict(t, order_line_id=self.inj._fresh_key(q), order_id=self.free_item_order, quantity=3,
                        unit_price=0.0, line_amount=0.0, discount_amount=0.0)
            extra.append(free)
            rec(q, free["order_line_id"], "free_item", "keep", None, "unit_price = 0: staged, 3 units, gross 0")
        overflow = dict(t, order_line_id=self.inj._fresh_key(q), quantity=INT_OVERFLOW)
        self.inj.side_rows.setdefault(q, []).append(overflow)
        rec(q, overflow["order_line_id"], "integer_overflow", "quarantine", "invalid_quantity",
            f"quantity = {INT_OVERFLOW} in an int64 file")

    def _refunds(self, q, rows, extra, rest):
        rec = self.inj._record
        for r in rows:
            if r["order_id"] in self.bad_orders or r["order_line_id"] in self.quarantined_lines:
                rec(q, r["refund_id"], "refund_of_quarantined_parent", "quarantine", "parent_quarantined",
                    "refund of a quarantined order or line")
        t = self.template_refund
        if t is None:
            return
        fresh = self.inj._fresh_key
        for order_id in sorted(self.bad_orders):
            r = dict(t, refund_id=fresh(q), order_id=order_id, order_line_id=None, refund_amount=1.0,
                     currency_code=self.currency[order_id])
            extra.append(r)
            rec(q, r["refund_id"], "refund_of_quarantined_parent", "quarantine", "parent_quarantined",
                f"order-level refund of quarantined order {order_id}")
        for line_id, order_id in sorted(self.bad_lines.items()):
            r = dict(t, refund_id=fresh(q), order_id=order_id, order_line_id=line_id, refund_amount=1.0,
                     currency_code=self.currency[order_id])
            extra.append(r)
            rec(q, r["refund_id"], "refund_of_quarantined_parent", "quarantine", "parent_quarantined",
                f"refund of quarantined line {line_id}")
        r = dict(t, refund_id=fresh(q), refunded_at=None)
        extra.append(r)
        rec(q, r["refund_id"], "null_refund_date", "quarantine", "unparseable_timestamp", "refunded_at is null")
        r = dict(t, refund_id=fresh(q), refund_amount=HUGE_REFUND)
        extra.append(r)
        rec(q, r["refund_id"], "refund_above_sale", "quarantine", "refund_exceeds_sale",
            f"refund_amount = {HUGE_REFUND} on {t['order_line_id'] or t['order_id']}")
        if self.cumulative is not None:
            first, net = self.cumulative
            unit = minor_unit(first["currency_code"])
            amount = round(net - first["refund_amount"] + unit, 6)
            r = dict(first, refund_id=fresh(q), refund_amount=amount,
                     refunded_at=later(first["refunded_at"], dt.timedelta(days=1)),
                     loaded_at=later(first["loaded_at"], dt.timedelta(days=1)))
            extra.append(r)
            rec(q, r["refund_id"], "refund_above_sale_cumulative", "quarantine", "refund_exceeds_sale",
                f"line {first['order_line_id']} nets {net}; {first['refund_id']} refunded {first['refund_amount']}"
                f" first, this {amount} would exceed it by one minor unit")

    def _tickets(self, q, rows, extra, rest):
        for ticket in rows:
            self.inj._record(q, ticket["ticket_id"], "ticket_of_quarantined_line", "quarantine",
                             "parent_quarantined", f"line {ticket['order_line_id']} is quarantined")
        if rest.num_rows and self.bad_lines:
            line_id = sorted(self.bad_lines)[0]
            ticket = dict(rest.slice(0, 1).to_pylist()[0], ticket_id=self.inj._fresh_key(q), order_line_id=line_id)
            extra.append(ticket)
            self.inj._record(q, ticket["ticket_id"], "ticket_of_quarantined_line", "quarantine",
                             "parent_quarantined", f"complaint about quarantined line {line_id}")

    def _wallet(self, q, rows, extra, rest):
        t = self.wallet_template
        if t is None:
            return
        at = dt.datetime.combine(FX_DAY_BEYOND, dt.time(12), tzinfo=UTC)
        w = dict(t, transaction_id=self.inj._fresh_key(q), currency_code=FX_GAP_CURRENCY, transacted_at=at,
                 loaded_at=at + dt.timedelta(hours=1))
        extra.append(w)
        self.inj._record(q, w["transaction_id"], "fx_rate_gap_beyond_window", "quarantine", "missing_fx_rate",
                         f"{FX_GAP_CURRENCY} amount on {FX_DAY_BEYOND}, more than 7 days after the last rate")


def _sample(rng: np.random.Generator, table: pa.Table, size: int) -> pa.Table:
    """Up to `size` random rows of a table, in random order."""
    if table.num_rows == 0:
        return table
    idx = rng.choice(table.num_rows, size=min(size, table.num_rows), replace=False)
    return table.take(pa.array(idx))


def _in(table: pa.Table, column: str, values: set) -> pa.ChunkedArray:
    return pc.is_in(table.column(column), value_set=pa.array(sorted(v for v in values if v is not None), pa.string()))


def drop_fx_gaps(injector, table: pa.Table) -> pa.Table:
    """Remove FX_GAP_CURRENCY's rates on the gap days (recorded in the answer key as kept/quarantined events)."""
    gap = pa.array(FX_GAP_WITHIN + FX_GAP_BEYOND, pa.date32())
    drop = pc.and_(pc.equal(table.column("currency_code"), FX_GAP_CURRENCY),
                   pc.is_in(table.column("rate_date"), value_set=gap))
    injector._record("reference.fx_rates", None, "fx_rate_gap_within_window", "keep", None,
                     f"{FX_GAP_CURRENCY} has no rate on {FX_GAP_WITHIN[0]}..{FX_GAP_WITHIN[-1]}: those days carry "
                     f"the rate of {FX_GAP_WITHIN[0] - dt.timedelta(days=1)}")
    injector._record("reference.fx_rates", None, "fx_rate_gap_longer_than_window", "keep", None,
                     f"{FX_GAP_CURRENCY} has no rate on {FX_GAP_BEYOND[0]}..{FX_GAP_BEYOND[-1]}: days more than 7 "
                     f"after {FX_GAP_BEYOND[0] - dt.timedelta(days=1)} have none (their amounts: missing_fx_rate)")
    return table.filter(pc.invert(drop))


def plant_numbers(injector, q: str, table: pa.Table, cand: np.ndarray, fresh) -> list[dict]:
    """NaN, +Inf, -Inf and 1e20 in every float column, each in a clone of a clean row under a fresh key."""
    rows: list[dict] = []
    if len(cand) == 0:
        return rows
    floats = [f.name for f in table.schema if pa.types.is_floating(f.type)]
    for column in floats:
        for label, value in NON_FINITE:
            row = table.slice(int(cand[int(injector.rng.integers(len(cand)))]), 1).to_pylist()[0]
            fresh(row)
            row[column] = value
            rows.append(row)
            injector._record_row(q, row, "non_finite_number", "quarantine", "invalid_amount", f"{column} = {label}")
    return rows


def plant_future_load(injector, q: str, table: pa.Table, cand: np.ndarray, fresh) -> list[dict]:
    """A clean row under a fresh key whose loaded_at is years after the build: future_timestamp."""
    if len(cand) == 0:
        return []
    row = table.slice(int(cand[int(injector.rng.integers(len(cand)))]), 1).to_pylist()[0]
    fresh(row)
    row["loaded_at"] = dt.datetime(2031, 6, 15, 12, 0, tzinfo=UTC)
    injector._record_row(q, row, "future_loaded_at", "quarantine", "future_timestamp",
                         "loaded_at = 2031-06-15, after the build started")
    return [row]
