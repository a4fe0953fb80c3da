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


# Planted segments: (segment, share of the customers, at least), assigned in this order to a random permutation.
SEGMENT_SHARES = [(RESELLER, 0.02, 10), (HIGH_VALUE, 0.004, 4), (OPTED_OUT, 0.003, 3), (ALREADY_DEALER, 0.002, 2),
                  (COMPETITOR, 0.003, 3), (BARGAIN, 0.05, 20), (UNTENDED, 0.03, 15), (TENDED, 0.02, 10),
                  (DUPLICATE, 0.01, 5)]


@dataclass
class _GoldenRecords:
    """The customer master's golden records: duplicate accounts share the golden id of an ordinary primary."""

    golden_idx: np.ndarray  # golden record index of each shop account
    golden_ids: np.ndarray  # id of each golden record
    duplicates: np.ndarray  # shop accounts that duplicate another
    primary_of_duplicate: np.ndarray  # the account each duplicate duplicates
    n_golden: int


@dataclass
class _Identities:
    """CRM contact and loyalty member ids, per golden record and per shop account (a duplicate has neither)."""

    crm_by_golden: np.ndarray  # object, None when no CRM contact
    member_by_golden: np.ndarray  # object, None when not a loyalty member
    is_contact: np.ndarray  # per golden record
    is_member: np.ndarray  # per golden record
    crm_id: np.ndarray  # per shop account
    member_id: np.ndarray  # per shop account


def build_population(rng: np.random.Generator, profile: Profile) -> tuple[Population, dict[str, pa.Table]]:
    """Draw shop customers with segments, golden ids, CRM/loyalty identities and order propensities."""
    n = profile.customers
    segment, business = _segments(rng, profile)
    country = pick(rng, np.arange(len(COUNTRY_CODES)), n, COUNTRY_WEIGHTS)
    day_cum = np.concatenate([[0.0], np.cumsum(day_weights())])
    created = _sign_up_times(rng, segment, day_cum)
    active_from, active_to = _active_days(rng, segment, created)
    n_orders = _order_counts(rng, profile, segment, business, day_cum, active_from, active_to)
    golden = _golden_records(rng, segment)
    duplicates, primary = golden.duplicates, golden.primary_of_duplicate
    country[duplicates] = country[primary]
    business[duplicates] = business[primary]
    shop_id = np.array(ids("C", np.arange(1, n + 1), 8).to_pylist(), dtype=object)
    identities = _crm_and_loyalty_ids(rng, segment, business, n_orders, golden)
    opt_out = rng.random(n) < 0.05
    opt_out[np.isin(segment, (RESELLER, ALREADY_DEALER, COMPETITOR, HIGH_VALUE))] = False
    opt_out[segment == OPTED_OUT] = True
    # 0.5% of ordinary buyers are missing from the customer master's crosswalk (never a duplicate's primary)
    missing_xwalk = (segment == NORMAL) & (n_orders > 0) & (rng.random(n) < 0.005)
    missing_xwalk[primary] = False

    pop = Population(n, shop_id, golden.golden_idx, golden.golden_ids[golden.golden_idx], segment, business, country,
                     COUNTRY_CURRENCY[country], created, active_from, active_to, n_orders, identities.crm_id,
                     identities.member_id, opt_out, missing_xwalk, day_cum)
    tables = {
        "shop.customers": _customers_table(rng, pop, primary, duplicates),
        "mdm.customer_master": _master_table(rng, pop, golden.golden_ids, identities.crm_by_golden,
                                             identities.member_by_golden, identities.is_contact, identities.is_member),
        "mdm.friends_family": _friends_table(rng, pop, golden.golden_ids),
    }
    return pop, tables


def _segments(rng: np.random.Generator, profile: Profile) -> tuple[np.ndarray, np.ndarray]:
    """18% of customers are businesses; planted segments take their shares (SEGMENT_SHARES) of a random order of
    the customers, the rest are ordinary. Reseller-like and high-value customers are always businesses; only a
    small share of the dealer network also buys as a shop customer. Returns segment and business flag."""
    n = profile.customers
    segment = np.full(n, NORMAL, dtype=np.int8)
    business = rng.random(n) < 0.18
    order = rng.permutation(n)
    taken = 0
    for planted_segment, share, minimum in SEGMENT_SHARES:
        k = _count(n, share, minimum)
        if planted_segment == ALREADY_DEALER:
            k = min(k, max(2, profile.dealers // 20))
        segment[order[taken:taken + k]] = planted_segment
        taken += k
    business[np.isin(segment, RESELLER_LIKE + (HIGH_VALUE,))] = True
    return segment, business


def _sign_up_times(rng: np.random.Generator, segment: np.ndarray, day_cum: np.ndarray) -> np.ndarray:
    """When each account was created: 40% of customers (and every planted one but bargain hunters) up to six
    years before the window, the rest sign up during it (busier days more likely, none in its last 45 days)."""
    n = len(segment)
    long_standing = rng.random(n) < 0.4
    long_standing |= np.isin(segment, RESELLER_LIKE + (HIGH_VALUE, UNTENDED, TENDED))
    long_standing &= segment != BARGAIN
    created = np.empty(n, dtype=np.int64)
    n_old = long_standing.sum()
    created[long_standing] = (START_US - rng.integers(1, 6 * 365, n_old) * US_PER_DAY
                              - rng.integers(0, US_PER_DAY, n_old))
    new = ~long_standing
    u = rng.random(new.sum()) * day_cum[N_DAYS - 45]
    created[new] = (START_US + np.searchsorted(day_cum, u, side="right").clip(1, N_DAYS) * US_PER_DAY
                    - rng.integers(1, US_PER_DAY, new.sum()))
    return created


def _active_days(rng: np.random.Generator, segment: np.ndarray, created: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The window days (from, to exclusive) a customer buys in: from the day after signing up; a quarter of
    ordinary customers stop at a random day at least 60 days later, the others stay to the window's end."""
    n = len(segment)
    active_from = np.maximum(0, (created - START_US) // US_PER_DAY + 1).astype(np.int64)
    active_to = np.full(n, N_DAYS, dtype=np.int64)
    churns = (rng.random(n) < 0.25) & (segment == NORMAL)
    earliest_stop = np.minimum(active_from + 60, N_DAYS - 1)
    active_to[churns] = earliest_stop[churns] + (rng.random(churns.sum())
                                                 * (N_DAYS - earliest_stop[churns])).astype(np.int64)
    active_to = np.maximum(active_to, active_from + 1).clip(max=N_DAYS)
    active_from = np.minimum(active_from, N_DAYS - 1)
    return active_from, active_to


def _order_counts(rng: np.random.Generator, profile: Profile, segment: np.ndarray, business: np.ndarray,
                  day_cum: np.ndarray, active_from: np.ndarray, active_to: np.ndarray) -> np.ndarray:
    """Orders each ordinary customer places in the window: Poisson of a lognormal propensity (3.5 times higher
    for businesses) times the customer's active share of the year's order intensity, scaled so that the whole
    population reaches the profile's order volume (planted segments order by their own rules: about 34 orders per
    reseller, 10 per churner, 2 per high-value customer, 1 per bargain hunter); duplicates at most three."""
    propensity = rng.lognormal(-0.4, 1.0, len(segment)) * np.where(business, 3.5, 1.0)
    exposure = day_cum[active_to] - day_cum[active_from]
    ordinary = np.isin(segment, (NORMAL, DUPLICATE))
    planted_orders = (np.isin(segment, RESELLER_LIKE).sum() * 34 + (segment == HIGH_VALUE).sum() * 2
                      + (segment == BARGAIN).sum() + np.isin(segment, (UNTENDED, TENDED)).sum() * 10)
    target = max(profile.orders - planted_orders, profile.orders * 0.5)
    expected = propensity * exposure
    expected *= target / expected[ordinary].sum()
    n_orders = np.where(ordinary, rng.poisson(expected), 0).astype(np.int64)
    n_orders[segment == DUPLICATE] = np.minimum(n_orders[segment == DUPLICATE], 3)
    return n_orders


def _golden_records(rng: np.random.Generator, segment: np.ndarray) -> _GoldenRecords:
    """One golden record per account, except that each duplicate account shares the golden record of a distinct
    ordinary primary account."""
    n = len(segment)
    primaries = np.flatnonzero(segment == NORMAL)
    duplicates = np.flatnonzero(segment == DUPLICATE)
    golden_idx = np.full(n, -1, dtype=np.int64)
    non_duplicates = np.flatnonzero(segment != DUPLICATE)
    golden_idx[non_duplicates] = np.arange(len(non_duplicates))
    primary_of_duplicate = primaries[rng.choice(len(primaries), len(duplicates), replace=False)]
    golden_idx[duplicates] = golden_idx[primary_of_duplicate]
    n_golden = len(non_duplicates)
    golden_ids = np.array(ids("G", np.arange(1, n_golden + 1), 8).to_pylist(), dtype=object)
    return _GoldenRecords(golden_idx, golden_ids, duplicates, primary_of_duplicate, n_golden)


def _crm_and_loyalty_ids(rng: np.random.Generator, segment: np.ndarray, business: np.ndarray, n_orders: np.ndarray,
                         golden: _GoldenRecords) -> _Identities:
    """CRM contacts (every business, customer with four or more orders or planted customer, and 35% of the rest;
    never a bargain hunter) and loyalty members (30%), per golden customer; the ids belong to the primary
    account, not its duplicate."""
    n_golden = golden.n_golden
    non_duplicates = np.flatnonzero(segment != DUPLICATE)
    own_record = golden.golden_idx[non_duplicates]
    golden_segment = np.zeros(n_golden, dtype=np.int8)
    golden_segment[own_record] = segment[non_duplicates]
    golden_orders = np.bincount(golden.golden_idx, weights=n_orders, minlength=n_golden)
    golden_business = np.zeros(n_golden, dtype=bool)
    golden_business[own_record] = business[non_duplicates]
    is_contact = (golden_business | (golden_orders >= 4) | np.isin(golden_segment, PLANTED)
                  | (rng.random(n_golden) < 0.35))
    is_contact &= golden_segment != BARGAIN
    is_member = rng.random(n_golden) < 0.30
    crm_by_golden = np.full(n_golden, None, dtype=object)
    crm_by_golden[is_contact] = ids("K", np.arange(1, is_contact.sum() + 1), 8).to_pylist()
    member_by_golden = np.full(n_golden, None, dtype=object)
    member_by_golden[is_member] = ids("L", np.arange(1, is_member.sum() + 1), 8).to_pylist()
    crm_id = crm_by_golden[golden.golden_idx]
    crm_id[golden.duplicates] = None  # contact belongs to the primary account
    member_id = member_by_golden[golden.golden_idx]
    member_id[golden.duplicates] = None
    return _Identities(crm_by_golden, member_by_golden, is_contact, is_member, crm_id, member_id)


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
