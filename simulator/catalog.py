"""Product catalogue (shop.products) and campaign calendar (marketing.campaigns, promotions.lottery_prizes)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from simulator.common import (
    CATEGORIES,
    CATEGORY_PRICE,
    COMPETITOR_BRANDS,
    END_US,
    OWN_BRAND,
    OWN_MANUFACTURER,
    START_US,
    US_PER_DAY,
    US_PER_SEC,
    ids,
    load_lag_us,
    strs,
    ts,
)
from simulator.profiles import Profile
from simulator.schema import TABLES

THIRD_PARTY_MANUFACTURERS = ["Yageo", "Murata", "TE Connectivity", "Vishay", "Omron", "Bourns"]
SUPPLIERS = ["Helios Components", "Eastbridge Trading", "Global Parts Supply", "Suntek Supply", "Arrowline"]
SPEC_WORDS = {
    "connectors": ["2.54mm header 40P", "USB-C receptacle", "RJ45 jack", "JST-XH 4P", "M12 circular 8P"],
    "capacitors": ["100nF 50V X7R 0603", "10uF 25V 0805", "470uF 35V electrolytic", "1nF C0G 0402"],
    "resistors": ["10k 1% 0603", "4.7k 0.1% 0805", "100R 1W", "1M 5% 0402"],
    "ics": ["STM32-class MCU", "LDO 3.3V 1A", "RS-485 transceiver", "op-amp dual", "buck converter 3A"],
    "sensors": ["temperature sensor I2C", "hall effect sensor", "pressure sensor 10bar", "IMU 6-axis"],
    "relays": ["signal relay 5V", "power relay 24V 16A", "solid state relay 40A", "reed relay"],
    "inductors": ["10uH 3A shielded", "ferrite bead 600R", "common mode choke"],
    "diodes": ["Schottky 40V 1A", "TVS 5V", "Zener 3.3V", "LED red 0603"],
    "transistors": ["N-MOSFET 60V 30A", "NPN 45V 0.1A", "P-MOSFET -30V", "IGBT 650V"],
    "switches": ["tactile switch 6x6", "DIP switch 8P", "rocker switch 16A", "slide switch SPDT"],
}


@dataclass
class Catalog:
    """Products with their list prices in USD."""

    n: int
    product_id: pa.Array
    category_idx: np.ndarray
    is_own: np.ndarray
    brand: np.ndarray
    list_usd: np.ndarray
    popularity: np.ndarray  # cumulative popularity for sampling


def build_catalog(rng: np.random.Generator, profile: Profile) -> tuple[Catalog, pa.Table]:
    """Electronic components: ~40% own brand, the rest from competitor brands and third parties."""
    n = profile.products
    cat = rng.integers(0, len(CATEGORIES), n)
    kind = rng.random(n)
    is_own = kind < 0.4
    comp = (kind >= 0.4) & (kind < 0.8)
    brand = np.where(is_own, OWN_BRAND, "").astype(object)
    brand[comp] = np.array(COMPETITOR_BRANDS, dtype=object)[rng.integers(0, len(COMPETITOR_BRANDS), comp.sum())]
    third = ~is_own & ~comp
    tp = np.array(THIRD_PARTY_MANUFACTURERS, dtype=object)[rng.integers(0, len(THIRD_PARTY_MANUFACTURERS),
                                                                        third.sum())]
    brand[third] = tp
    manufacturer = brand.copy()
    manufacturer[is_own] = OWN_MANUFACTURER
    manufacturer[comp] = brand[comp] + " Industries"
    supplier = np.array(SUPPLIERS, dtype=object)[rng.integers(1, len(SUPPLIERS), n)]
    supplier[is_own] = SUPPLIERS[0]
    list_usd = np.round(CATEGORY_PRICE[cat] * rng.lognormal(0, 0.7, n), 2).clip(0.01)
    cats = np.array(CATEGORIES, dtype=object)[cat]
    spec = np.array([SPEC_WORDS[c][rng.integers(0, len(SPEC_WORDS[c]))] for c in cats], dtype=object)
    pid = ids("P", np.arange(1, n + 1), 6)
    sku = np.array([f"{b[:3].upper()}-{c[:3].upper()}-{i:06d}" for i, (b, c) in enumerate(zip(brand, cats,
                                                                                             strict=True))],
                   dtype=object)
    name = brand + " " + spec
    pop = rng.pareto(1.2, n) + 0.05
    cat_obj = Catalog(n, pid, cat, is_own, brand, list_usd, np.cumsum(pop) / pop.sum())
    loaded = START_US + load_lag_us(rng, n)
    table = pa.table([pid, strs(sku), strs(name), strs(cats), strs(manufacturer), strs(brand), pa.array(is_own),
                      strs(supplier), pa.array(list_usd), strs(np.full(n, "USD", dtype=object)), ts(loaded)],
                     schema=TABLES["shop.products"].schema)
    return cat_obj, table


# Planted campaign lift (answer key truth/campaign_lift.parquet): during a campaign of these types every ordinary
# customer of the group it reaches who signed up before it and is still active places Poisson(rate) extra orders in
# its window; the rest of the base is not reached. Loyalty-member campaigns reach loyalty members; shop-wide offers
# (lotteries, gifts, contests) are announced by outreach, so they reach the customers who did not opt out of it.
# Recharge bonuses are planted with no effect.
PLANTED_EXTRA_ORDERS_PER_CUSTOMER = {"points_multiplier": 0.25, "recharge_bonus": 0.0, "lottery": 0.15,
                                     "full_amount_gift": 0.12, "ranking_contest": 0.05}
REACHED_GROUP = {"points_multiplier": "loyalty_members", "recharge_bonus": "loyalty_members",
                 "lottery": "outreach_customers", "full_amount_gift": "outreach_customers",
                 "ranking_contest": "outreach_customers"}

# Planted first-order-offer lift: an ordinary customer who signs up during a welcome offer and would not have
# bought within eight days of signing up is converted with this probability: the code brings an extra first order
# within three days of signing up, and the customer's own orders follow unchanged (so each converted customer is
# one extra new customer — a sign-up buying within a week — and one extra order). The 10% codes have no effect.
PLANTED_FIRST_ORDER_CONVERSION = {"WELCOME10": 0.0, "HELLO10": 0.0, "NEWBIE10": 0.0, "NEWBIE15": 0.25,
                                  "FIRST20": 0.3, "WELCOME15": 0.25, "START20": 0.3, "FIRST15": 0.25}
FIRST_ORDER_GAP_DAYS = 30  # days between welcome offers, without a code: the baseline of their measurement

FIRST_ORDER_CODES = ["WELCOME10", "NEWBIE15", "FIRST20", "HELLO10", "WELCOME15", "START20", "NEWBIE10",
                     "FIRST15"]


@dataclass
class Campaigns:
    """Campaign calendar with lookup arrays for the types that drive customer behaviour."""

    table: pa.Table
    campaign_id: np.ndarray
    ctype: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    code: np.ndarray
    discount_pct: np.ndarray

    @property
    def planted_rate(self) -> np.ndarray:
        """Planted extra orders per reached customer for each campaign; nan where no lift is planted."""
        return np.array([PLANTED_EXTRA_ORDERS_PER_CUSTOMER.get(t, np.nan) for t in self.ctype])

    @property
    def reached_group(self) -> np.ndarray:
        """The group of customers each campaign's planted lift reaches (see REACHED_GROUP); None for others."""
        return np.array([REACHED_GROUP.get(t) for t in self.ctype], dtype=object)

    @property
    def planted_conversion(self) -> np.ndarray:
        """Planted conversion probability of each first-order offer (see PLANTED_FIRST_ORDER_CONVERSION); nan
        for other campaigns."""
        return np.array([PLANTED_FIRST_ORDER_CONVERSION.get(c, np.nan) if t == "first_order_discount" else np.nan
                         for t, c in zip(self.ctype, self.code, strict=True)])

    def next_start(self, ctype: str, t_us: np.ndarray) -> np.ndarray:
        """Start of the next campaign of this type after each instant; END_US + 1 if none."""
        starts = np.sort(self.starts[self.ctype == ctype])
        i = np.searchsorted(starts, t_us, side="right")
        return np.where(i < len(starts), starts[np.minimum(i, len(starts) - 1)], END_US + 1)

    def active(self, ctype: str, t_us: np.ndarray) -> np.ndarray:
        """Index of the campaign of this type active at each instant, -1 if none."""
        out = np.full(len(t_us), -1, dtype=np.int64)
        for i in np.flatnonzero(self.ctype == ctype):
            out[(t_us >= self.starts[i]) & (t_us <= self.ends[i])] = i
        return out


def build_campaigns(rng: np.random.Generator) -> Campaigns:
    """Every campaign type each year: welcome codes, recharge tiers, point multipliers, lotteries, gifts, contests."""
    rows: list[tuple[str, str, str | None, int, int]] = []  # name, type, code, start day, length days
    code_i = 0
    for y in range(2):
        base = 365 * y
        yr = 2025 + y
        for q in range(4):
            code = FIRST_ORDER_CODES[code_i]
            code_i += 1
            # welcome offers leave a month without a code before each one, the baseline of their measurement
            length = (365 - 91 * 3 if q == 3 else 91) - FIRST_ORDER_GAP_DAYS
            rows.append((f"Welcome offer {code} {yr}Q{q + 1}", "first_order_discount", code,
                         base + 91 * q + FIRST_ORDER_GAP_DAYS, length))
            rows.append((f"Wallet recharge bonus {yr}-{q + 1}: pay 100 get 10, 300 get 50, 1000 get 200",
                         "recharge_bonus", None, base + 91 * q + 10, 60))
        # double-points weeks sit between the recharge-bonus windows, so no two loyalty-member campaigns overlap
        for k, d in enumerate([75, 165, 256]):
            rows.append((f"Double points week {yr}-{k + 1}", "points_multiplier", None, base + d, 21))
        for k, d in enumerate([35, 200]):
            rows.append((f"Lucky draw {yr}-{k + 1}", "lottery", None, base + d, 40))
        # gifts sit outside the lottery windows, so no two shop-wide offers overlap
        for k, d in enumerate([85, 290]):
            rows.append((f"Spend 500 get a free kit {yr}-{k + 1}", "full_amount_gift", None, base + d, 30))
        rows.append((f"Top buyer contest {yr}", "ranking_contest", None, base + 120, 60))
    n = len(rows)
    starts = np.array([START_US + r[3] * US_PER_DAY for r in rows], dtype=np.int64)
    ends = np.array([START_US + (r[3] + r[4]) * US_PER_DAY - US_PER_SEC for r in rows], dtype=np.int64)
    ends = np.minimum(ends, START_US + 730 * US_PER_DAY - 61 * US_PER_SEC)
    code = np.array([r[2] for r in rows], dtype=object)
    pct = np.array([int("".join(ch for ch in (c or "0") if ch.isdigit())) / 100 for c in code])
    ctype = np.array([r[1] for r in rows], dtype=object)
    cost = np.round(rng.uniform(2_000, 60_000, n), 2)
    cid = ids("CMP", np.arange(1, n + 1), 4)
    loaded = starts + load_lag_us(rng, n)
    table = pa.table([cid, strs(np.array([r[0] for r in rows], dtype=object)), strs(ctype),
                      strs(code), pa.array(cost), strs(np.full(n, "USD", dtype=object)), ts(starts), ts(ends),
                      ts(loaded)], schema=TABLES["marketing.campaigns"].schema)
    return Campaigns(table, np.array(cid.to_pylist(), dtype=object), ctype, starts, ends, code, pct)


PRIZES = [("Bench oscilloscope", 0.005, 450.0), ("Soldering station", 0.02, 120.0),
          ("Component starter kit", 0.05, 35.0), ("10 USD voucher", 0.10, 10.0)]


@dataclass
class Prizes:
    """Lottery prizes per lottery campaign; one prize is advertised but never drawn."""

    table: pa.Table
    prize_id: np.ndarray
    campaign_idx: np.ndarray
    odds: np.ndarray
    unfair: int  # index into prize arrays


def build_prizes(rng: np.random.Generator, camps: Campaigns, profile: Profile) -> Prizes:
    """Four prizes per lottery campaign with advertised per-draw odds and ample stock."""
    lot = np.flatnonzero(camps.ctype == "lottery")
    cidx = np.repeat(lot, len(PRIZES))
    n = len(cidx)
    names = np.array([p[0] for p in PRIZES] * len(lot), dtype=object)
    odds = np.array([p[1] for p in PRIZES] * len(lot))
    value = np.array([p[2] for p in PRIZES] * len(lot))
    expected_draws = profile.orders * 40 / 730 * 0.9
    stock = (np.ceil(expected_draws * odds * 1.5) + 5).astype(np.int32)
    pid = ids("PZ", np.arange(1, n + 1), 4)
    loaded = camps.starts[cidx] - 2 * US_PER_DAY + load_lag_us(rng, n)
    table = pa.table([pid, strs(camps.campaign_id[cidx]), strs(names), pa.array(odds), pa.array(stock),
                      pa.array(value), strs(np.full(n, "USD", dtype=object)), ts(loaded)],
                     schema=TABLES["promotions.lottery_prizes"].schema)
    unfair = int(np.flatnonzero(odds == 0.02)[0])
    return Prizes(table, np.array(pid.to_pylist(), dtype=object), cidx, odds, unfair)
