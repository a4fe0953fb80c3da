"""Bad-row injection: realistic faults in every raw table, each recorded in the answer key.

Quarantine-type faults are added as extra rows cloned from a clean row under a fresh key (or, for
duplicates, under the same key), so the clean data stays intact; kept faults edit existing rows in place.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from simulator.row_faults import BlockPlan, drop_fx_gaps, later, plant_future_load, plant_numbers
from simulator.schema import TABLES
from simulator.truth import FAULT_SCHEMA

UTC = dt.UTC


@dataclass(frozen=True)
class FaultSpec:
    """Which fault types apply to a table and on which columns."""

    fresh: tuple[str, int] | None = None  # id prefix and width of the single key column
    event: str | None = None
    currency: bool = False
    codes: tuple[str, ...] = ()
    quantity: tuple[str, ...] = ()
    amount: tuple[tuple[str, float], ...] = ()  # column, bad value
    text: tuple[str, ...] = ()
    free_text: tuple[str, ...] = ()  # columns a person types freely: personal data is planted in each
    email: tuple[str, ...] = ()
    orphans: tuple[tuple[str, str], ...] = ()  # column, id that exists nowhere (prefix)
    late: bool = False
    orphan_customer: bool = False
    conflict: tuple[str, str] = ("loaded_at", "none")  # column, mutation kind
    unparseable: bool = False
    extra: dict = field(default_factory=dict)


SPECS: dict[str, FaultSpec] = {
    "shop.customers": FaultSpec(("C", 8), "created_at", codes=("customer_type",),
                                text=("full_name", "company_name", "city", "region", "email"), email=("email",),
                                free_text=("city", "affiliated_brand"),
                                conflict=("phone", "text")),
    "shop.products": FaultSpec(("P", 6), currency=True, amount=(("list_price", 0.0),), text=("product_name",),
                               conflict=("list_price", "num")),
    "shop.orders": FaultSpec(("O", 10), "placed_at", currency=True, codes=("sales_channel",), late=True,
                             orphan_customer=True, unparseable=True, conflict=("sales_channel", "choice")),
    "shop.order_lines": FaultSpec(("OL", 11), quantity=("quantity",), amount=(("unit_price", -1.0),
                                                                              ("discount_amount", -5.0)),
                                  orphans=(("order_id", "O"), ("product_id", "P")), late=True,
                                  conflict=("quantity", "int")),
    "shop.refunds": FaultSpec(("R", 9), "refunded_at", currency=True, amount=(("refund_amount", -10.0),),
                              text=("reason",), free_text=("reason",), orphans=(("order_id", "O"),),
                              conflict=("refund_amount", "num")),
    "shop.custom_order_requests": FaultSpec(("CR", 8), "requested_at", quantity=("quantity_requested",),
                                            text=("description",), free_text=("description",),
                                            conflict=("quantity_requested", "int")),
    "shop.reseller_inquiries": FaultSpec(("RI", 7), "inquired_at", text=("message",), free_text=("message",),
                                         conflict=("message", "text")),
    "mdm.customer_master": FaultSpec(None, "matched_at", codes=("source_system",), conflict=("matched_at", "ts")),
    "mdm.friends_family": FaultSpec(("FF", 8), "added_at", text=("friend_name",), email=("friend_email",),
                                    conflict=("has_consent", "bool")),
    "crm.touchpoints": FaultSpec(("T", 10), "touched_at", currency=True, codes=("touchpoint_type",),
                                 amount=(("cost_amount", -25.0),), conflict=("cost_amount", "num")),
    "crm.referrals": FaultSpec(("RF", 9), "referred_at", text=("referred_name",), email=("referred_email",),
                               conflict=("referred_phone", "text")),
    "loyalty.wallet_transactions": FaultSpec(("W", 11), "transacted_at", currency=True,
                                             codes=("transaction_type",), late=True, conflict=("transacted_at", "ts")),
    "loyalty.daily_totals": FaultSpec(None, codes=("transaction_type",), conflict=("transaction_count", "int")),
    "dealer_portal.dealers": FaultSpec(("D", 4), "joined_at", codes=("tier",), text=("dealer_name",),
                                       conflict=("tier", "choice")),
    "dealer_portal.dealer_sales": FaultSpec(("DS", 9), currency=True, quantity=("quantity",),
                                            amount=(("revenue_amount", -100.0),), orphans=(("dealer_id", "D"),),
                                            late=True, conflict=("revenue_amount", "num")),
    "dealer_portal.dealer_purchases": FaultSpec(("DP", 9), "shipped_at", currency=True, quantity=("quantity",),
                                                amount=(("unit_price", 0.0),), conflict=("unit_price", "num")),
    "dealer_portal.data_sharing_agreements": FaultSpec(("AG", 5), conflict=("receives_scorecard", "bool")),
    "marketing.campaigns": FaultSpec(("CMP", 4), "starts_at", currency=True, codes=("campaign_type",),
                                     amount=(("cost_amount", -500.0),), text=("campaign_name",),
                                     conflict=("cost_amount", "num")),
    "marketing.leads": FaultSpec(("LD", 8), "created_at", codes=("lead_source",), text=("contact_name",),
                                 email=("contact_email",), conflict=("has_contact_consent", "bool")),
    "marketing.lead_events": FaultSpec(("LE", 9), "event_at", currency=True, codes=("event_type",),
                                       amount=(("won_amount", -1000.0),), orphans=(("lead_id", "LD"),), late=True,
                                       conflict=("event_at", "ts")),
    "service.after_sales_tickets": FaultSpec(("TK", 8), "opened_at", currency=True, codes=("complaint_type",),
                                             amount=(("compensation_amount", -20.0),),
                                             conflict=("escalated_to", "choice")),
    "promotions.lottery_prizes": FaultSpec(("PZ", 4), currency=True, quantity=("stock_quantity",),
                                           amount=(("advertised_odds", 1.5),), text=("prize_name",),
                                           conflict=("prize_value_amount", "num")),
    "promotions.lottery_draws": FaultSpec(("DR", 9), "drawn_at", orphans=(("prize_id", "PZ"),),
                                          conflict=("drawn_at", "ts")),
    "reference.fx_rates": FaultSpec(None, currency=True, amount=(("rate_to_usd", 0.0),),
                                    conflict=("rate_to_usd", "num")),
}

CHOICES = {"sales_channel": ["web", "app", "marketplace", "phone", "store"], "tier": ["gold", "silver", "bronze"],
           "escalated_to": ["manufacturer", "agent", "third_party_lab", "none"]}
BAD_CODES = ["unknown", "n/a", "vip_customer", "other_type", "b2b2c", "tbd"]
BAD_CURRENCIES = ["XYZ", "US$", "", "EURO", "??", "RMB"]
BAD_TIMESTAMPS = ["31/02/2026 25:61", "yesterday", "2026-13-45T99:99:99", "not a date", "20260230"]
BAD_EMAILS = ["john.doe@", "no-at-sign.com", "a@@b.com", "@example.com", "jane doe@example.com"]
NON_ASCII = {"full_name": ["Zoë Müller", "José Álvarez", "Łukasz Żółć", "王小明", "Søren Ødegård"],
             "company_name": ["Café Électronique 🚀 GmbH", "Łódź Komponenty Sp. z o.o.", "深圳市电子有限公司",
                              "Müller & Söhne ⚡"],
             "city": ["北京市", "São Paulo", "Łódź", "Zürich", "München"]}
NON_ASCII_DEFAULT = ["Zoë Müller", "São Paulo ✓", "北京市电子", "Łódź", "Crème brûlée 🎉"]
SQL_LIKE = ["Robert'); DROP TABLE customers;--", "1 OR 1=1", "'; SELECT * FROM users; --", "\" OR \"\"=\"",
            "admin'--"]
FUTURE = dt.datetime(2031, 6, 15, 12, 0, tzinfo=UTC)
# Personal data a person types into free text: (kind, what is appended to the value, the part that must never
# reach a mart). {n} numbers the plants, so each planted value can be traced.
PERSONAL_DATA = (("email", "write to {value}", "jane.doe.{n}@example.org"),
                 ("phone", "call {value}", "+44 20 7946 0{n:03d}"),
                 ("card", "charged on card {value}", "4111 1111 1111 {n:04d}"))
PERSONAL_DATA_PER_KIND = 2  # rows per free-text column and kind


def _key_str(tdef_key: tuple[str, ...], row: dict) -> str | None:
    vals = []
    for k in tdef_key:
        v = row[k]
        if v is None or v == "":
            return None
        vals.append(v.isoformat() if isinstance(v, dt.date) and not isinstance(v, dt.datetime) else str(v))
    return "|".join(vals)


@dataclass
class _Batch:
    """One table batch being faulted: which table, its fault spec and key, and the rows the faults add (cloned
    under a fresh key) or put in place of a clean row (kept faults, corrected re-deliveries)."""

    table: str  # qualified name, e.g. shop.orders
    spec: FaultSpec
    key: tuple[str, ...]
    added: list[dict] = field(default_factory=list)
    replaced_index: list[int] = field(default_factory=list)
    replaced_rows: list[dict] = field(default_factory=list)


def _applicable_faults(spec: FaultSpec) -> list[tuple[str, object]]:
    """The fault types a table gets, in the order rows are assigned to them: (fault type, column or column and
    bad value, None when the type needs none)."""
    faults: list[tuple[str, object]] = [("missing_key", None)]
    if spec.unparseable:
        faults.append(("unparseable_timestamp", None))
    if spec.event:
        faults.append(("future_timestamp", None))
    if spec.currency:
        faults.append(("unknown_currency", None))
    faults += [("invalid_code", c) for c in spec.codes]
    faults += [("invalid_quantity", c) for c in spec.quantity]
    faults += [("invalid_amount", c) for c in spec.amount]
    faults += [("value_too_long", c) for c in spec.text]
    faults += [("orphan_reference", c) for c in spec.orphans]
    faults += [("duplicate_identical", None), ("duplicate_conflicting", None)]
    faults += [("malformed_email", c) for c in spec.email]
    if spec.text:
        faults += [("non_ascii", None), ("sql_like", None)]
    if spec.late:
        faults.append(("late_arrival", None))
    if spec.orphan_customer:
        faults.append(("orphan_customer", None))
    return faults


def _faults_per_type(n_rows: int, n_candidates: int, n_types: int) -> int:
    """Rows of each fault type in a batch: 0.5% of its rows (at least two), one or two in a batch under 400 rows,
    fewer when there are not enough rows free to fault."""
    per_type = max(2, int(round(n_rows * 0.005)))
    if n_rows < 400:
        per_type = max(1, min(2, int(n_rows * 0.1 / n_types) or 1))
    if n_candidates < per_type * n_types:
        per_type = max(1, n_candidates // n_types)
    return per_type


class FaultInjector:
    """Injects faults into table batches and keeps the answer-key records."""

    def __init__(self, rng: np.random.Generator, enabled: bool) -> None:
        self.rng = rng
        self.enabled = enabled
        self.rows: list[dict] = []
        self.fresh: dict[str, int] = {}
        self.plan: BlockPlan | None = None
        self.side_rows: dict[str, list[dict]] = {}

    def plan_block(self, tables: dict[str, pa.Table], protected_orders: set[str]) -> None:
        """Decide the cross-table row-rule faults of one customer block (see simulator.row_faults)."""
        self.plan = BlockPlan(self, tables, protected_orders) if self.enabled else None

    def side_tables(self) -> dict[str, pa.Table]:
        """Rows that cannot be written under the table's usual Parquet types (an int64 quantity): each table's
        own extra file, whose integer columns are int64."""
        out = {}
        for q, rows in self.side_rows.items():
            schema = pa.schema([pa.field(f.name, pa.int64() if pa.types.is_integer(f.type) else f.type)
                                for f in TABLES[q].schema])
            out[q] = pa.Table.from_pylist(rows, schema=schema)
        return out

    def _record_row(self, q: str, row: dict, ftype: str, action: str, reason: str | None, detail: str) -> None:
        self._record(q, _key_str(TABLES[q].key, row), ftype, action, reason, detail)

    def _freshen(self, q: str, row: dict) -> None:
        """Give a cloned row a key no other row has."""
        spec = SPECS[q]
        key = TABLES[q].key
        if spec.fresh is not None:
            row[key[0]] = self._fresh_key(q)
        elif key[0] in ("rate_date", "total_date"):
            k = self.fresh.get(q, 0) + 1
            self.fresh[q] = k
            row[key[0]] = dt.date(2019, 1, 1) + dt.timedelta(days=k)

    def _fresh_key(self, q: str) -> str:
        spec = SPECS[q]
        prefix, width = spec.fresh  # type: ignore[misc]
        n = self.fresh.get(q, 0) + 1
        self.fresh[q] = n
        return f"{prefix}9{n:0{width - 1}d}"

    def _record(self, q: str, key: str | None, ftype: str, action: str, reason: str | None, detail: str) -> None:
        system, table = q.split(".")
        self.rows.append({"source_system": system, "source_table": table, "row_key": key, "fault_type": ftype,
                          "expected_action": action, "expected_reason": reason, "detail": detail})

    def apply(self, q: str, table: pa.Table, protected: np.ndarray | None) -> pa.Table:
        """Return the batch with faults injected (unchanged when faults are disabled)."""
        if not self.enabled or table.num_rows == 0:
            return table
        tdef = TABLES[q]
        spec = SPECS[q]
        if q == "reference.fx_rates":
            table = drop_fx_gaps(self, table)
            protected = None
        if self.plan is not None:
            base = np.zeros(table.num_rows, bool) if protected is None else np.asarray(protected, dtype=bool)
            table, stay, planted = self.plan.apply(q, table)
            protected = np.concatenate([base[stay], np.ones(planted, bool)])
        n = table.num_rows
        candidates = np.arange(n) if protected is None else np.flatnonzero(~np.asarray(protected, dtype=bool))
        faults = _applicable_faults(spec)
        per_type = _faults_per_type(n, len(candidates), len(faults))
        chosen = self.rng.choice(candidates, size=min(per_type * len(faults), len(candidates)), replace=False)
        chosen.sort()
        picks = self.rng.permutation(chosen)
        clean_rows = table.take(pa.array(picks)).to_pylist()
        batch = _Batch(q, spec, tdef.key)
        one_per_row = [fault for fault in faults for _ in range(per_type)]
        for position, (fault_type, arg) in enumerate(one_per_row[:len(clean_rows)]):
            self._inject(batch, fault_type, arg, dict(clean_rows[position]), int(picks[position]))
        if spec.free_text:
            self._plant_personal_data(batch, table, np.setdiff1d(candidates, chosen))
        added = batch.added
        added += plant_numbers(self, q, table, candidates, lambda r: self._freshen(q, r))
        if spec.fresh is not None or tdef.key[0] in ("rate_date", "total_date"):
            added += plant_future_load(self, q, table, candidates, lambda r: self._freshen(q, r))
        if batch.replaced_index:
            keep = np.ones(n, bool)
            keep[batch.replaced_index] = False
            table = table.filter(pa.array(keep))
            added = batch.replaced_rows + added
        if added:
            table = pa.concat_tables([table, pa.Table.from_pylist(added, schema=tdef.schema)])
        return table

    def _inject(self, batch: _Batch, fault_type: str, arg: object, row: dict, row_index: int) -> None:
        """Put one fault of `fault_type` into a copy of clean row `row_index`; `arg` is the column it affects
        (or the column and its bad value, or the column and an id prefix) when the type needs one."""
        inject = {
            "missing_key": self._missing_key, "unparseable_timestamp": self._unparseable_timestamp,
            "future_timestamp": self._future_timestamp, "unknown_currency": self._unknown_currency,
            "invalid_code": self._invalid_code, "invalid_quantity": self._invalid_quantity,
            "invalid_amount": self._invalid_amount, "value_too_long": self._value_too_long,
            "orphan_reference": self._orphan_reference, "duplicate_identical": self._duplicate_identical,
            "duplicate_conflicting": self._duplicate_conflicting, "malformed_email": self._malformed_email,
            "non_ascii": self._non_ascii, "sql_like": self._sql_like, "late_arrival": self._late_arrival,
            "orphan_customer": self._orphan_customer,
        }[fault_type]
        inject(batch, arg, row, row_index)

    def _quarantine(self, batch: _Batch, fault_type: str, row: dict, reason: str, detail: str) -> None:
        """Add `row` to the batch as a row staging must quarantine for `reason`."""
        batch.added.append(row)
        self._record(batch.table, _key_str(batch.key, row), fault_type, "quarantine", reason, detail)

    def _missing_key(self, batch: _Batch, arg: object, row: dict, row_index: int) -> None:
        """A copy whose key (the last column of a composite key) is empty or NULL."""
        composite = batch.spec.fresh is None
        column = batch.key[-1] if composite else batch.key[0]
        self._freshen(batch.table, row)
        row[column] = "" if self.rng.random() < 0.5 and column != "total_date" and column != "rate_date" else None
        if composite and column == batch.key[-1] and batch.table in ("reference.fx_rates", "loyalty.daily_totals"):
            row[column] = None
        self._quarantine(batch, "missing_key", row, "missing_key",
                         f"{column} is {'empty' if row[column] == '' else 'NULL'}")

    def _unparseable_timestamp(self, batch: _Batch, arg: object, row: dict, row_index: int) -> None:
        """A copy whose event time is text no parser reads as a time."""
        event = batch.spec.event
        self._freshen(batch.table, row)
        row[event] = BAD_TIMESTAMPS[int(self.rng.integers(len(BAD_TIMESTAMPS)))]
        self._quarantine(batch, "unparseable_timestamp", row, "unparseable_timestamp", f"{event} = {row[event]!r}")

    def _future_timestamp(self, batch: _Batch, arg: object, row: dict, row_index: int) -> None:
        """A copy whose event happens in 2031, after it was loaded."""
        event = batch.spec.event
        self._freshen(batch.table, row)
        if batch.spec.fresh is None:
            k = self.fresh.get(batch.table, 0) + 1
            self.fresh[batch.table] = k
            row["source_customer_id"] = f"C9{k:07d}"
        if batch.table == "shop.orders":
            row[event] = "2031-06-15T12:00:00" + row["placed_at"][-6:]
        else:
            row[event] = FUTURE + dt.timedelta(days=int(self.rng.integers(0, 200)))
        self._quarantine(batch, "future_timestamp", row, "future_timestamp",
                         f"{event} later than loaded_at ({row[event]})")

    def _unknown_currency(self, batch: _Batch, arg: object, row: dict, row_index: int) -> None:
        """A copy in a currency code that does not exist (or none)."""
        self._freshen(batch.table, row)
        bad = BAD_CURRENCIES[int(self.rng.integers(len(BAD_CURRENCIES)))]
        if batch.table == "reference.fx_rates" and bad == "":
            bad = "XYZ"
        row["currency_code"] = bad
        self._quarantine(batch, "unknown_currency", row, "unknown_currency", f"currency_code = {bad!r}")

    def _invalid_code(self, batch: _Batch, column: str, row: dict, row_index: int) -> None:
        """A copy with a code outside the column's accepted values."""
        self._freshen(batch.table, row)
        bad = BAD_CODES[int(self.rng.integers(len(BAD_CODES)))]
        row[column] = bad
        self._quarantine(batch, "invalid_code", row, "invalid_code", f"{column} = {bad!r}")

    def _invalid_quantity(self, batch: _Batch, column: str, row: dict, row_index: int) -> None:
        """A copy with a negative or zero quantity (stock is never zero here: only negative)."""
        self._freshen(batch.table, row)
        row[column] = int(-self.rng.integers(1, 50)) if column == "stock_quantity" or self.rng.random() < 0.5 else 0
        self._quarantine(batch, "invalid_quantity", row, "invalid_quantity", f"{column} = {row[column]}")

    def _invalid_amount(self, batch: _Batch, arg: tuple[str, float], row: dict, row_index: int) -> None:
        """A copy with an impossible amount (the spec's bad value); a won amount on a 'won' event."""
        column, bad = arg
        self._freshen(batch.table, row)
        if column == "won_amount":
            row["event_type"] = "won"
        row[column] = bad
        self._quarantine(batch, "invalid_amount", row, "invalid_amount", f"{column} = {bad}")

    def _value_too_long(self, batch: _Batch, column: str, row: dict, row_index: int) -> None:
        """A copy with 5,000 characters of text in a column."""
        self._freshen(batch.table, row)
        row[column] = ("Lorem ipsum dolor sit amet " * 200)[:5000]
        self._quarantine(batch, "value_too_long", row, "value_too_long", f"{column} has 5000 characters")

    def _orphan_reference(self, batch: _Batch, arg: tuple[str, str], row: dict, row_index: int) -> None:
        """A copy referring to an id that exists nowhere."""
        column, prefix = arg
        self._freshen(batch.table, row)
        row[column] = f"{prefix}8{int(self.rng.integers(1, 10**6)):06d}"
        self._quarantine(batch, "orphan_reference", row, "orphan_reference", f"{column} = {row[column]} does not exist")

    def _duplicate_identical(self, batch: _Batch, arg: object, row: dict, row_index: int) -> None:
        """The same row delivered twice."""
        self._quarantine(batch, "duplicate_identical", dict(row), "duplicate_key",
                         "exact copy of the row delivered twice")

    def _duplicate_conflicting(self, batch: _Batch, arg: object, row: dict, row_index: int) -> None:
        """An earlier delivery of the row under the same key with one value different; the corrected row is
        re-delivered 1 to 5 days later (at most at the export) and wins."""
        column, kind = batch.spec.conflict
        copy = dict(row)
        old = copy[column]
        if kind == "num":
            copy[column] = round(float(old) * 1.1 + 1, 2)
        elif kind == "int":
            copy[column] = int(old) + 1
        elif kind == "bool":
            copy[column] = not old
        elif kind == "text":
            copy[column] = f"{old} (old)"
        elif kind == "ts":
            copy[column] = old - dt.timedelta(hours=1)
        elif kind == "choice":
            options = [c for c in CHOICES[column] if c != old]
            copy[column] = options[int(self.rng.integers(len(options)))]
        days = int(self.rng.integers(1, 6))
        row["loaded_at"] = later(row["loaded_at"], dt.timedelta(days=days))  # corrected re-delivery wins
        if row["loaded_at"] <= copy["loaded_at"]:  # already loaded at the export: the copy came earlier
            copy["loaded_at"] = copy["loaded_at"] - dt.timedelta(days=days)
        batch.replaced_index.append(row_index)
        batch.replaced_rows.append(row)
        self._quarantine(batch, "duplicate_conflicting", copy, "duplicate_key",
                         f"earlier delivery ({days} d before the winning row) had {column} = {old!r} -> "
                         f"{copy[column]!r}; the latest loaded_at wins")

    def _malformed_email(self, batch: _Batch, column: str, row: dict, row_index: int) -> None:
        """The row with a malformed e-mail address, kept."""
        row[column] = BAD_EMAILS[int(self.rng.integers(len(BAD_EMAILS)))]
        self._keep(batch, row, row_index, "malformed_email", f"{column} = {row[column]!r}")

    def _non_ascii(self, batch: _Batch, arg: object, row: dict, row_index: int) -> None:
        """The row with accented, CJK or emoji text in its first text column, kept."""
        column = batch.spec.text[0]
        values = NON_ASCII.get(column, NON_ASCII_DEFAULT)
        row[column] = values[int(self.rng.integers(len(values)))]
        self._keep(batch, row, row_index, "non_ascii", f"{column} = {row[column]!r}")

    def _sql_like(self, batch: _Batch, arg: object, row: dict, row_index: int) -> None:
        """The row with SQL-injection-like text in its first text column, kept."""
        column = batch.spec.text[0]
        row[column] = SQL_LIKE[int(self.rng.integers(len(SQL_LIKE)))]
        self._keep(batch, row, row_index, "sql_like", f"{column} = {row[column]!r}")

    def _late_arrival(self, batch: _Batch, arg: object, row: dict, row_index: int) -> None:
        """The row loaded 10 to 90 days later than usual (at most at the export), kept."""
        days = int(self.rng.integers(10, 91))
        row["loaded_at"] = later(row["loaded_at"], dt.timedelta(days=days))
        self._keep(batch, row, row_index, "late_arrival",
                   f"loaded {days} days after the usual delay (at most at the export)")

    def _orphan_customer(self, batch: _Batch, arg: object, row: dict, row_index: int) -> None:
        """A copy by a customer the shop and the crosswalk do not know, kept."""
        self._freshen(batch.table, row)
        row["customer_id"] = f"C8{int(self.rng.integers(1, 10**7)):07d}"
        batch.added.append(row)
        self._record(batch.table, _key_str(batch.key, row), "orphan_customer", "keep", None,
                     f"customer_id {row['customer_id']} is in neither shop.customers nor the crosswalk")

    def _plant_personal_data(self, batch: _Batch, table: pa.Table, free_rows: np.ndarray) -> None:
        """Type an e-mail address, a phone number and a card number into each free-text column of a few clean
        rows (not chosen for another fault; picked without the random generator, so every other fault stays
        where it was). The row stays; staging must mask what was typed (detail: `<column>: <kind> <value>`)."""
        plants = [(col, kind) for col in batch.spec.free_text for kind, _, _ in PERSONAL_DATA
                  for _ in range(PERSONAL_DATA_PER_KIND)]
        if not len(free_rows):
            return
        picks = np.unique(free_rows[np.linspace(0, len(free_rows) - 1, len(plants)).round().astype(int)])
        templates = {kind: (text, value) for kind, text, value in PERSONAL_DATA}
        for row_index, (col, kind) in zip(picks, plants, strict=False):
            row = table.slice(int(row_index), 1).to_pylist()[0]
            n = self.fresh.get("personal_data", 0) + 1
            self.fresh["personal_data"] = n
            text, value = templates[kind]
            value = value.format(n=n)
            row[col] = f"{row[col] or ''} {text.format(value=value)}".strip()
            self._keep(batch, row, int(row_index), "personal_data_in_text", f"{col}: {kind} {value}")

    def _keep(self, batch: _Batch, row: dict, row_index: int, fault_type: str, detail: str) -> None:
        """Put the edited `row` in place of clean row `row_index`: staging keeps it."""
        batch.replaced_index.append(row_index)
        batch.replaced_rows.append(row)
        self._record(batch.table, _key_str(batch.key, row), fault_type, "keep", None, detail)

    def records(self) -> pa.Table:
        """The answer key of all injected faults (empty when disabled)."""
        return pa.Table.from_pylist(self.rows, schema=FAULT_SCHEMA)
