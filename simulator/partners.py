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


# Day index of the first exchange-rate day (rates start 30 days before the window).
RATE_DAY0 = int(START_DATE.astype(int)) - 30


@dataclass
class _Months:
    """The window's 24 calendar months."""

    first_day: np.ndarray  # datetime64[D]
    start_us: np.ndarray
    days: np.ndarray  # length in days

    @classmethod
    def of_window(cls) -> _Months:
        months = START_DATE.astype("datetime64[M]") + np.arange(24)
        first_day = months.astype("datetime64[D]")
        return cls(first_day, first_day.astype(np.int64) * US_PER_DAY,
                   ((months + 1).astype("datetime64[D]") - first_day).astype(np.int64))


@dataclass
class _Purchases:
    """The dealers' shipments, one entry per purchase row."""

    dealer: np.ndarray  # dealer index
    month: np.ndarray  # month index in the window
    product: np.ndarray  # product index
    quantity: np.ndarray
    rate_day: np.ndarray  # exchange-rate day of the shipment


def _trade(rng: np.random.Generator, dealer_id: np.ndarray, country: np.ndarray, tier_index: np.ndarray,
           joined: np.ndarray, sell_through: np.ndarray, catalog: Catalog,
           fx: np.ndarray) -> tuple[pa.Table, pa.Table, np.ndarray]:
    """The dealers' purchases of own-brand products and their monthly sales reports, for every month a dealer
    is a member in. Returns the purchases, the sales and each dealer's actual sell-through (units sold over
    units bought)."""
    months = _Months.of_window()
    currency = COUNTRY_CURRENCY[country]
    month_dealer = np.repeat(np.arange(len(dealer_id)), 24)
    month = np.tile(np.arange(24), len(dealer_id))
    member = joined[month_dealer] < months.start_us[month] + months.days[month] * US_PER_DAY
    month_dealer, month = month_dealer[member], month[member]
    purchases, bought = _dealer_purchases(rng, dealer_id, currency, tier_index, joined, catalog, fx, months,
                                          month_dealer, month)
    sales, actual = _dealer_sales(rng, dealer_id, currency, sell_through, catalog, fx, months, month_dealer, month,
                                  bought)
    return purchases, sales, actual


def _dealer_purchases(rng: np.random.Generator, dealer_id: np.ndarray, currency: np.ndarray, tier_index: np.ndarray,
                      joined: np.ndarray, catalog: Catalog, fx: np.ndarray, months: _Months, month_dealer: np.ndarray,
                      month: np.ndarray) -> tuple[pa.Table, _Purchases]:
    """A few shipments per dealer and member month (5, 3 or 2 on average by tier, gold first) of an own-brand
    product, in bulk (more for higher tiers), shipped in working hours (not before the dealer joined), at 60%
    of list price in the dealer's currency."""
    shipments = rng.poisson(np.array([4.0, 2.0, 1.0])[tier_index[month_dealer]]) + 1
    dealer = np.repeat(month_dealer, shipments)
    month = np.repeat(month, shipments)
    n = len(dealer)
    own = np.flatnonzero(catalog.is_own)
    product = own[rng.integers(0, len(own), n)]
    quantity = (rng.lognormal(np.array([7.0, 6.3, 5.5])[tier_index[dealer]], 0.6)).astype(np.int64).clip(20, 200_000)
    day_in_month = (rng.random(n) * months.days[month]).astype(np.int64)
    shipped = (months.start_us[month] + day_in_month * US_PER_DAY
               + rng.integers(7 * US_PER_HOUR, 19 * US_PER_HOUR, n))
    shipped = np.maximum(shipped, joined[dealer] + US_PER_HOUR).clip(max=END_US - US_PER_HOUR)
    rate_day = (shipped // US_PER_DAY - RATE_DAY0).clip(0, len(fx) - 1)
    dealer_currency = currency[dealer]
    unit_price = round_money(catalog.list_usd[product] * 0.6 / fx[rate_day, dealer_currency], dealer_currency)
    unit_price = np.maximum(unit_price, np.where(dealer_currency == 4, 1.0, 0.01))
    table = pa.table([ids("DP", np.arange(1, n + 1), 9), strs(dealer_id[dealer]),
                      catalog.product_id.take(pa.array(product)), pa.array(quantity.astype(np.int32)),
                      pa.array(unit_price), strs(_cur_codes(dealer_currency)), ts(shipped),
                      ts(shipped + load_lag_us(rng, n))], schema=TABLES["dealer_portal.dealer_purchases"].schema)
    return table, _Purchases(dealer, month, product, quantity, rate_day)


def _dealer_sales(rng: np.random.Generator, dealer_id: np.ndarray, currency: np.ndarray, sell_through: np.ndarray,
                  catalog: Catalog, fx: np.ndarray, months: _Months, month_dealer: np.ndarray, month: np.ndarray,
                  bought: _Purchases) -> tuple[pa.Table, np.ndarray]:
    """Monthly sales reports: for each shipment, the units sold (bought times the dealer's sell-through ratio,
    give or take 5%) at 130% of list price; and one to three lines of competitor brands per dealer and member
    month. Reported 1 to 7 days after the month ends. Returns the report lines and each dealer's actual
    sell-through."""
    n_dealers = len(dealer_id)
    n_own = len(bought.dealer)
    noise = rng.uniform(0.95, 1.05, n_own)
    sold = np.maximum(1, np.round(bought.quantity * sell_through[bought.dealer] * noise)).astype(np.int64)
    bought_total = np.bincount(bought.dealer, weights=bought.quantity, minlength=n_dealers)
    sold_total = np.bincount(bought.dealer, weights=sold, minlength=n_dealers)
    actual = np.where(bought_total > 0, sold_total / np.maximum(bought_total, 1), 0.0)
    own_currency = currency[bought.dealer]
    own_revenue = round_money(sold * catalog.list_usd[bought.product] * 1.3 / fx[bought.rate_day, own_currency],
                              own_currency)

    competitor_lines = rng.integers(1, 4, len(month_dealer))
    competitor_dealer = np.repeat(month_dealer, competitor_lines)
    competitor_month = np.repeat(month, competitor_lines)
    n_competitor = len(competitor_dealer)
    competitor_category = rng.integers(0, len(CATEGORIES), n_competitor)
    competitor_quantity = rng.lognormal(5.5, 0.8, n_competitor).astype(np.int64).clip(5)
    competitor_currency = currency[competitor_dealer]
    competitor_revenue = round_money(
        competitor_quantity * rng.uniform(0.05, 5, n_competitor)
        / fx[(months.start_us[competitor_month] // US_PER_DAY - RATE_DAY0), competitor_currency],
        competitor_currency)

    line_dealer = np.concatenate([bought.dealer, competitor_dealer])
    line_month = np.concatenate([bought.month, competitor_month])
    by_month_and_dealer = np.lexsort((np.arange(len(line_dealer)), line_dealer, line_month))
    line_dealer, line_month = line_dealer[by_month_and_dealer], line_month[by_month_and_dealer]
    product_ids = np.array(catalog.product_id.to_pylist(), dtype=object)
    line_product = np.concatenate([product_ids[bought.product],
                                   np.full(n_competitor, None, dtype=object)])[by_month_and_dealer]
    competitor_brand = np.array(COMPETITOR_BRANDS, dtype=object)[rng.integers(0, len(COMPETITOR_BRANDS),
                                                                              n_competitor)]
    line_brand = np.concatenate([np.full(n_own, None, dtype=object), competitor_brand])[by_month_and_dealer]
    categories = np.array(CATEGORIES, dtype=object)
    line_category = np.concatenate([categories[catalog.category_idx[bought.product]],
                                    categories[competitor_category]])[by_month_and_dealer]
    line_quantity = np.concatenate([sold, competitor_quantity])[by_month_and_dealer].astype(np.int32)
    line_revenue = np.concatenate([own_revenue, competitor_revenue])[by_month_and_dealer]
    n = len(line_dealer)
    period = months.first_day[line_month].astype(np.int64)
    reported_at = (months.start_us[line_month] + months.days[line_month] * US_PER_DAY
                   + rng.integers(1, 8, n) * US_PER_DAY + rng.integers(0, 600, n) * US_PER_MIN)
    table = pa.table([ids("DS", np.arange(1, n + 1), 9), strs(dealer_id[line_dealer]), dates(period),
                      strs(line_product), strs(line_brand), strs(line_category), pa.array(line_quantity),
                      pa.array(line_revenue), strs(_cur_codes(currency[line_dealer])), ts(reported_at)],
                     schema=TABLES["dealer_portal.dealer_sales"].schema)
    return table, actual


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
