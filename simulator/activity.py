"""Customer activity for one block of customers: orders, lines, refunds, wallet, CRM, service, lottery."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from simulator.catalog import Campaigns, Catalog, Prizes
from simulator.common import (
    CATEGORIES,
    COUNTRY_OFFSET_MIN,
    CURRENCIES,
    CURRENCY_DECIMALS,
    END_US,
    FX_START_DATE,
    N_DAYS,
    START_US,
    US_PER_DAY,
    US_PER_HOUR,
    US_PER_MIN,
    US_PER_SEC,
    USD_PER_UNIT,
    emails,
    ids,
    load_lag_us,
    local_time_of_day_us,
    person_names,
    phones,
    pick,
    round_money,
    strs,
    ts,
)
from simulator.partners import Dealers
from simulator.population import (
    BARGAIN,
    DUPLICATE,
    HIGH_VALUE,
    NORMAL,
    RESELLER_LIKE,
    TENDED,
    UNTENDED,
    Population,
)
from simulator.schema import TABLES

FX_DAY0 = int(FX_START_DATE.astype(int))
CUR = np.array(CURRENCIES, dtype=object)
TX_TYPES = ["top_up", "top_up_bonus", "spend", "refund_credit", "points_earned", "points_redeemed",
            "points_expired", "manual_adjustment"]
SALES_CHANNELS = np.array(["web", "app", "marketplace", "phone", "store"], dtype=object)
ACQ_CHANNELS = np.array(["organic_search", "paid_search", "social", "referral", "marketplace", "direct", "email",
                         "dealer"], dtype=object)
REFUND_REASONS = np.array(["damaged in transit", "wrong part shipped", "no longer needed", "late delivery",
                           "quality issue", "ordered by mistake"], dtype=object)
TOUCH_TYPES = np.array(["call", "visit", "email", "greeting_card", "gift"], dtype=object)
TOUCH_COST_USD = np.array([5.0, 80.0, 0.1, 3.0, 45.0])
COMPLAINTS = np.array(["counterfeit", "bent_pins", "solderability", "parameter_mismatch", "other"], dtype=object)
ESCALATIONS = np.array(["manufacturer", "agent", "third_party_lab", "none"], dtype=object)
RESOLUTIONS = np.array(["resolved", "replaced", "refunded", "rejected", "unresolved"], dtype=object)
INQ_CHANNELS = np.array(["web_form", "email", "phone", "trade_show"], dtype=object)
INQ_MESSAGES = np.array([
    "We would like to resell your components in our region. What are your distributor terms?",
    "Interested in becoming an authorised reseller; please send the partner price list.",
    "Our customers keep asking for your parts. Can we stock them and get volume pricing?",
    "Requesting information on reseller margins and minimum order quantities.",
], dtype=object)
REQUEST_TEXT = np.array([
    "Customer project needs {q} pcs, custom reel packaging and date codes within 12 months.",
    "Please quote {q} pcs with split deliveries over the next quarter.",
    "Need {q} pcs with a custom marking for an end customer.",
    "Bulk order of {q} pcs, can you hold stock for monthly call-offs?",
], dtype=object)


@dataclass
class Counters:
    """Running id counters so ids stay unique across customer blocks."""

    next: dict[str, int] = field(default_factory=dict)

    def take(self, name: str, n: int) -> np.ndarray:
        start = self.next.get(name, 1)
        self.next[name] = start + n
        return np.arange(start, start + n)


@dataclass
class World:
    """Everything customer activity depends on."""

    pop: Population
    cat: Catalog
    camps: Campaigns
    prizes: Prizes
    dealers: Dealers
    fx: np.ndarray
    lines_per_order: float
    all_crm: np.ndarray


@dataclass
class ChunkResult:
    """Tables for one customer block, clean wallet rows for the loyalty totals, and truth fragments."""

    tables: dict[str, pa.Table]
    wallet_day: np.ndarray
    wallet_type: np.ndarray
    wallet_amount: np.ndarray
    wallet_points: np.ndarray
    truth: dict[str, dict[str, np.ndarray]]
    protected_orders: np.ndarray


def _fx_rate(fx: np.ndarray, t_us: np.ndarray, cur: np.ndarray) -> np.ndarray:
    day = (t_us // US_PER_DAY - FX_DAY0).clip(0, len(fx) - 1)
    return fx[day, cur]


def _regular(rng: np.random.Generator, cust: np.ndarray, start: np.ndarray, end: np.ndarray, gap_lo: float,
             gap_hi: float) -> tuple[np.ndarray, np.ndarray]:
    """Roughly periodic event times between start and end for each customer."""
    if len(cust) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    max_n = int(np.ceil((end - start).max() / (gap_lo * US_PER_DAY))) + 1
    gaps = (rng.uniform(gap_lo, gap_hi, (len(cust), max_n)) * US_PER_DAY).astype(np.int64)
    gaps[:, 0] = 0
    t = start[:, None] + np.cumsum(gaps, axis=1)
    ok = t < end[:, None]
    r, _ = np.nonzero(ok)
    return cust[r], t[ok]


def _digits(buf: np.ndarray, col: int, values: np.ndarray, width: int) -> None:
    rest = values.copy()
    for j in range(col + width - 1, col - 1, -1):
        buf[:, j] = 48 + rest % 10
        rest //= 10


def _format_placed_at(t_us: np.ndarray, offset_min: np.ndarray) -> pa.Array:
    """ISO-8601 local time with the UTC offset, e.g. '2026-03-01T18:05:00+08:00'."""
    local_s = (t_us + offset_min * US_PER_MIN) // US_PER_SEC
    days = local_s // 86400
    sod = local_s - days * 86400
    d64 = days.astype("datetime64[D]")
    month_start = d64.astype("datetime64[M]")
    year = month_start.astype("datetime64[Y]").astype(np.int64) + 1970
    month = month_start.astype(np.int64) % 12 + 1
    dom = (d64 - month_start.astype("datetime64[D]")).astype(np.int64) + 1
    n = len(t_us)
    buf = np.empty((n, 25), dtype=np.uint8)
    _digits(buf, 0, year, 4)
    _digits(buf, 5, month, 2)
    _digits(buf, 8, dom, 2)
    _digits(buf, 11, sod // 3600, 2)
    _digits(buf, 14, sod // 60 % 60, 2)
    _digits(buf, 17, sod % 60, 2)
    _digits(buf, 20, np.abs(offset_min) // 60, 2)
    _digits(buf, 23, np.abs(offset_min) % 60, 2)
    for pos, ch in ((4, "-"), (7, "-"), (10, "T"), (13, ":"), (16, ":"), (22, ":")):
        buf[:, pos] = ord(ch)
    buf[:, 19] = np.where(offset_min < 0, ord("-"), ord("+"))
    offsets = np.arange(0, (n + 1) * 25, 25, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(buf.tobytes()))


def simulate_block(rng: np.random.Generator, w: World, lo: int, hi: int, ctr: Counters) -> ChunkResult:
    """Simulate all activity of shop customers lo..hi-1."""
    pop = w.pop
    c_all = np.arange(lo, hi)
    seg = pop.segment[c_all]

    # ---- order times -------------------------------------------------------------------------------
    parts_c, parts_t = [], []
    ordinary = c_all[np.isin(seg, (NORMAL, DUPLICATE))]
    n_ord = pop.n_orders[ordinary]
    rep = np.repeat(ordinary, n_ord)
    a, b = pop.active_from[rep], pop.active_to[rep]
    cum = pop.day_cum
    u = cum[a] + rng.random(len(rep)) * (cum[b] - cum[a])
    day = (np.searchsorted(cum, u, side="right") - 1).clip(a, b - 1)
    t = START_US + day * US_PER_DAY + local_time_of_day_us(rng, len(rep)) - COUNTRY_OFFSET_MIN[
        pop.country[rep]] * US_PER_MIN
    parts_c.append(rep)
    parts_t.append(t)
    rl = c_all[np.isin(seg, RESELLER_LIKE)]
    cc, tt = _regular(rng, rl, START_US + rng.integers(0, 15 * US_PER_DAY, len(rl)), np.full(len(rl), END_US),
                      15, 30)
    parts_c.append(cc)
    parts_t.append(tt)
    ch = c_all[np.isin(seg, (UNTENDED, TENDED))]
    churn_at = START_US + rng.integers(230, N_DAYS - 120, len(ch)) * US_PER_DAY
    cc, tt = _regular(rng, ch, START_US + rng.integers(0, 20 * US_PER_DAY, len(ch)), churn_at, 24, 36)
    parts_c.append(cc)
    parts_t.append(tt)
    hv = c_all[seg == HIGH_VALUE]
    parts_c.append(np.repeat(hv, 2))
    parts_t.append(START_US + rng.integers(0, (N_DAYS - 5) * US_PER_DAY, 2 * len(hv)))
    # bargain hunters buy once, 8 to 15 days after signing up, with a welcome code: one who would buy between
    # welcome offers waits for the next one (so they never buy within a week of signing up, offer or not)
    bg = c_all[seg == BARGAIN]
    bg_t = pop.created_us[bg] + rng.integers(8 * US_PER_DAY, 15 * US_PER_DAY, len(bg))
    waits = w.camps.active("first_order_discount", bg_t) < 0
    bg_t[waits] = w.camps.next_start("first_order_discount", bg_t[waits]) + rng.integers(
        US_PER_MIN, 7 * US_PER_DAY, waits.sum())
    parts_c.append(bg)
    parts_t.append(np.minimum(bg_t, END_US - US_PER_DAY))
    parts_k = [np.full(len(c), -1, np.int64) for c in parts_c]
    cc, tt, kk = _planted_campaign_orders(rng, w, c_all, np.concatenate(parts_c), np.concatenate(parts_t))
    parts_c.append(cc)
    parts_t.append(tt)
    parts_k.append(kk)
    o_c = np.concatenate(parts_c)
    o_t = np.concatenate(parts_t)
    o_k = np.concatenate(parts_k)  # campaign whose planted lift placed the order, -1 for organic orders
    o_t = np.maximum(o_t, np.maximum(pop.created_us[o_c], START_US) + 10 * US_PER_MIN)
    o_t = (np.minimum(o_t, END_US - US_PER_MIN) // US_PER_SEC) * US_PER_SEC
    srt = np.lexsort((o_t, o_c))
    o_c, o_t, o_k = o_c[srt], o_t[srt], o_k[srt]
    no = len(o_c)
    o_seg = pop.segment[o_c]
    first = np.ones(no, bool)
    first[1:] = o_c[1:] != o_c[:-1]
    last = np.ones(no, bool)
    last[:-1] = o_c[1:] != o_c[:-1]
    per_cust = np.bincount(o_c - lo, minlength=hi - lo)
    by_time = np.argsort(o_t, kind="stable")  # order ids follow placement time
    o_c, o_t, o_k, first, last = o_c[by_time], o_t[by_time], o_k[by_time], first[by_time], last[by_time]
    o_seg = pop.segment[o_c]
    o_num = ctr.take("orders", no)
    order_id = ids("O", o_num, 10)
    order_id_np = np.array(order_id.to_pylist(), dtype=object)
    cur = pop.currency[o_c]
    country = pop.country[o_c]
    biz = pop.business[o_c]
    rl_o = np.isin(o_seg, RESELLER_LIKE)
    hv_o = o_seg == HIGH_VALUE

    # discount codes on first orders during welcome campaigns
    fo = w.camps.active("first_order_discount", o_t)
    use_code = first & (fo >= 0) & (o_seg == BARGAIN)
    new_cust = pop.created_us[o_c] >= START_US
    ordinary_o = np.isin(o_seg, (NORMAL, DUPLICATE))
    use_code |= first & (fo >= 0) & ordinary_o & new_cust & (per_cust[o_c - lo] >= 2) & (rng.random(no) < 0.3)
    use_code |= first & (fo >= 0) & (o_k >= 0) & (w.camps.ctype[np.maximum(o_k, 0)] == "first_order_discount")
    code = np.full(no, None, dtype=object)
    code[use_code] = w.camps.code[fo[use_code]]
    pct = np.where(use_code, w.camps.discount_pct[np.maximum(fo, 0)], 0.0)

    sales_ch = np.where(biz, pick(rng, SALES_CHANNELS, no, np.array([0.45, 0.05, 0.1, 0.25, 0.15])),
                        pick(rng, SALES_CHANNELS, no, np.array([0.5, 0.25, 0.15, 0.03, 0.07])))
    acq = pick(rng, ACQ_CHANNELS, no, np.array([0.25, 0.15, 0.1, 0.08, 0.1, 0.2, 0.06, 0.06]))
    acq[rl_o | hv_o] = "direct"
    acq[use_code] = np.where(rng.random(use_code.sum()) < 0.5, "paid_search", "social")
    dealer = np.full(no, None, dtype=object)
    via = np.flatnonzero(acq == "dealer")
    for c in np.unique(country[via]):
        rows = via[country[via] == c]
        cand = w.dealers.by_country[c] if len(w.dealers.by_country[c]) else np.arange(w.dealers.n)
        dealer[rows] = w.dealers.dealer_id[cand[rng.integers(0, len(cand), len(rows))]]
    o_loaded = o_t + load_lag_us(rng, no, late_share=0.01)
    orders = pa.table([order_id, strs(pop.shop_id[o_c]), _format_placed_at(o_t, COUNTRY_OFFSET_MIN[country]),
                       strs(CUR[cur]), strs(sales_ch), strs(acq), strs(code), strs(dealer), ts(o_loaded)],
                      schema=TABLES["shop.orders"].schema)

    # ---- order lines -------------------------------------------------------------------------------
    k = 1 + rng.poisson(w.lines_per_order - 1, no)
    k[rl_o | hv_o] = np.maximum(k[rl_o | hv_o], 2)
    line_start = np.concatenate([[0], np.cumsum(k)[:-1]])
    l_o = np.repeat(np.arange(no), k)
    nl = len(l_o)
    prod = np.searchsorted(w.cat.popularity, rng.random(nl), side="right").clip(0, w.cat.n - 1)
    lu = w.cat.list_usd[prod]
    l_biz = biz[l_o]
    qty = np.where(l_biz, rng.lognormal(4.6, 1.1, nl), 1 + rng.lognormal(1.0, 0.9, nl)).astype(np.int64)
    target = np.where(rl_o[l_o], rng.uniform(700, 2500, nl), np.where(hv_o[l_o], rng.uniform(1500, 4000, nl), 0))
    special = target > 0
    qty[special] = np.ceil(target[special] / lu[special]).astype(np.int64)
    qty = qty.clip(1, 2_000_000)
    l_cur = cur[l_o]
    rate = _fx_rate(w.fx, o_t[l_o], l_cur)
    vol = np.where(qty >= 1000, 0.9, np.where(qty >= 100, 0.95, 1.0))
    unit = round_money(lu * vol * rng.uniform(0.98, 1.02, nl) / rate, l_cur)
    unit = np.maximum(unit, np.where(l_cur == 4, 1.0, 0.01))
    promo = (~use_code[l_o]) & (rng.random(nl) < 0.03) & ~special
    disc_pct = np.where(promo, 0.05, pct[l_o])
    disc = round_money(disc_pct * qty * unit, l_cur)
    line_net = qty * unit - disc
    order_net = np.bincount(l_o, weights=line_net, minlength=no)
    order_usd = order_net * _fx_rate(w.fx, o_t, cur)
    l_num = ctr.take("order_lines", nl)
    line_id = ids("OL", l_num, 11)
    l_loaded = o_loaded[l_o] + rng.integers(0, 120, nl) * US_PER_SEC
    late_line = rng.random(nl) < 0.003
    l_loaded[late_line] += rng.integers(10 * US_PER_DAY, 40 * US_PER_DAY, late_line.sum())
    # the line total the shop charged (before discount); one line in ten leaves it out (null). Derived from the
    # line number, not the generator, so adding the column changes no other simulated value.
    line_total = pa.array(round_money(qty * unit, l_cur), mask=np.asarray(l_num) % 10 == 7)
    lines = pa.table([line_id, order_id.take(pa.array(l_o)), w.cat.product_id.take(pa.array(prod)),
                      pa.array(qty.astype(np.int32)), pa.array(unit), pa.array(disc), line_total, ts(l_loaded)],
                     schema=TABLES["shop.order_lines"].schema)

    # ---- refunds -----------------------------------------------------------------------------------
    can_refund = ordinary_o & (o_t < END_US - 2 * US_PER_DAY)
    ref_o = np.flatnonzero(can_refund & (rng.random(no) < 0.045))
    nr = len(ref_o)
    whole = rng.random(nr) < 0.4
    pick_line = line_start[ref_o] + (rng.random(nr) * k[ref_o]).astype(np.int64)
    r_amount = np.where(whole, order_net[ref_o], line_net[pick_line] * rng.uniform(0.2, 1.0, nr))
    r_amount = np.maximum(round_money(r_amount, cur[ref_o]), np.where(cur[ref_o] == 4, 1.0, 0.01))
    r_at = np.minimum(o_t[ref_o] + rng.integers(US_PER_DAY, 30 * US_PER_DAY, nr), END_US)
    r_line = line_id.take(pa.array(pick_line))
    r_line = pc.if_else(pa.array(whole), pa.nulls(nr, pa.string()), r_line)
    refunds = pa.table([ids("R", ctr.take("refunds", nr), 9), order_id.take(pa.array(ref_o)), r_line,
                        pa.array(r_amount), strs(CUR[cur[ref_o]]), strs(pick(rng, REFUND_REASONS, nr)), ts(r_at),
                        ts(r_at + load_lag_us(rng, nr))], schema=TABLES["shop.refunds"].schema)

    # ---- loyalty wallet ----------------------------------------------------------------------------
    wallet, wparts = _wallet(rng, w, o_c, o_t, cur, order_id_np, order_usd, order_net, ref_o, r_amount, r_at,
                             ctr)

    # ---- CRM touchpoints ---------------------------------------------------------------------------
    touch = _touchpoints(rng, w, o_c, o_t, o_seg, biz, first, last, cur, c_all, ctr)
    referrals = _referrals(rng, w, c_all, ctr)
    requests, inquiries = _requests(rng, w, c_all, ctr)

    # ---- after-sales tickets -----------------------------------------------------------------------
    tl = np.flatnonzero((rng.random(nl) < 0.005) & (o_t[l_o] < END_US - 4 * US_PER_DAY))
    nt = len(tl)
    t_o = l_o[tl]
    opened = np.minimum(o_t[t_o] + rng.integers(3 * US_PER_DAY, 60 * US_PER_DAY, nt), END_US - US_PER_DAY)
    ctype = pick(rng, COMPLAINTS, nt, np.array([0.15, 0.25, 0.2, 0.25, 0.15]))
    esc = pick(rng, ESCALATIONS, nt, np.array([0.2, 0.1, 0.15, 0.55]))
    esc[ctype == "counterfeit"] = "third_party_lab"
    res = pick(rng, RESOLUTIONS, nt, np.array([0.35, 0.2, 0.15, 0.2, 0.1]))
    closed = opened + rng.integers(US_PER_DAY, 30 * US_PER_DAY, nt)
    still_open = (closed > END_US) | (res == "unresolved") & (rng.random(nt) < 0.5)
    comp = np.where(np.isin(res, ["replaced", "refunded"]), line_net[tl] * rng.uniform(0.3, 1.0, nt), 0.0)
    comp = round_money(comp, cur[t_o])
    t_loaded = np.where(still_open, opened, closed) + load_lag_us(rng, nt)
    tickets = pa.table([ids("TK", ctr.take("tickets", nt), 8), line_id.take(pa.array(tl)),
                        strs(pop.shop_id[o_c[t_o]]), strs(dealer[t_o]), strs(ctype), strs(esc), strs(res),
                        pa.array(comp), strs(CUR[cur[t_o]]), ts(opened), ts(closed, mask=still_open), ts(t_loaded)],
                       schema=TABLES["service.after_sales_tickets"].schema)

    # ---- lottery draws -----------------------------------------------------------------------------
    lot = w.camps.active("lottery", o_t)
    dr = np.flatnonzero((lot >= 0) & (order_usd >= 20))
    nd = len(dr)
    u = rng.random(nd)
    prize = np.full(nd, None, dtype=object)
    for ci in np.unique(lot[dr]):
        rows = np.flatnonzero(lot[dr] == ci)
        pz = np.flatnonzero(w.prizes.campaign_idx == ci)
        edges = np.cumsum(w.prizes.odds[pz])
        hit = np.searchsorted(edges, u[rows], side="right")
        won = hit < len(pz)
        chosen = pz[np.minimum(hit, len(pz) - 1)]
        won &= chosen != w.prizes.unfair  # this prize is advertised but never handed out
        prize[rows[won]] = w.prizes.prize_id[chosen[won]]
    drawn = np.minimum(o_t[dr] + rng.integers(US_PER_MIN, 10 * US_PER_MIN, nd), END_US)
    draws = pa.table([ids("DR", ctr.take("draws", nd), 9), strs(w.camps.campaign_id[lot[dr]]),
                      strs(pop.shop_id[o_c[dr]]), order_id.take(pa.array(dr)), strs(prize), ts(drawn),
                      ts(drawn + load_lag_us(rng, nd))], schema=TABLES["promotions.lottery_draws"].schema)

    # ---- truth fragments ---------------------------------------------------------------------------
    unt = last & (o_seg == UNTENDED)
    tnd = last & (o_seg == TENDED)
    bgo = first & (o_seg == BARGAIN)
    pk = np.flatnonzero(o_k >= 0)
    refund_usd = np.zeros(no)
    refund_usd[ref_o] = r_amount * _fx_rate(w.fx, o_t[ref_o], cur[ref_o])
    truth = {
        "planted_campaign_orders": {"campaign_idx": o_k[pk], "net_after_refunds_usd": order_usd[pk] - refund_usd[pk]},
        "untended_churned": {"cust": o_c[unt], "order_id": order_id_np[unt], "at": o_t[unt]},
        "tended_churned": {"cust": o_c[tnd], "order_id": order_id_np[tnd], "at": o_t[tnd]},
        "bargain_hunters": {"cust": o_c[bgo], "order_id": order_id_np[bgo]},
    }
    protected = order_id_np[~ordinary_o]
    tables = {"shop.orders": orders, "shop.order_lines": lines, "shop.refunds": refunds,
              "loyalty.wallet_transactions": wallet, "crm.touchpoints": touch, "crm.referrals": referrals,
              "shop.custom_order_requests": requests, "shop.reseller_inquiries": inquiries,
              "service.after_sales_tickets": tickets, "promotions.lottery_draws": draws}
    return ChunkResult(tables, *wparts, truth=truth, protected_orders=protected)


def _golden_opted_out(pop: Population) -> np.ndarray:
    """Whether any shop account of each golden customer opted out of outreach, by golden index."""
    return np.bincount(pop.golden_idx, weights=pop.opt_out, minlength=pop.golden_idx.max() + 1) > 0


def _planted_campaign_orders(rng: np.random.Generator, w: World, c_all: np.ndarray, natural_c: np.ndarray,
                             natural_t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Extra orders a campaign's planted lift causes: customers, times and campaign index.

    Every ordinary customer of the block in the group the campaign reaches (loyalty members, or customers who
    accept outreach) who signed up before the campaign and is still active on its first day places Poisson(rate)
    extra orders at uniform times in the window; the rest are not reached.
    A first-order offer converts, with its planted probability, each ordinary customer (one shop account, in
    the customer master) who signs up in the window at least a week before its end and whose own first order
    (natural_c, natural_t) comes more than eight days after signing up: an extra first order with the code
    within three days of signing up (the customer's own orders follow as before)."""
    rng = rng.spawn(1)[0]  # own stream, like the wallet's
    pop, camps = w.pop, w.camps
    rate = camps.planted_rate
    ordinary_c = c_all[pop.segment[c_all] == NORMAL]
    groups = {"loyalty_members": ordinary_c[pop.member_id[ordinary_c] != None],  # noqa: E711
              # the warehouse reads a golden customer as opted out when any of its accounts is
              "outreach_customers": ordinary_c[~_golden_opted_out(pop)[pop.golden_idx[ordinary_c]]]}
    out_c, out_t, out_k = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for ci in np.flatnonzero(rate > 0):
        day0 = (camps.starts[ci] - START_US) // US_PER_DAY
        group = groups[camps.reached_group[ci]]
        reached = group[(pop.created_us[group] < camps.starts[ci]) & (pop.active_from[group] <= day0)
                        & (pop.active_to[group] > day0)]
        n = rng.poisson(rate[ci], len(reached))
        who = np.repeat(reached, n)
        out_c.append(who)
        out_t.append(camps.starts[ci] + (rng.random(len(who)) * (camps.ends[ci] - camps.starts[ci])).astype(np.int64))
        out_k.append(np.full(len(who), ci, np.int64))
    conversion = camps.planted_conversion
    first_t = np.full(len(c_all), END_US + 1, np.int64)
    np.minimum.at(first_t, natural_c - c_all[0], natural_t)
    single_account = np.bincount(pop.golden_idx, minlength=pop.n)[pop.golden_idx[c_all]] == 1
    created = pop.created_us[c_all]
    ordinary = (pop.segment[c_all] == NORMAL) & single_account & ~pop.missing_xwalk[c_all]
    # who would buy anyway, but not within eight days of signing up (a converted customer never looks like a
    # one-order bargain hunter)
    ordinary &= (first_t > created + 8 * US_PER_DAY) & (first_t <= END_US)
    for ci in np.flatnonzero(conversion > 0):
        signed_up = (created >= camps.starts[ci]) & (created < camps.ends[ci] - 7 * US_PER_DAY)
        cand = np.flatnonzero(ordinary & signed_up)
        who = c_all[cand[rng.random(len(cand)) < conversion[ci]]]
        out_c.append(who)
        out_t.append(pop.created_us[who] + rng.integers(10 * US_PER_MIN, 3 * US_PER_DAY, len(who)))
        out_k.append(np.full(len(who), ci, np.int64))
    return np.concatenate(out_c), np.concatenate(out_t), np.concatenate(out_k)


# Recharge tiers in the reporting currency (mirror of seeds/recharge_tiers.csv): a top-up of at least the
# threshold earns the bonus of the highest tier reached, during a recharge-bonus campaign.
TIER_MIN_USD = np.array([100.0, 300.0, 1000.0])
TIER_BONUS_USD = np.array([10.0, 50.0, 200.0])
POINTS_EXPIRY_US = 365 * US_PER_DAY  # seeds/loyalty_programme_rules.csv points_expiry_days
MAX_WALLET_ORDER_USD = 1500.0  # larger orders are paid by card, not from the wallet


def _ceil_money(amount: np.ndarray, currency_idx: np.ndarray) -> np.ndarray:
    """Round amounts up to the minor unit of their currency."""
    scale = 10.0 ** CURRENCY_DECIMALS[currency_idx]
    return np.ceil(np.round(amount * scale, 6)) / scale


def _group_starts(keys: np.ndarray) -> np.ndarray:
    """Boolean mask of the first row of each run of equal keys (keys sorted)."""
    first = np.ones(len(keys), bool)
    first[1:] = keys[1:] != keys[:-1]
    return first


def _fifo_expiry(lot_c: np.ndarray, lot_at: np.ndarray, lot_pts: np.ndarray, use_c: np.ndarray,
                 use_at: np.ndarray, use_pts: np.ndarray) -> np.ndarray:
    """Points expiring from each lot when consumption takes the oldest-expiring lot first.

    Lots must be sorted by (customer, earn time). With E_j the customer's points earned up to lot j and R(T)
    the points redeemed or taken back before lot j expires at T_j, the cumulative expiry through lot j is
    max(0, max over i <= j of E_i - R(T_i)); a lot's expiry is the increase of that running maximum."""
    n = len(lot_c)
    if n == 0:
        return np.zeros(0, np.int64)
    first = _group_starts(lot_c)
    grp = np.cumsum(first) - 1
    cum = np.cumsum(lot_pts)
    offset = np.concatenate([[0], cum[:-1]])[first][grp]
    earned_through = cum - offset
    expiry_at = lot_at + POINTS_EXPIRY_US
    # merge the expiry instants (weight 0, sorted before a use at the same instant) with the uses
    m_c = np.concatenate([lot_c, use_c])
    m_at = np.concatenate([expiry_at, use_at])
    m_kind = np.concatenate([np.zeros(n, np.int8), np.ones(len(use_c), np.int8)])
    m_w = np.concatenate([np.zeros(n, np.int64), use_pts.astype(np.int64)])
    order = np.lexsort((m_kind, m_at, m_c))
    w_sorted = m_w[order]
    cum_incl = np.cumsum(w_sorted)
    m_first = _group_starts(m_c[order])
    base = (cum_incl - w_sorted)[m_first][np.cumsum(m_first) - 1]
    used_sorted = cum_incl - base
    used = np.empty(len(order), np.int64)
    used[order] = used_sorted
    used_before = used[:n]
    v = np.maximum(earned_through - used_before, 0).astype(np.int64)
    big = np.int64(v.max() + 1)
    running = np.maximum.accumulate(v + grp * big) - grp * big
    prev = np.concatenate([[0], running[:-1]])
    prev[first] = 0
    return running - prev


def _wallet(rng: np.random.Generator, w: World, o_c: np.ndarray, o_t: np.ndarray, cur: np.ndarray,
            order_id: np.ndarray, order_usd: np.ndarray, order_net: np.ndarray, ref_o: np.ndarray,
            r_amount: np.ndarray, r_at: np.ndarray, ctr: Counters) -> tuple[pa.Table, tuple[np.ndarray, ...]]:
    """Wallet and points movements that behave like a real loyalty system.

    Every wallet order is preceded by its own top-up of at least the order amount, so the wallet never spends
    more than it holds; top-ups during a recharge-bonus campaign earn the bonus of the highest recharge tier
    reached in the reporting currency. Points are earned per order in lots; a refund takes back the refunded
    share of the order's points (a negative `points_earned` row); redemptions never exceed a lot's points;
    unredeemed points expire 365 days after earning, consumption taking the oldest-expiring lot first."""
    rng = rng.spawn(1)[0]  # own stream: changes here leave the other tables of the block untouched
    pop = w.pop
    no = len(o_c)
    mem = pop.member_id[o_c] != None  # noqa: E711
    mo = np.flatnonzero(mem)
    types, amount, points, t_at, oid, camp, owner = [], [], [], [], [], [], []

    def add(tp: int, amt: np.ndarray, pts: np.ndarray, at: np.ndarray, orders: np.ndarray | None,
            cmp: np.ndarray | None, own: np.ndarray) -> None:
        n = len(at)
        types.append(np.full(n, tp, np.int8))
        amount.append(np.asarray(amt, dtype=float))
        points.append(np.asarray(pts, dtype=np.int64))
        t_at.append(np.minimum(np.asarray(at, dtype=np.int64), END_US))
        oid.append(np.full(n, None, dtype=object) if orders is None else orders)
        camp.append(np.full(n, None, dtype=object) if cmp is None else cmp)
        owner.append(own)

    refund_share = np.zeros(no)
    refund_share[ref_o] = np.minimum(r_amount / np.maximum(order_net[ref_o], 1e-9), 1.0)
    refund_at = np.full(no, -1, np.int64)
    refund_at[ref_o] = r_at

    # ---- points: lots earned on member orders (doubled during points campaigns) -------------------------
    mult = w.camps.active("points_multiplier", o_t[mo])
    pts = np.floor(order_usd[mo]).astype(np.int64) * np.where(mult >= 0, 2, 1)
    ok = pts > 0
    e_o, e_pts = mo[ok], pts[ok]
    e_at = o_t[e_o] + rng.integers(US_PER_MIN, 30 * US_PER_MIN, len(e_o))
    e_camp = np.where(mult[ok] >= 0, w.camps.campaign_id[np.maximum(mult[ok], 0)], None)
    add(4, np.zeros(len(e_o)), e_pts, e_at, order_id[e_o], e_camp, o_c[e_o])
    # a refund takes back the refunded share of the points the order earned
    tb_at = np.minimum(refund_at[e_o] + 2 * US_PER_MIN, END_US)
    tb = np.floor(e_pts * refund_share[e_o] + 1e-9).astype(np.int64)
    tk = (refund_at[e_o] >= 0) & (tb > 0)
    tb = np.where(tk, tb, 0)
    add(4, np.zeros(tk.sum()), -tb[tk], tb_at[tk], order_id[e_o[tk]], None, o_c[e_o[tk]])
    # redemptions: part of what is left of a lot, never more
    red = rng.random(len(e_o)) < 0.3
    red_pts = np.floor((e_pts - tb) * rng.uniform(0.3, 1.0, len(e_o))).astype(np.int64)
    red_at = e_at + rng.integers(5 * US_PER_DAY, 200 * US_PER_DAY, len(e_o))
    rk = red & (red_pts > 0) & (red_at < END_US)
    add(5, np.zeros(rk.sum()), -red_pts[rk], red_at[rk], None, None, o_c[e_o[rk]])
    # goodwill points granted by support staff: a lot like any other
    ma = mo[rng.random(len(mo)) < 0.01]
    is_pts = rng.random(len(ma)) < 0.5
    ma_at = np.minimum(o_t[ma] + rng.integers(US_PER_DAY, 20 * US_PER_DAY, len(ma)), END_US)
    g_pts = rng.integers(10, 100, len(ma))
    add(7, np.zeros(is_pts.sum()), g_pts[is_pts], ma_at[is_pts], None, None, o_c[ma[is_pts]])
    # expiry 365 days after earning, of what the oldest-expiring-first rule leaves in each lot
    lot_c = np.concatenate([o_c[e_o], o_c[ma[is_pts]]])
    lot_at = np.concatenate([e_at, ma_at[is_pts]])
    lot_pts = np.concatenate([e_pts, g_pts[is_pts]])
    srt = np.lexsort((lot_at, lot_c))
    lot_c, lot_at, lot_pts = lot_c[srt], lot_at[srt], lot_pts[srt]
    use_c = np.concatenate([o_c[e_o[tk]], o_c[e_o[rk]]])
    use_at = np.concatenate([tb_at[tk], red_at[rk]])
    use_pts = np.concatenate([tb[tk], red_pts[rk]])
    expired = _fifo_expiry(lot_c, lot_at, lot_pts, use_c, use_at, use_pts)
    exp_at = lot_at + POINTS_EXPIRY_US
    ek = (expired > 0) & (exp_at < END_US)
    add(6, np.zeros(ek.sum()), -expired[ek], exp_at[ek], None, None, lot_c[ek])

    # ---- wallet money: each wallet order is funded by a top-up just before it ---------------------------
    sp = mo[(rng.random(len(mo)) < 0.4) & (order_usd[mo] <= MAX_WALLET_ORDER_USD)]
    c = cur[sp]
    add(2, -order_net[sp], np.zeros(len(sp)), o_t[sp] + 5 * US_PER_SEC, order_id[sp], None, o_c[sp])
    tu_at = np.maximum(o_t[sp] - rng.integers(US_PER_HOUR, 10 * US_PER_DAY, len(sp)), START_US)
    tu_rate = _fx_rate(w.fx, tu_at, c)
    wish_usd = np.array([50.0, 100.0, 300.0, 1000.0])[rng.choice(4, len(sp), p=[0.2, 0.45, 0.25, 0.1])]
    wish_usd = np.maximum(wish_usd, np.ceil(order_usd[sp] / 10) * 10)
    tu_amt = np.maximum(_ceil_money(wish_usd / tu_rate, c), order_net[sp])
    add(0, tu_amt, np.zeros(len(sp)), tu_at, None, None, o_c[sp])
    rb = w.camps.active("recharge_bonus", tu_at)
    tier = np.searchsorted(TIER_MIN_USD, np.round(tu_amt * tu_rate, 4), side="right") - 1
    bk = (rb >= 0) & (tier >= 0)
    bonus = round_money(TIER_BONUS_USD[tier[bk]] / tu_rate[bk], c[bk])
    add(1, bonus, np.zeros(bk.sum()), tu_at[bk] + US_PER_SEC, None, w.camps.campaign_id[rb[bk]], o_c[sp[bk]])
    # refunds of wallet-paid orders are credited back to the wallet
    paid = np.zeros(no, bool)
    paid[sp] = True
    rc = paid[ref_o]
    add(3, r_amount[rc], np.zeros(rc.sum()), r_at[rc] + US_PER_MIN, order_id[ref_o[rc]], None, o_c[ref_o[rc]])
    # goodwill money credited by support staff
    mm = ~is_pts
    add(7, round_money(rng.uniform(1, 20, mm.sum()) / USD_PER_UNIT[cur[ma[mm]]], cur[ma[mm]]), np.zeros(mm.sum()),
        ma_at[mm], None, None, o_c[ma[mm]])

    tp = np.concatenate(types)
    amt = np.concatenate(amount)
    pt = np.concatenate(points)
    at = np.concatenate(t_at)
    oi = np.concatenate(oid)
    cm = np.concatenate(camp)
    ow = np.concatenate(owner)
    srt = np.lexsort((tp, at))
    tp, amt, pt, at, oi, cm, ow = tp[srt], amt[srt], pt[srt], at[srt], oi[srt], cm[srt], ow[srt]
    n = len(tp)
    wcur = pop.currency[ow]
    late = rng.random(n) < 0.005
    loaded = at + load_lag_us(rng, n)
    loaded[late] += rng.integers(10 * US_PER_DAY, 30 * US_PER_DAY, late.sum())
    table = pa.table([ids("W", ctr.take("wallet", n), 11), strs(pop.member_id[ow]),
                      strs(np.array(TX_TYPES, dtype=object)[tp]), pa.array(amt), pa.array(pt.astype(np.int32)),
                      strs(CUR[wcur]), strs(oi), strs(cm), ts(at), ts(loaded)],
                     schema=TABLES["loyalty.wallet_transactions"].schema)
    day = (at - START_US) // US_PER_DAY
    amt_usd = amt * _fx_rate(w.fx, at, wcur)  # the loyalty system reports its daily totals in USD
    return table, (day, tp.astype(np.int64), amt_usd, pt)


def _touchpoints(rng: np.random.Generator, w: World, o_c: np.ndarray, o_t: np.ndarray, o_seg: np.ndarray,
                 biz: np.ndarray, first: np.ndarray, last: np.ndarray, cur: np.ndarray, c_all: np.ndarray,
                 ctr: Counters) -> pa.Table:
    pop = w.pop
    crm = pop.crm_id[o_c] != None  # noqa: E711
    p = np.where(biz, 0.45, 0.12)
    lag = rng.integers(12 * US_PER_HOUR, 10 * US_PER_DAY, len(o_c))
    # tended customers: a touchpoint within a few days of every order
    tnd = o_seg == TENDED
    p[tnd] = 1.0
    lag[tnd] = rng.integers(6 * US_PER_HOUR, 3 * US_PER_DAY, tnd.sum())
    unt = o_seg == UNTENDED
    p[unt] = 0.85
    lag[unt] = rng.integers(6 * US_PER_HOUR, 5 * US_PER_DAY, unt.sum())
    p[unt & last] = 0.0  # the last order of an untended customer is never followed up
    # ordinary customers who go quiet still got a follow-up after their last order
    quiet = last & (o_t < END_US - 45 * US_PER_DAY) & ~unt
    p[quiet] = 1.0
    lag[quiet] = rng.integers(6 * US_PER_HOUR, 5 * US_PER_DAY, quiet.sum())
    sel = np.flatnonzero(crm & (rng.random(len(o_c)) < p))
    at = o_t[sel] + lag[sel]
    who = o_c[sel]
    tt = pick(rng, TOUCH_TYPES, len(sel), np.array([0.45, 0.1, 0.35, 0.0, 0.1]))
    # December greeting cards for business contacts
    b = c_all[pop.business[c_all] & (pop.crm_id[c_all] != None) & (pop.segment[c_all] != UNTENDED)]  # noqa: E711
    card_c = np.concatenate([b, b])
    card_t = np.concatenate([np.full(len(b), START_US + 40 * US_PER_DAY), np.full(len(b), START_US + 405 * US_PER_DAY)])
    card_t = card_t + rng.integers(0, 10 * US_PER_DAY, len(card_c))
    who = np.concatenate([who, card_c])
    at = np.concatenate([at, card_t])
    tt = np.concatenate([tt, np.full(len(card_c), "greeting_card", dtype=object)])
    keep = at < END_US
    who, at, tt = who[keep], at[keep], tt[keep]
    srt = np.lexsort((who, at))
    who, at, tt = who[srt], at[srt], tt[srt]
    n = len(who)
    cost_usd = np.select([tt == x for x in TOUCH_TYPES], TOUCH_COST_USD) * rng.uniform(0.8, 1.2, n)
    c = pop.currency[who]
    cost = round_money(cost_usd / USD_PER_UNIT[c], c)
    emp = ids("E", rng.integers(1, 120, n), 3)
    return pa.table([ids("T", ctr.take("touchpoints", n), 10), strs(pop.crm_id[who]), strs(tt), emp,
                     pa.array(cost), strs(CUR[c]), ts(at), ts(at + load_lag_us(rng, n))],
                    schema=TABLES["crm.touchpoints"].schema)


def _referrals(rng: np.random.Generator, w: World, c_all: np.ndarray, ctr: Counters) -> pa.Table:
    pop = w.pop
    seg = pop.segment[c_all]
    rl = c_all[np.isin(seg, RESELLER_LIKE)]
    months = np.datetime64("2024-11", "M") + np.arange(24)
    m_start = months.astype("datetime64[D]").astype(np.int64) * US_PER_DAY
    m_len = ((months + 1).astype("datetime64[D]").astype(np.int64) * US_PER_DAY) - m_start
    per = 1 + (rng.random((len(rl), 24)) < 0.5)
    r_c = np.repeat(np.repeat(rl, 24), per.ravel())
    r_m = np.repeat(np.tile(np.arange(24), len(rl)), per.ravel())
    r_t = m_start[r_m] + (rng.random(len(r_m)) * (m_len[r_m] - US_PER_HOUR)).astype(np.int64)
    others = c_all[(seg == NORMAL) & (pop.crm_id[c_all] != None) & (rng.random(len(c_all)) < 0.04)]  # noqa: E711
    kk = rng.integers(1, 4, len(others))
    o_c = np.repeat(others, kk)
    o_t = START_US + rng.integers(0, (N_DAYS - 1) * US_PER_DAY, len(o_c))
    who = np.concatenate([r_c, o_c])
    at = np.concatenate([r_t, o_t])
    n = len(who)
    first, last, full = person_names(rng, n)
    conv = np.full(n, None, dtype=object)
    cv = rng.random(n) < 0.3
    conv[cv] = w.all_crm[rng.integers(0, len(w.all_crm), cv.sum())]
    return pa.table([ids("RF", ctr.take("referrals", n), 9), strs(pop.crm_id[who]), strs(full),
                     strs(emails(rng, first, last)), strs(phones(rng, pop.country[who])), strs(conv), ts(at),
                     ts(at + load_lag_us(rng, n))], schema=TABLES["crm.referrals"].schema)


def _requests(rng: np.random.Generator, w: World, c_all: np.ndarray, ctr: Counters) -> tuple[pa.Table, pa.Table]:
    pop = w.pop
    seg = pop.segment[c_all]
    rl = c_all[np.isin(seg, RESELLER_LIKE)]
    rc, rt = _regular(rng, rl, START_US + rng.integers(0, 25 * US_PER_DAY, len(rl)), np.full(len(rl), END_US),
                      30, 55)
    ob = c_all[(seg == NORMAL) & pop.business[c_all] & (rng.random(len(c_all)) < 0.08)]
    kk = rng.integers(1, 4, len(ob))
    oc = np.repeat(ob, kk)
    ot = START_US + rng.integers(0, (N_DAYS - 1) * US_PER_DAY, len(oc))
    who = np.concatenate([rc, oc])
    at = np.maximum(np.concatenate([rt, ot]), pop.created_us[who] + US_PER_HOUR)
    n = len(who)
    q = (rng.lognormal(8, 1, n)).astype(np.int64).clip(100) // 100 * 100
    desc = np.array([REQUEST_TEXT[i].format(q=qq) for i, qq in zip(rng.integers(0, len(REQUEST_TEXT), n), q,
                                                                     strict=True)], dtype=object)
    req = pa.table([ids("CR", ctr.take("requests", n), 8), strs(pop.shop_id[who]),
                    strs(pick(rng, np.array(CATEGORIES, dtype=object), n)), pa.array(q.astype(np.int32)), strs(desc),
                    ts(at), ts(at + load_lag_us(rng, n))], schema=TABLES["shop.custom_order_requests"].schema)
    k1 = rng.integers(1, 3, len(rl))
    ib = c_all[(seg == NORMAL) & pop.business[c_all] & (rng.random(len(c_all)) < 0.03)]
    who = np.concatenate([np.repeat(rl, k1), ib])
    m = len(who)
    at = np.maximum(START_US + rng.integers(0, (N_DAYS - 1) * US_PER_DAY, m), pop.created_us[who] + US_PER_HOUR)
    inq = pa.table([ids("RI", ctr.take("inquiries", m), 7), strs(pop.shop_id[who]), strs(pick(rng, INQ_CHANNELS, m)),
                    strs(pick(rng, INQ_MESSAGES, m)), ts(at), ts(at + load_lag_us(rng, m))],
                   schema=TABLES["shop.reseller_inquiries"].schema)
    return req, inq
