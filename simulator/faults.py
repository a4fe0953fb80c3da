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
        rng = self.rng
        if q == "reference.fx_rates":
            table = drop_fx_gaps(self, table)
            protected = None
        if self.plan is not None:
            base = np.zeros(table.num_rows, bool) if protected is None else np.asarray(protected, dtype=bool)
            table, stay, planted = self.plan.apply(q, table)
            protected = np.concatenate([base[stay], np.ones(planted, bool)])
        n = table.num_rows
        cand = np.arange(n) if protected is None else np.flatnonzero(~np.asarray(protected, dtype=bool))
        # fault types applicable to this table: (name, in_place)
        types: list[tuple[str, object]] = [("missing_key", None)]
        if spec.unparseable:
            types.append(("unparseable_timestamp", None))
        if spec.event:
            types.append(("future_timestamp", None))
        if spec.currency:
            types.append(("unknown_currency", None))
        types += [("invalid_code", c) for c in spec.codes]
        types += [("invalid_quantity", c) for c in spec.quantity]
        types += [("invalid_amount", c) for c in spec.amount]
        types += [("value_too_long", c) for c in spec.text]
        types += [("orphan_reference", c) for c in spec.orphans]
        types += [("duplicate_identical", None), ("duplicate_conflicting", None)]
        types += [("malformed_email", c) for c in spec.email]
        if spec.text:
            types += [("non_ascii", None), ("sql_like", None)]
        if spec.late:
            types.append(("late_arrival", None))
        if spec.orphan_customer:
            types.append(("orphan_customer", None))
        per_type = max(2, int(round(n * 0.005)))
        if n < 400:
            per_type = max(1, min(2, int(n * 0.1 / len(types)) or 1))
        need = per_type * len(types)
        if len(cand) < need:
            per_type = max(1, len(cand) // len(types))
            need = per_type * len(types)
        chosen = rng.choice(cand, size=min(need, len(cand)), replace=False)
        chosen.sort()
        picks = rng.permutation(chosen)
        base_rows = table.take(pa.array(picks)).to_pylist()
        extra: list[dict] = []
        replaced_idx: list[int] = []
        replaced_rows: list[dict] = []
        key = tdef.key
        pos = 0
        for ftype, arg in types:
            for _ in range(per_type):
                if pos >= len(base_rows):
                    break
                row = dict(base_rows[pos])
                ridx = int(picks[pos])
                pos += 1
                self._one(q, spec, key, ftype, arg, row, ridx, extra, replaced_idx, replaced_rows)
        if spec.free_text:
            self._plant_personal_data(q, spec, key, table, np.setdiff1d(cand, chosen), replaced_idx, replaced_rows)
        extra += plant_numbers(self, q, table, cand, lambda r: self._freshen(q, r))
        if spec.fresh is not None or key[0] in ("rate_date", "total_date"):
            extra += plant_future_load(self, q, table, cand, lambda r: self._freshen(q, r))
        if replaced_idx:
            keep = np.ones(n, bool)
            keep[replaced_idx] = False
            table = table.filter(pa.array(keep))
            extra = replaced_rows + extra
        if extra:
            table = pa.concat_tables([table, pa.Table.from_pylist(extra, schema=tdef.schema)])
        return table

    def _one(self, q: str, spec: FaultSpec, key: tuple[str, ...], ftype: str, arg: object, row: dict, ridx: int,
             extra: list, replaced_idx: list, replaced_rows: list) -> None:
        rng = self.rng
        composite = spec.fresh is None

        def fresh(r: dict) -> None:
            if not composite:
                r[key[0]] = self._fresh_key(q)
            elif key[0] in ("rate_date", "total_date"):  # a date outside the delivered range
                k = self.fresh.get(q, 0) + 1
                self.fresh[q] = k
                r[key[0]] = dt.date(2019, 1, 1) + dt.timedelta(days=k)

        def quarantine(r: dict, reason: str, detail: str, ft: str | None = None) -> None:
            extra.append(r)
            self._record(q, _key_str(key, r), ft or ftype, "quarantine", reason, detail)

        if ftype == "missing_key":
            col = key[-1] if composite else key[0]
            fresh(row)
            row[col] = "" if rng.random() < 0.5 and col != "total_date" and col != "rate_date" else None
            if composite and col == key[-1] and q in ("reference.fx_rates", "loyalty.daily_totals"):
                row[col] = None
            quarantine(row, "missing_key", f"{col} is {'empty' if row[col] == '' else 'NULL'}")
        elif ftype == "unparseable_timestamp":
            fresh(row)
            row[spec.event] = BAD_TIMESTAMPS[int(rng.integers(len(BAD_TIMESTAMPS)))]
            quarantine(row, "unparseable_timestamp", f"{spec.event} = {row[spec.event]!r}")
        elif ftype == "future_timestamp":
            fresh(row)
            if composite:
                k = self.fresh.get(q, 0) + 1
                self.fresh[q] = k
                row["source_customer_id"] = f"C9{k:07d}"
            if q == "shop.orders":
                row[spec.event] = "2031-06-15T12:00:00" + row["placed_at"][-6:]
            else:
                row[spec.event] = FUTURE + dt.timedelta(days=int(rng.integers(0, 200)))
            quarantine(row, "future_timestamp", f"{spec.event} later than loaded_at ({row[spec.event]})")
        elif ftype == "unknown_currency":
            fresh(row)
            bad = BAD_CURRENCIES[int(rng.integers(len(BAD_CURRENCIES)))]
            if q == "reference.fx_rates" and bad == "":
                bad = "XYZ"
            row["currency_code"] = bad
            quarantine(row, "unknown_currency", f"currency_code = {bad!r}")
        elif ftype == "invalid_code":
            fresh(row)
            bad = BAD_CODES[int(rng.integers(len(BAD_CODES)))]
            row[arg] = bad
            quarantine(row, "invalid_code", f"{arg} = {bad!r}")
        elif ftype == "invalid_quantity":
            fresh(row)
            row[arg] = int(-rng.integers(1, 50)) if arg == "stock_quantity" or rng.random() < 0.5 else 0
            quarantine(row, "invalid_quantity", f"{arg} = {row[arg]}")
        elif ftype == "invalid_amount":
            col, bad = arg  # type: ignore[misc]
            fresh(row)
            if col == "won_amount":
                row["event_type"] = "won"
            row[col] = bad
            quarantine(row, "invalid_amount", f"{col} = {bad}")
        elif ftype == "value_too_long":
            fresh(row)
            row[arg] = ("Lorem ipsum dolor sit amet " * 200)[:5000]
            quarantine(row, "value_too_long", f"{arg} has 5000 characters")
        elif ftype == "orphan_reference":
            col, prefix = arg  # type: ignore[misc]
            fresh(row)
            row[col] = f"{prefix}8{int(rng.integers(1, 10**6)):06d}"
            quarantine(row, "orphan_reference", f"{col} = {row[col]} does not exist")
        elif ftype == "duplicate_identical":
            quarantine(dict(row), "duplicate_key", "exact copy of the row delivered twice")
        elif ftype == "duplicate_conflicting":
            col, kind = spec.conflict
            copy = dict(row)
            old = copy[col]
            if kind == "num":
                copy[col] = round(float(old) * 1.1 + 1, 2)
            elif kind == "int":
                copy[col] = int(old) + 1
            elif kind == "bool":
                copy[col] = not old
            elif kind == "text":
                copy[col] = f"{old} (old)"
            elif kind == "ts":
                copy[col] = old - dt.timedelta(hours=1)
            elif kind == "choice":
                opts = [c for c in CHOICES[col] if c != old]
                copy[col] = opts[int(rng.integers(len(opts)))]
            days = int(rng.integers(1, 6))
            row["loaded_at"] = later(row["loaded_at"], dt.timedelta(days=days))  # corrected re-delivery wins
            if row["loaded_at"] <= copy["loaded_at"]:  # already loaded at the export: the copy came earlier
                copy["loaded_at"] = copy["loaded_at"] - dt.timedelta(days=days)
            replaced_idx.append(ridx)
            replaced_rows.append(row)
            quarantine(copy, "duplicate_key", f"earlier delivery ({days} d before the winning row) had "
                       f"{col} = {old!r} -> {copy[col]!r}; the latest loaded_at wins")
        elif ftype == "malformed_email":
            row[arg] = BAD_EMAILS[int(rng.integers(len(BAD_EMAILS)))]
            self._keep(q, key, row, ridx, ftype, f"{arg} = {row[arg]!r}", replaced_idx, replaced_rows)
        elif ftype == "non_ascii":
            col = spec.text[0]
            vals = NON_ASCII.get(col, NON_ASCII_DEFAULT)
            row[col] = vals[int(rng.integers(len(vals)))]
            self._keep(q, key, row, ridx, ftype, f"{col} = {row[col]!r}", replaced_idx, replaced_rows)
        elif ftype == "sql_like":
            col = spec.text[0]
            row[col] = SQL_LIKE[int(rng.integers(len(SQL_LIKE)))]
            self._keep(q, key, row, ridx, ftype, f"{col} = {row[col]!r}", replaced_idx, replaced_rows)
        elif ftype == "late_arrival":
            days = int(rng.integers(10, 91))
            row["loaded_at"] = later(row["loaded_at"], dt.timedelta(days=days))
            self._keep(q, key, row, ridx, ftype, f"loaded {days} days after the usual delay (at most at the export)",
                       replaced_idx, replaced_rows)
        elif ftype == "orphan_customer":
            fresh(row)
            row["customer_id"] = f"C8{int(rng.integers(1, 10**7)):07d}"
            extra.append(row)
            self._record(q, _key_str(key, row), ftype, "keep", None,
                         f"customer_id {row['customer_id']} is in neither shop.customers nor the crosswalk")

    def _plant_personal_data(self, q: str, spec: FaultSpec, key: tuple[str, ...], table: pa.Table,
                             free_rows: np.ndarray, replaced_idx: list, replaced_rows: list) -> None:
        """Type an e-mail address, a phone number and a card number into each free-text column of a few clean
        rows (not chosen for another fault; picked without the random generator, so every other fault stays
        where it was). The row stays; staging must mask what was typed (detail: `<column>: <kind> <value>`)."""
        plants = [(col, kind) for col in spec.free_text for kind, _, _ in PERSONAL_DATA
                  for _ in range(PERSONAL_DATA_PER_KIND)]
        if not len(free_rows):
            return
        picks = np.unique(free_rows[np.linspace(0, len(free_rows) - 1, len(plants)).round().astype(int)])
        templates = {kind: (text, value) for kind, text, value in PERSONAL_DATA}
        for ridx, (col, kind) in zip(picks, plants, strict=False):
            row = table.slice(int(ridx), 1).to_pylist()[0]
            n = self.fresh.get("personal_data", 0) + 1
            self.fresh["personal_data"] = n
            text, value = templates[kind]
            value = value.format(n=n)
            row[col] = f"{row[col] or ''} {text.format(value=value)}".strip()
            self._keep(q, key, row, int(ridx), "personal_data_in_text", f"{col}: {kind} {value}", replaced_idx,
                       replaced_rows)

    def _keep(self, q: str, key: tuple[str, ...], row: dict, ridx: int, ftype: str, detail: str,
              replaced_idx: list, replaced_rows: list) -> None:
        replaced_idx.append(ridx)
        replaced_rows.append(row)
        self._record(q, _key_str(key, row), ftype, "keep", None, detail)

    def records(self) -> pa.Table:
        """The answer key of all injected faults (empty when disabled)."""
        return pa.Table.from_pylist(self.rows, schema=FAULT_SCHEMA)
