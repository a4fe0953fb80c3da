"""Dealer network (dealer_portal.*) and the lead funnel routed to dealers (marketing.leads, lead_events)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from simulator.catalog import Campaigns, Catalog
from simulator.common import (
    CATEGORIES,
    COMPANY_WORDS_A,
    COMPETITOR_BRANDS,
    COUNTRY_CODES,
    COUNTRY_CURRENCY,
    COUNTRY_WEIGHTS,
    END_US,
    N_DAYS,
    REGION_COUNTRY,
    REGION_NAMES,
    START_DATE,
    START_US,
    US_PER_DAY,
    US_PER_HOUR,
    US_PER_MIN,
    dates,
    emails,
    ids,
    load_lag_us,
    person_names,
    phones,
    pick,
    round_money,
    strs,
    ts,
)
from simulator.population import ALREADY_DEALER, NORMAL, Population
from simulator.profiles import Profile
from simulator.schema import TABLES

TIERS = np.array(["gold", "silver", "bronze"], dtype=object)


@dataclass
class Dealers:
    """Dealer attributes used by orders, leads and tickets."""

    n: int
    dealer_id: np.ndarray
    country: np.ndarray
    under_reporting: np.ndarray
    reported_ratio: np.ndarray
    by_country: list[np.ndarray]


def _region_for(rng: np.random.Generator, country: np.ndarray) -> np.ndarray:
    out = np.empty(len(country), dtype=object)
    for c in np.unique(country):
        rows = np.flatnonzero(country == c)
        cand = np.flatnonzero(REGION_COUNTRY == c)
        out[rows] = REGION_NAMES[cand[rng.integers(0, len(cand), len(rows))]]
    return out


def build_dealers(rng: np.random.Generator, profile: Profile, pop: Population, cat: Catalog,
                  fx: np.ndarray) -> tuple[Dealers, dict[str, pa.Table]]:
    """Dealers, their data-sharing agreements, what they bought from us and what they report selling."""
    n = profile.dealers
    did = np.array(ids("D", np.arange(1, n + 1), 4).to_pylist(), dtype=object)
    country = pick(rng, np.arange(len(COUNTRY_CODES)), n, COUNTRY_WEIGHTS)
    tier_i = pick(rng, np.arange(3), n, np.array([0.15, 0.35, 0.5]))
    joined = START_US - rng.integers(30, 8 * 365, n) * US_PER_DAY
    recent = rng.random(n) < 0.25
    joined[recent] = START_US + rng.integers(0, N_DAYS - 150, recent.sum()) * US_PER_DAY + 9 * US_PER_HOUR
    shop_cust = np.full(n, None, dtype=object)
    already = np.flatnonzero(pop.segment == ALREADY_DEALER)
    slots = rng.permutation(n)
    shop_cust[slots[: len(already)]] = pop.shop_id[already]
    n_under = max(2, int(round(n * 0.05)))
    under = np.zeros(n, dtype=bool)
    under_idx = slots[len(already): len(already) + n_under]
    under[under_idx] = True
    joined[under_idx] = np.minimum(joined[under_idx], START_US - 30 * US_PER_DAY)
    other_b = np.flatnonzero(pop.business & (pop.segment == NORMAL))
    extra = slots[len(already) + n_under:][: int(n * 0.1)]
    shop_cust[extra] = pop.shop_id[other_b[rng.choice(len(other_b), len(extra), replace=False)]]
    name = pick(rng, COMPANY_WORDS_A, n) + " " + np.array(["Distribution", "Components", "Electronics Supply",
                                                             "Trading"], dtype=object)[rng.integers(0, 4, n)]
    name = name + " " + COUNTRY_CODES[country]
    loaded = np.maximum(joined, START_US) + load_lag_us(rng, n)
    dealers_t = pa.table([strs(did), strs(name), strs(COUNTRY_CODES[country]), strs(_region_for(rng, country)),
                          strs(TIERS[tier_i]), ts(joined), strs(shop_cust), ts(loaded)],
                         schema=TABLES["dealer_portal.dealers"].schema)
    ratio = np.where(under, rng.uniform(0.22, 0.43, n), rng.uniform(0.76, 0.93, n))
    by_country = [np.flatnonzero(country == c) for c in range(len(COUNTRY_CODES))]

    agreements = _agreements(rng, did, joined, under)
    purchases, sales, actual = _trade(rng, did, country, tier_i, joined, ratio, cat, fx)
    d = Dealers(n, did, country, under, actual, by_country)
    return d, {"dealer_portal.dealers": dealers_t, "dealer_portal.data_sharing_agreements": agreements,
               "dealer_portal.dealer_purchases": purchases, "dealer_portal.dealer_sales": sales}


def _agreements(rng: np.random.Generator, did: np.ndarray, joined: np.ndarray, under: np.ndarray) -> pa.Table:
    n = len(did)
    has = rng.random(n) < 0.85
    has[under] = True
    has[0] = False  # at least one dealer shares nothing
    dealer_i, version, vfrom, vto = [], [], [], []
    start_day = int(START_DATE.astype(int))
    for i in np.flatnonzero(has):
        j_day = int(joined[i] // US_PER_DAY)
        f1 = max(j_day, start_day - 400)
        r = rng.random()
        if r < 0.15:  # superseded by version 2
            f2 = start_day + int(rng.integers(60, 600))
            dealer_i += [i, i]
            version += [1, 2]
            vfrom += [f1, f2]
            vto += [f2 - 1, None]
        elif r < 0.27:  # expired
            dealer_i.append(i)
            version.append(1)
            vfrom.append(f1)
            vto.append(start_day + int(rng.integers(30, 500)))
        else:
            dealer_i.append(i)
            version.append(1)
            vfrom.append(f1)
            vto.append(None)
    k = len(dealer_i)
    dealer_i = np.array(dealer_i)
    vto_mask = np.array([v is None for v in vto])
    vto_arr = np.array([0 if v is None else v for v in vto])
    vfrom = np.array(vfrom)
    loaded = np.maximum(vfrom * US_PER_DAY, START_US) + load_lag_us(rng, k)
    flags = rng.random((k, 5)) < np.array([0.8, 0.7, 0.6, 0.4, 0.5])
    flags[under[dealer_i], 0] = True
    return pa.table([ids("AG", np.arange(1, k + 1), 5), strs(did[dealer_i]), pa.array(np.array(version, np.int32)),
                     *[pa.array(flags[:, j]) for j in range(5)], dates(vfrom), dates(vto_arr, mask=vto_mask),
                     ts(loaded)], schema=TABLES["dealer_portal.data_sharing_agreements"].schema)


def _trade(rng: np.random.Generator, did: np.ndarray, country: np.ndarray, tier_i: np.ndarray, joined: np.ndarray,
           ratio: np.ndarray, cat: Catalog, fx: np.ndarray) -> tuple[pa.Table, pa.Table, np.ndarray]:
    n = len(did)
    months = START_DATE.astype("datetime64[M]") + np.arange(24)
    m_start = months.astype("datetime64[D]")
    m_start_us = (m_start.astype(np.int64) * US_PER_DAY)
    m_len = ((months + 1).astype("datetime64[D]") - m_start).astype(np.int64)
    own = np.flatnonzero(cat.is_own)
    cur = COUNTRY_CURRENCY[country]
    # purchases: a few shipments per dealer-month
    dm_d = np.repeat(np.arange(n), 24)
    dm_m = np.tile(np.arange(24), n)
    active = joined[dm_d] < m_start_us[dm_m] + m_len[dm_m] * US_PER_DAY
    dm_d, dm_m = dm_d[active], dm_m[active]
    k = rng.poisson(np.array([4.0, 2.0, 1.0])[tier_i[dm_d]]) + 1
    p_d = np.repeat(dm_d, k)
    p_m = np.repeat(dm_m, k)
    np_ = len(p_d)
    prod = own[rng.integers(0, len(own), np_)]
    qty = (rng.lognormal(np.array([7.0, 6.3, 5.5])[tier_i[p_d]], 0.6)).astype(np.int64).clip(20, 200_000)
    day_in = (rng.random(np_) * m_len[p_m]).astype(np.int64)
    shipped = m_start_us[p_m] + day_in * US_PER_DAY + rng.integers(7 * US_PER_HOUR, 19 * US_PER_HOUR, np_)
    shipped = np.maximum(shipped, joined[p_d] + US_PER_HOUR).clip(max=END_US - US_PER_HOUR)
    fx_day = (shipped // US_PER_DAY - (int(START_DATE.astype(int)) - 30)).clip(0, len(fx) - 1)
    unit = round_money(cat.list_usd[prod] * 0.6 / fx[fx_day, cur[p_d]], cur[p_d])
    unit = np.maximum(unit, np.where(cur[p_d] == 4, 1.0, 0.01))
    purchases = pa.table([ids("DP", np.arange(1, np_ + 1), 9), strs(did[p_d]), cat.product_id.take(pa.array(prod)),
                          pa.array(qty.astype(np.int32)), pa.array(unit), strs(_cur_codes(cur[p_d])), ts(shipped),
                          ts(shipped + load_lag_us(rng, np_))], schema=TABLES["dealer_portal.dealer_purchases"].schema)
    # sales reports: own lines = purchased quantity x the dealer's sell-through ratio, plus competitor lines
    noise = rng.uniform(0.95, 1.05, np_)
    sold = np.maximum(1, np.round(qty * ratio[p_d] * noise)).astype(np.int64)
    bought_tot = np.bincount(p_d, weights=qty, minlength=n)
    sold_tot = np.bincount(p_d, weights=sold, minlength=n)
    actual = np.where(bought_tot > 0, sold_tot / np.maximum(bought_tot, 1), 0.0)
    own_rev = round_money(sold * cat.list_usd[prod] * 1.3 / fx[fx_day, cur[p_d]], cur[p_d])
    kc = rng.integers(1, 4, len(dm_d))
    c_d = np.repeat(dm_d, kc)
    c_m = np.repeat(dm_m, kc)
    nc = len(c_d)
    c_cat = rng.integers(0, len(CATEGORIES), nc)
    c_qty = rng.lognormal(5.5, 0.8, nc).astype(np.int64).clip(5)
    c_rev = round_money(c_qty * rng.uniform(0.05, 5, nc) / fx[(m_start_us[c_m] // US_PER_DAY
                                                                - (int(START_DATE.astype(int)) - 30)),
                                                               cur[c_d]], cur[c_d])
    s_d = np.concatenate([p_d, c_d])
    s_m = np.concatenate([p_m, c_m])
    order = np.lexsort((np.arange(len(s_d)), s_d, s_m))
    s_d, s_m = s_d[order], s_m[order]
    prod_ids = np.array(cat.product_id.to_pylist(), dtype=object)
    s_prod = np.concatenate([prod_ids[prod], np.full(nc, None, dtype=object)])[order]
    s_brand = np.concatenate([np.full(np_, None, dtype=object),
                              np.array(COMPETITOR_BRANDS, dtype=object)[rng.integers(0, len(COMPETITOR_BRANDS),
                                                                                    nc)]])[order]
    cats = np.array(CATEGORIES, dtype=object)
    s_cat = np.concatenate([cats[cat.category_idx[prod]], cats[c_cat]])[order]
    s_qty = np.concatenate([sold, c_qty])[order].astype(np.int32)
    s_rev = np.concatenate([own_rev, c_rev])[order]
    ns = len(s_d)
    period = (m_start[s_m]).astype(np.int64)
    report_at = (m_start_us[s_m] + m_len[s_m] * US_PER_DAY + rng.integers(1, 8, ns) * US_PER_DAY
                 + rng.integers(0, 600, ns) * US_PER_MIN)
    sales = pa.table([ids("DS", np.arange(1, ns + 1), 9), strs(did[s_d]), dates(period), strs(s_prod),
                      strs(s_brand), strs(s_cat), pa.array(s_qty), pa.array(s_rev), strs(_cur_codes(cur[s_d])),
                      ts(report_at)], schema=TABLES["dealer_portal.dealer_sales"].schema)
    return purchases, sales, actual


def _cur_codes(idx: np.ndarray) -> np.ndarray:
    from simulator.common import CURRENCIES
    return np.array(CURRENCIES, dtype=object)[idx]


LEAD_SOURCES = np.array(["web_form", "trade_show", "call_center", "partner", "campaign"], dtype=object)


def build_leads(rng: np.random.Generator, profile: Profile, camps: Campaigns, dealers: Dealers,
                fx: np.ndarray) -> dict[str, pa.Table]:
    """Leads from several sources assigned to dealers; some bounce to a second dealer; won or lost."""
    n = profile.leads
    src = pick(rng, np.arange(5), n, np.array([0.35, 0.15, 0.15, 0.1, 0.25]))
    created = START_US + rng.integers(0, (N_DAYS - 20) * US_PER_DAY, n)
    camp = np.full(n, None, dtype=object)
    is_c = src == 4
    ci = rng.integers(0, len(camps.campaign_id), is_c.sum())
    camp[is_c] = camps.campaign_id[ci]
    created[is_c] = camps.starts[ci] + (rng.random(is_c.sum()) * (camps.ends[ci] - camps.starts[ci])).astype(
        np.int64)
    country = pick(rng, np.arange(len(COUNTRY_CODES)), n, COUNTRY_WEIGHTS)
    first, last, full = person_names(rng, n)
    leads = pa.table([ids("LD", np.arange(1, n + 1), 8), strs(LEAD_SOURCES[src]), strs(camp),
                      strs(COUNTRY_CODES[country]), strs(_region_for(rng, country)), strs(full),
                      strs(emails(rng, first, last)), strs(phones(rng, country)), pa.array(rng.random(n) < 0.8),
                      ts(created), ts(created + load_lag_us(rng, n))], schema=TABLES["marketing.leads"].schema)
    # dealer routing
    d1 = np.empty(n, dtype=np.int64)
    d2 = np.empty(n, dtype=np.int64)
    for c in range(len(COUNTRY_CODES)):
        rows = np.flatnonzero(country == c)
        cand = dealers.by_country[c] if len(dealers.by_country[c]) else np.arange(dealers.n)
        d1[rows] = cand[rng.integers(0, len(cand), len(rows))]
        d2[rows] = cand[rng.integers(0, len(cand), len(rows))]
    same = d2 == d1
    d2[same] = (d1[same] + 1) % dealers.n
    bounce = rng.random(n) < 0.15
    stage = pick(rng, np.arange(4), n, np.array([0.1, 0.2, 0.3, 0.4]))  # 0 accepted, 1 contacted, 2 won, 3 lost
    # event slots: assigned, declined, assigned(2nd), accepted, contacted, won/lost
    present = np.stack([np.ones(n, bool), bounce, bounce, np.ones(n, bool), stage >= 1, stage >= 2], axis=1)
    gaps = np.stack([rng.integers(10 * US_PER_MIN, US_PER_DAY, n), rng.integers(US_PER_HOUR, 3 * US_PER_DAY, n),
                     rng.integers(10 * US_PER_MIN, US_PER_DAY, n), rng.integers(US_PER_HOUR, 2 * US_PER_DAY, n),
                     rng.integers(US_PER_DAY, 7 * US_PER_DAY, n), rng.integers(5 * US_PER_DAY, 60 * US_PER_DAY, n)],
                    axis=1) * present
    at = created[:, None] + np.cumsum(gaps, axis=1)
    present &= at < END_US
    types = np.array(["assigned", "declined", "assigned", "accepted", "contacted", "won"], dtype=object)
    lead_i, slot = np.nonzero(present)
    etype = types[slot]
    etype[(slot == 5) & (stage[lead_i] == 3)] = "lost"
    dealer_i = np.where((slot <= 1), d1[lead_i], np.where(bounce[lead_i], d2[lead_i], d1[lead_i]))
    ev_at = at[lead_i, slot]
    m = len(lead_i)
    cur = COUNTRY_CURRENCY[dealers.country[dealer_i]]
    won = etype == "won"
    fx_day = (ev_at // US_PER_DAY - (int(START_DATE.astype(int)) - 30)).clip(0, len(fx) - 1)
    amount = round_money(rng.lognormal(8.3, 0.9, m) / fx[fx_day, cur], cur)
    lead_ids = np.array(leads.column("lead_id").to_pylist(), dtype=object)
    events = pa.table([ids("LE", np.arange(1, m + 1), 9), strs(lead_ids[lead_i]), strs(dealers.dealer_id[dealer_i]),
                       strs(etype), pa.array(amount, mask=~won), strs(_cur_codes(cur)), ts(ev_at),
                       ts(ev_at + load_lag_us(rng, m))], schema=TABLES["marketing.lead_events"].schema)
    return {"marketing.leads": leads, "marketing.lead_events": events}
