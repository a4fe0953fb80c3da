"""Customer population: shop accounts, golden records (mdm), CRM contacts, loyalty members, friends & family."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from simulator.common import (
    COMPANY_SUFFIX,
    COMPANY_WORDS_A,
    COMPANY_WORDS_B,
    COMPETITOR_BRANDS,
    COUNTRY_CODES,
    COUNTRY_CURRENCY,
    COUNTRY_WEIGHTS,
    END_US,
    N_DAYS,
    OWN_BRAND,
    REGION_CITIES,
    REGION_COUNTRY,
    REGION_NAMES,
    START_US,
    US_PER_DAY,
    US_PER_HOUR,
    day_weights,
    emails,
    ids,
    load_lag_us,
    person_names,
    phones,
    pick,
    strs,
    ts,
)
from simulator.profiles import Profile
from simulator.schema import TABLES

# customer segments
NORMAL, RESELLER, HIGH_VALUE, OPTED_OUT, ALREADY_DEALER, COMPETITOR, BARGAIN, UNTENDED, TENDED, DUPLICATE = range(10)
RESELLER_LIKE = (RESELLER, OPTED_OUT, ALREADY_DEALER, COMPETITOR)
PLANTED = (RESELLER, HIGH_VALUE, OPTED_OUT, ALREADY_DEALER, COMPETITOR, BARGAIN, UNTENDED, TENDED)


@dataclass
class Population:
    """Per-shop-customer attributes used to drive all customer activity."""

    n: int
    shop_id: np.ndarray  # object array of 'C…'
    golden_idx: np.ndarray
    golden_id: np.ndarray
    segment: np.ndarray
    business: np.ndarray
    country: np.ndarray
    currency: np.ndarray
    created_us: np.ndarray
    active_from: np.ndarray  # day index
    active_to: np.ndarray  # day index (exclusive)
    n_orders: np.ndarray  # for NORMAL/DUPLICATE customers
    crm_id: np.ndarray  # object, None when no CRM contact
    member_id: np.ndarray  # object, None when not a loyalty member
    opt_out: np.ndarray
    missing_xwalk: np.ndarray
    day_cum: np.ndarray  # cumulative seasonality weights (len N_DAYS + 1)

    @property
    def has_crm(self) -> np.ndarray:
        return self.crm_id != None  # noqa: E711


def _count(n: int, share: float, minimum: int) -> int:
    return max(minimum, int(round(n * share)))


def build_population(rng: np.random.Generator, profile: Profile) -> tuple[Population, dict[str, pa.Table]]:
    """Draw shop customers with segments, golden ids, CRM/loyalty identities and order propensities."""
    n = profile.customers
    seg = np.full(n, NORMAL, dtype=np.int8)
    business = rng.random(n) < 0.18
    order = rng.permutation(n)
    pos = 0
    plan = [(RESELLER, 0.02, 10), (HIGH_VALUE, 0.004, 4), (OPTED_OUT, 0.003, 3), (ALREADY_DEALER, 0.002, 2),
            (COMPETITOR, 0.003, 3), (BARGAIN, 0.05, 20), (UNTENDED, 0.03, 15), (TENDED, 0.02, 10),
            (DUPLICATE, 0.01, 5)]
    for s, share, mn in plan:
        k = _count(n, share, mn)
        if s == ALREADY_DEALER:  # only a small share of the dealer network also buys as a shop customer
            k = min(k, max(2, profile.dealers // 20))
        seg[order[pos:pos + k]] = s
        pos += k
    special_b = np.isin(seg, RESELLER_LIKE + (HIGH_VALUE,))
    business[special_b] = True

    country = pick(rng, np.arange(len(COUNTRY_CODES)), n, COUNTRY_WEIGHTS)
    currency = COUNTRY_CURRENCY[country]

    # creation time: long-standing customers before the window, the rest sign up during it
    w = day_weights()
    day_cum = np.concatenate([[0.0], np.cumsum(w)])
    old = rng.random(n) < 0.4
    old |= np.isin(seg, RESELLER_LIKE + (HIGH_VALUE, UNTENDED, TENDED))
    old &= seg != BARGAIN
    created = np.empty(n, dtype=np.int64)
    created[old] = START_US - rng.integers(1, 6 * 365, old.sum()) * US_PER_DAY - rng.integers(0, US_PER_DAY,
                                                                                               old.sum())
    new = ~old
    u = rng.random(new.sum()) * day_cum[N_DAYS - 45]
    created[new] = START_US + np.searchsorted(day_cum, u, side="right").clip(1, N_DAYS) * US_PER_DAY \
        - rng.integers(1, US_PER_DAY, new.sum())
    active_from = np.maximum(0, (created - START_US) // US_PER_DAY + 1).astype(np.int64)
    active_to = np.full(n, N_DAYS, dtype=np.int64)
    churn = (rng.random(n) < 0.25) & (seg == NORMAL)
    lo = np.minimum(active_from + 60, N_DAYS - 1)
    active_to[churn] = lo[churn] + (rng.random(churn.sum()) * (N_DAYS - lo[churn])).astype(np.int64)
    active_to = np.maximum(active_to, active_from + 1).clip(max=N_DAYS)
    active_from = np.minimum(active_from, N_DAYS - 1)

    # order propensity for the ordinary population, scaled to the profile's order volume
    base = rng.lognormal(-0.4, 1.0, n) * np.where(business, 3.5, 1.0)
    exposure = day_cum[active_to] - day_cum[active_from]
    ordinary = np.isin(seg, (NORMAL, DUPLICATE))
    special_orders = (np.isin(seg, RESELLER_LIKE).sum() * 34 + (seg == HIGH_VALUE).sum() * 2
                      + (seg == BARGAIN).sum() + np.isin(seg, (UNTENDED, TENDED)).sum() * 10)
    target = max(profile.orders - special_orders, profile.orders * 0.5)
    lam = base * exposure
    lam *= target / lam[ordinary].sum()
    n_orders = np.where(ordinary, rng.poisson(lam), 0).astype(np.int64)
    n_orders[seg == DUPLICATE] = np.minimum(n_orders[seg == DUPLICATE], 3)

    # golden records: duplicates share the golden id of an ordinary primary account
    primaries = np.flatnonzero(seg == NORMAL)
    dup = np.flatnonzero(seg == DUPLICATE)
    golden_idx = np.full(n, -1, dtype=np.int64)
    non_dup = np.flatnonzero(seg != DUPLICATE)
    golden_idx[non_dup] = np.arange(len(non_dup))
    primary_of_dup = primaries[rng.choice(len(primaries), len(dup), replace=False)]
    golden_idx[dup] = golden_idx[primary_of_dup]
    n_golden = len(non_dup)
    golden_ids_all = np.array(ids("G", np.arange(1, n_golden + 1), 8).to_pylist(), dtype=object)
    golden_id = golden_ids_all[golden_idx]
    country[dup] = country[primary_of_dup]
    currency = COUNTRY_CURRENCY[country]
    business[dup] = business[primary_of_dup]

    shop_id = np.array(ids("C", np.arange(1, n + 1), 8).to_pylist(), dtype=object)

    # CRM contacts and loyalty members, keyed by golden customer
    g_seg = np.zeros(n_golden, dtype=np.int8)
    g_seg[golden_idx[non_dup]] = seg[non_dup]
    g_orders = np.bincount(golden_idx, weights=n_orders, minlength=n_golden)
    g_business = np.zeros(n_golden, dtype=bool)
    g_business[golden_idx[non_dup]] = business[non_dup]
    g_crm = (g_business | (g_orders >= 4) | np.isin(g_seg, PLANTED) | (rng.random(n_golden) < 0.35))
    g_crm &= g_seg != BARGAIN
    g_member = rng.random(n_golden) < 0.30
    crm_all = np.full(n_golden, None, dtype=object)
    crm_all[g_crm] = ids("K", np.arange(1, g_crm.sum() + 1), 8).to_pylist()
    mem_all = np.full(n_golden, None, dtype=object)
    mem_all[g_member] = ids("L", np.arange(1, g_member.sum() + 1), 8).to_pylist()
    crm_id = crm_all[golden_idx]
    crm_id[dup] = None  # contact belongs to the primary account
    member_id = mem_all[golden_idx]
    member_id[dup] = None

    opt_out = rng.random(n) < 0.05
    opt_out[np.isin(seg, (RESELLER, ALREADY_DEALER, COMPETITOR, HIGH_VALUE))] = False
    opt_out[seg == OPTED_OUT] = True
    missing_xwalk = (seg == NORMAL) & (n_orders > 0) & (rng.random(n) < 0.005)
    missing_xwalk[primary_of_dup] = False

    pop = Population(n, shop_id, golden_idx, golden_id, seg, business, country, currency, created, active_from,
                     active_to, n_orders, crm_id, member_id, opt_out, missing_xwalk, day_cum)
    tables = {
        "shop.customers": _customers_table(rng, pop, primary_of_dup, dup),
        "mdm.customer_master": _master_table(rng, pop, golden_ids_all, crm_all, mem_all, g_crm, g_member),
        "mdm.friends_family": _friends_table(rng, pop, golden_ids_all),
    }
    return pop, tables


def _customers_table(rng: np.random.Generator, pop: Population, primary_of_dup: np.ndarray,
                     dup: np.ndarray) -> pa.Table:
    n = pop.n
    first, last, full = person_names(rng, n)
    email = emails(rng, first, last)
    company = (pick(rng, COMPANY_WORDS_A, n) + " " + pick(rng, COMPANY_WORDS_B, n) + " "
               + pick(rng, COMPANY_SUFFIX, n))
    company_mask = ~pop.business
    # duplicate accounts: same person, slightly different e-mail
    full[dup] = full[primary_of_dup]
    company[dup] = company[primary_of_dup]
    email[dup] = np.array([e.upper() for e in email[primary_of_dup]], dtype=object)
    region_idx = np.empty(n, dtype=np.int64)
    for c in np.unique(pop.country):
        rows = np.flatnonzero(pop.country == c)
        cand = np.flatnonzero(REGION_COUNTRY == c)
        region_idx[rows] = cand[rng.integers(0, len(cand), len(rows))]
    affiliated = np.full(n, None, dtype=object)
    aff = pop.business & (rng.random(n) < 0.04) & (pop.segment == 0)
    affiliated[aff] = OWN_BRAND
    comp = pop.segment == COMPETITOR
    affiliated[comp] = np.array(COMPETITOR_BRANDS, dtype=object)[rng.integers(0, len(COMPETITOR_BRANDS),
                                                                              comp.sum())]
    ctype = np.where(pop.business, "business", "individual").astype(object)
    loaded = np.maximum(pop.created_us, START_US) + load_lag_us(rng, n)
    return pa.table([strs(pop.shop_id), strs(ctype), strs(full), strs(company, mask=company_mask), strs(email),
                     strs(phones(rng, pop.country)), strs(COUNTRY_CODES[pop.country]), strs(REGION_NAMES[region_idx]),
                     strs(REGION_CITIES[region_idx]), strs(affiliated), pa.array(pop.opt_out), ts(pop.created_us),
                     ts(loaded)], schema=TABLES["shop.customers"].schema)


def _master_table(rng: np.random.Generator, pop: Population, golden_ids_all: np.ndarray, crm_all: np.ndarray,
                  mem_all: np.ndarray, g_crm: np.ndarray, g_member: np.ndarray) -> pa.Table:
    keep = ~pop.missing_xwalk
    g_created = np.full(len(golden_ids_all), np.iinfo(np.int64).max)
    np.minimum.at(g_created, pop.golden_idx, pop.created_us)
    parts_g = [pop.golden_id[keep], golden_ids_all[g_crm], golden_ids_all[g_member]]
    parts_src = [np.full(keep.sum(), "shop", dtype=object), np.full(g_crm.sum(), "crm", dtype=object),
                 np.full(g_member.sum(), "loyalty", dtype=object)]
    parts_id = [pop.shop_id[keep], crm_all[g_crm], mem_all[g_member]]
    base = [pop.created_us[keep], g_created[g_crm], g_created[g_member]]
    g = np.concatenate(parts_g)
    src = np.concatenate(parts_src)
    sid = np.concatenate(parts_id)
    matched = np.concatenate(base) + rng.integers(US_PER_HOUR, 3 * US_PER_DAY, len(g))
    matched = np.minimum(matched, END_US - US_PER_DAY)
    loaded = np.maximum(matched, START_US) + load_lag_us(rng, len(g))
    return pa.table([strs(g), strs(src), strs(sid), ts(matched), ts(loaded)],
                    schema=TABLES["mdm.customer_master"].schema)


def _friends_table(rng: np.random.Generator, pop: Population, golden_ids_all: np.ndarray) -> pa.Table:
    ng = len(golden_ids_all)
    linkers = np.flatnonzero(rng.random(ng) < 0.06)
    k = rng.integers(1, 4, len(linkers))
    g = np.repeat(linkers, k)
    n = len(g)
    first, last, full = person_names(rng, n)
    friend_g = np.full(n, None, dtype=object)
    known = rng.random(n) < 0.3
    friend_g[known] = golden_ids_all[rng.integers(0, ng, known.sum())]
    added = START_US + rng.integers(0, (N_DAYS - 2) * US_PER_DAY, n)
    loaded = added + load_lag_us(rng, n)
    country = pick(rng, np.arange(len(COUNTRY_CODES)), n, COUNTRY_WEIGHTS)
    return pa.table([ids("FF", np.arange(1, n + 1), 8), strs(golden_ids_all[g]), strs(full),
                     strs(emails(rng, first, last)), strs(phones(rng, country)), strs(friend_g),
                     pa.array(rng.random(n) < 0.7), ts(added), ts(loaded)],
                    schema=TABLES["mdm.friends_family"].schema)
