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
(TOP_UP, TOP_UP_BONUS, SPEND, REFUND_CREDIT, POINTS_EARNED, POINTS_REDEEMED, POINTS_EXPIRED,
 MANUAL_ADJUSTMENT) = range(len(TX_TYPES))  # positions in TX_TYPES
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

    population: Population
    catalog: Catalog
    campaigns: Campaigns
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


def _fx_rate(fx: np.ndarray, at: np.ndarray, currency: np.ndarray) -> np.ndarray:
    """USD per unit of each currency on the day of `at` (before or after the rates' days: their first or last)."""
    day = (at // US_PER_DAY - FX_DAY0).clip(0, len(fx) - 1)
    return fx[day, currency]


def _regular(rng: np.random.Generator, customers: np.ndarray, start: np.ndarray, end: np.ndarray,
             min_gap_days: float, max_gap_days: float) -> tuple[np.ndarray, np.ndarray]:
    """Roughly periodic events of each customer from its start until before its end, min_gap_days to
    max_gap_days apart. Returns the customer and time of each event."""
    if len(customers) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    max_events = int(np.ceil((end - start).max() / (min_gap_days * US_PER_DAY))) + 1
    gaps = (rng.uniform(min_gap_days, max_gap_days, (len(customers), max_events)) * US_PER_DAY).astype(np.int64)
    gaps[:, 0] = 0
    at = start[:, None] + np.cumsum(gaps, axis=1)
    before_end = at < end[:, None]
    row, _ = np.nonzero(before_end)
    return customers[row], at[before_end]


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


@dataclass
class BlockOrders:
    """The orders of one customer block, in placement order (order ids follow placement time)."""

    customer: np.ndarray  # shop customer index of each order
    placed_at: np.ndarray  # UTC microseconds, whole seconds
    planted_campaign: np.ndarray  # campaign whose planted lift placed the order, -1 for organic orders
    is_first: np.ndarray  # the customer's first order
    is_last: np.ndarray  # the customer's last order
    orders_of_customer: np.ndarray  # how many orders the order's customer places in the window
    segment: np.ndarray
    currency: np.ndarray
    country: np.ndarray
    business: np.ndarray
    order_id: pa.Array
    order_id_values: np.ndarray  # the same ids as a numpy object array

    @property
    def count(self) -> int:
        return len(self.customer)

    @property
    def is_ordinary(self) -> np.ndarray:
        """Orders of ordinary customers (no planted behaviour; duplicates of a customer included)."""
        return np.isin(self.segment, (NORMAL, DUPLICATE))

    @property
    def is_reseller_like(self) -> np.ndarray:
        return np.isin(self.segment, RESELLER_LIKE)

    @property
    def is_high_value(self) -> np.ndarray:
        return self.segment == HIGH_VALUE


@dataclass
class OrderTerms:
    """What the shop recorded on each order besides its lines: welcome code, channels, dealer, load time."""

    table: pa.Table
    uses_welcome_code: np.ndarray
    welcome_discount_pct: np.ndarray  # the welcome code's discount, 0 without a code
    dealer_id: np.ndarray  # the dealer an order came through, None for direct orders
    loaded_at: np.ndarray


@dataclass
class BlockLines:
    """The order lines of one customer block and the order amounts they add up to."""

    table: pa.Table
    line_id: pa.Array
    order_index: np.ndarray  # index into BlockOrders of each line's order
    lines_of_order: np.ndarray  # number of lines of each order
    first_line_of_order: np.ndarray  # index of each order's first line
    line_net: np.ndarray  # quantity * unit price - discount, in the order's currency
    order_net: np.ndarray  # sum of the order's line_net
    order_net_usd: np.ndarray  # order_net in USD at the day's rate


@dataclass
class BlockRefunds:
    """The refunds of one customer block."""

    table: pa.Table
    order_index: np.ndarray  # index into BlockOrders of each refunded order
    amount: np.ndarray  # in the order's currency
    refunded_at: np.ndarray


def simulate_block(rng: np.random.Generator, world: World, first_customer: int, end_customer: int,
                   counters: Counters) -> ChunkResult:
    """Simulate all activity of shop customers first_customer..end_customer-1.

    Each step draws from `rng` in turn (the wallet and the planted campaign orders from their own streams), so
    the same seed gives the same tables; a step moved or drawing differently changes every table after it."""
    customers = np.arange(first_customer, end_customer)
    order_customer, order_time, order_campaign = _order_times(rng, world, customers)
    orders = _place_orders(world, customers, order_customer, order_time, order_campaign, counters)
    terms = _order_terms(rng, world, orders)
    lines = _order_lines(rng, world, orders, terms, counters)
    refunds = _refunds(rng, orders, lines, counters)
    wallet, wallet_totals = _wallet(rng, world, orders, lines, refunds, counters)
    touchpoints = _touchpoints(rng, world, orders, customers, counters)
    referrals = _referrals(rng, world, customers, counters)
    requests = _custom_order_requests(rng, world, customers, counters)
    inquiries = _reseller_inquiries(rng, world, customers, counters)
    tickets = _after_sales_tickets(rng, world, orders, terms, lines, counters)
    draws = _lottery_draws(rng, world, orders, lines, counters)
    tables = {"shop.orders": terms.table, "shop.order_lines": lines.table, "shop.refunds": refunds.table,
              "loyalty.wallet_transactions": wallet, "crm.touchpoints": touchpoints, "crm.referrals": referrals,
              "shop.custom_order_requests": requests, "shop.reseller_inquiries": inquiries,
              "service.after_sales_tickets": tickets, "promotions.lottery_draws": draws}
    return ChunkResult(tables, *wallet_totals, truth=_truth_fragments(world, orders, lines, refunds),
                       protected_orders=orders.order_id_values[~orders.is_ordinary])


def _order_times(rng: np.random.Generator, world: World, customers: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """When each customer of the block orders, by segment, plus the orders planted campaigns cause.

    Returns the ordering customer, the time (UTC microseconds, not yet clamped to the window) and the campaign
    whose planted lift placed the order (-1 for a customer's own orders), in no particular order."""
    segment = world.population.segment[customers]
    own_orders = [
        _ordinary_order_times(rng, world.population, customers[np.isin(segment, (NORMAL, DUPLICATE))]),
        _reseller_order_times(rng, customers[np.isin(segment, RESELLER_LIKE)]),
        _churner_order_times(rng, customers[np.isin(segment, (UNTENDED, TENDED))]),
        _high_value_order_times(rng, customers[segment == HIGH_VALUE]),
        _bargain_hunter_order_times(rng, world, customers[segment == BARGAIN]),
    ]
    own_customer = [who for who, _ in own_orders]
    own_time = [at for _, at in own_orders]
    own_campaign = [np.full(len(who), -1, np.int64) for who in own_customer]
    planted_customer, planted_time, planted_campaign = _planted_campaign_orders(
        rng, world, customers, np.concatenate(own_customer), np.concatenate(own_time))
    return (np.concatenate([*own_customer, planted_customer]), np.concatenate([*own_time, planted_time]),
            np.concatenate([*own_campaign, planted_campaign]))


def _ordinary_order_times(rng: np.random.Generator, population: Population, customers: np.ndarray
                          ) -> tuple[np.ndarray, np.ndarray]:
    """Ordinary customers place their number of orders on days of their active period, busier days more likely
    (the population's day weights), at a local time of day typical for shopping."""
    order_customer = np.repeat(customers, population.n_orders[customers])
    first_day, end_day = population.active_from[order_customer], population.active_to[order_customer]
    cumulative_weight = population.day_cum
    u = cumulative_weight[first_day] + rng.random(len(order_customer)) * (
        cumulative_weight[end_day] - cumulative_weight[first_day])
    day = (np.searchsorted(cumulative_weight, u, side="right") - 1).clip(first_day, end_day - 1)
    placed_at = (START_US + day * US_PER_DAY + local_time_of_day_us(rng, len(order_customer))
                 - COUNTRY_OFFSET_MIN[population.country[order_customer]] * US_PER_MIN)
    return order_customer, placed_at


def _reseller_order_times(rng: np.random.Generator, customers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reseller-like customers restock every 15 to 30 days through the whole window."""
    first_order = START_US + rng.integers(0, 15 * US_PER_DAY, len(customers))
    return _regular(rng, customers, first_order, np.full(len(customers), END_US), 15, 30)


def _churner_order_times(rng: np.random.Generator, customers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Tended and untended customers order every 24 to 36 days until they churn, between day 230 and 120 days
    before the window's end."""
    churn_at = START_US + rng.integers(230, N_DAYS - 120, len(customers)) * US_PER_DAY
    first_order = START_US + rng.integers(0, 20 * US_PER_DAY, len(customers))
    return _regular(rng, customers, first_order, churn_at, 24, 36)


def _high_value_order_times(rng: np.random.Generator, customers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """High-value customers place two (large) orders at any time in the window."""
    return np.repeat(customers, 2), START_US + rng.integers(0, (N_DAYS - 5) * US_PER_DAY, 2 * len(customers))


def _bargain_hunter_order_times(rng: np.random.Generator, world: World, customers: np.ndarray
                                ) -> tuple[np.ndarray, np.ndarray]:
    """Bargain hunters buy once, 8 to 15 days after signing up, with a welcome code: one who would buy between
    welcome offers waits for the next one (so they never buy within a week of signing up, offer or not)."""
    placed_at = world.population.created_us[customers] + rng.integers(8 * US_PER_DAY, 15 * US_PER_DAY, len(customers))
    waits = world.campaigns.active("first_order_discount", placed_at) < 0
    placed_at[waits] = world.campaigns.next_start("first_order_discount", placed_at[waits]) + rng.integers(
        US_PER_MIN, 7 * US_PER_DAY, waits.sum())
    return customers, np.minimum(placed_at, END_US - US_PER_DAY)


def _place_orders(world: World, customers: np.ndarray, order_customer: np.ndarray, order_time: np.ndarray,
                  order_campaign: np.ndarray, counters: Counters) -> BlockOrders:
    """Orders as the shop records them: placed at least ten minutes after the customer's account exists and
    inside the window, to the second, numbered in placement order."""
    population = world.population
    order_time = np.maximum(order_time, np.maximum(population.created_us[order_customer], START_US) + 10 * US_PER_MIN)
    order_time = (np.minimum(order_time, END_US - US_PER_MIN) // US_PER_SEC) * US_PER_SEC
    by_customer = np.lexsort((order_time, order_customer))
    order_customer, order_time = order_customer[by_customer], order_time[by_customer]
    order_campaign = order_campaign[by_customer]
    is_first = _group_starts(order_customer)
    is_last = np.ones(len(order_customer), bool)
    is_last[:-1] = order_customer[1:] != order_customer[:-1]
    orders_per_customer = np.bincount(order_customer - customers[0], minlength=len(customers))
    by_time = np.argsort(order_time, kind="stable")
    order_customer, order_time = order_customer[by_time], order_time[by_time]
    order_id = ids("O", counters.take("orders", len(order_customer)), 10)
    return BlockOrders(
        customer=order_customer, placed_at=order_time, planted_campaign=order_campaign[by_time],
        is_first=is_first[by_time], is_last=is_last[by_time],
        orders_of_customer=orders_per_customer[order_customer - customers[0]],
        segment=population.segment[order_customer], currency=population.currency[order_customer],
        country=population.country[order_customer], business=population.business[order_customer], order_id=order_id,
        order_id_values=np.array(order_id.to_pylist(), dtype=object))


def _order_terms(rng: np.random.Generator, world: World, orders: BlockOrders) -> OrderTerms:
    """The shop's order rows: welcome codes, sales and acquisition channels, the dealer an order came through,
    and when the row reached the export (1% of rows late)."""
    uses_code, code, discount_pct = _welcome_codes(rng, world, orders)
    sales_channel, acquisition_channel, dealer = _order_channels(rng, world, orders, uses_code)
    n = orders.count
    loaded_at = orders.placed_at + load_lag_us(rng, n, late_share=0.01)
    table = pa.table([orders.order_id, strs(world.population.shop_id[orders.customer]),
                      _format_placed_at(orders.placed_at, COUNTRY_OFFSET_MIN[orders.country]),
                      strs(CUR[orders.currency]), strs(sales_channel), strs(acquisition_channel), strs(code),
                      strs(dealer), ts(loaded_at)], schema=TABLES["shop.orders"].schema)
    return OrderTerms(table, uses_code, discount_pct, dealer, loaded_at)


def _welcome_codes(rng: np.random.Generator, world: World, orders: BlockOrders
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which first orders placed during a welcome (first-order discount) campaign use its code: every bargain
    hunter's, 30% of new ordinary customers' who order at least twice, and every order a welcome campaign's
    planted conversion placed. Returns the mask, the code (None without) and the discount percentage."""
    welcome = world.campaigns.active("first_order_discount", orders.placed_at)
    first_in_welcome = orders.is_first & (welcome >= 0)
    uses_code = first_in_welcome & (orders.segment == BARGAIN)
    new_customer = world.population.created_us[orders.customer] >= START_US
    uses_code |= (first_in_welcome & orders.is_ordinary & new_customer & (orders.orders_of_customer >= 2)
                  & (rng.random(orders.count) < 0.3))
    planted = orders.planted_campaign
    planted_welcome = world.campaigns.ctype[np.maximum(planted, 0)] == "first_order_discount"
    uses_code |= first_in_welcome & (planted >= 0) & planted_welcome
    code = np.full(orders.count, None, dtype=object)
    code[uses_code] = world.campaigns.code[welcome[uses_code]]
    discount_pct = np.where(uses_code, world.campaigns.discount_pct[np.maximum(welcome, 0)], 0.0)
    return uses_code, code, discount_pct


def _order_channels(rng: np.random.Generator, world: World, orders: BlockOrders, uses_code: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sales channel (businesses order more by phone), acquisition channel (resellers and high-value customers
    come direct, welcome-code orders from paid search or social) and, for orders acquired through a dealer, a
    dealer of the customer's country (any dealer if the country has none)."""
    n = orders.count
    sales_channel = np.where(orders.business,
                             pick(rng, SALES_CHANNELS, n, np.array([0.45, 0.05, 0.1, 0.25, 0.15])),
                             pick(rng, SALES_CHANNELS, n, np.array([0.5, 0.25, 0.15, 0.03, 0.07])))
    acquisition_channel = pick(rng, ACQ_CHANNELS, n, np.array([0.25, 0.15, 0.1, 0.08, 0.1, 0.2, 0.06, 0.06]))
    acquisition_channel[orders.is_reseller_like | orders.is_high_value] = "direct"
    acquisition_channel[uses_code] = np.where(rng.random(uses_code.sum()) < 0.5, "paid_search", "social")
    dealer = np.full(n, None, dtype=object)
    via_dealer = np.flatnonzero(acquisition_channel == "dealer")
    for country in np.unique(orders.country[via_dealer]):
        rows = via_dealer[orders.country[via_dealer] == country]
        candidates = world.dealers.by_country[country]
        if not len(candidates):
            candidates = np.arange(world.dealers.n)
        dealer[rows] = world.dealers.dealer_id[candidates[rng.integers(0, len(candidates), len(rows))]]
    return sales_channel, acquisition_channel, dealer


def _order_lines(rng: np.random.Generator, world: World, orders: BlockOrders, terms: OrderTerms,
                 counters: Counters) -> BlockLines:
    """Lines of each order: products by popularity, quantities (businesses buy in bulk; resellers and high-value
    customers fill large lines), unit prices from list price with volume breaks, the welcome code's or a 3%
    chance of a 5% promotion discount; rows land within two minutes of their order (0.3% 10 to 40 days late)."""
    reseller_like, high_value = orders.is_reseller_like, orders.is_high_value
    lines_of_order = 1 + rng.poisson(world.lines_per_order - 1, orders.count)
    lines_of_order[reseller_like | high_value] = np.maximum(lines_of_order[reseller_like | high_value], 2)
    first_line_of_order = np.concatenate([[0], np.cumsum(lines_of_order)[:-1]])
    order_index = np.repeat(np.arange(orders.count), lines_of_order)
    n = len(order_index)
    product = np.searchsorted(world.catalog.popularity, rng.random(n), side="right").clip(0, world.catalog.n - 1)
    list_usd = world.catalog.list_usd[product]
    quantity = np.where(orders.business[order_index], rng.lognormal(4.6, 1.1, n),
                        1 + rng.lognormal(1.0, 0.9, n)).astype(np.int64)
    # resellers and high-value customers buy enough of a product to reach a line value in USD
    target_usd = np.where(reseller_like[order_index], rng.uniform(700, 2500, n),
                          np.where(high_value[order_index], rng.uniform(1500, 4000, n), 0))
    large_line = target_usd > 0
    quantity[large_line] = np.ceil(target_usd[large_line] / list_usd[large_line]).astype(np.int64)
    quantity = quantity.clip(1, 2_000_000)
    currency = orders.currency[order_index]
    rate = _fx_rate(world.fx, orders.placed_at[order_index], currency)
    volume_factor = np.where(quantity >= 1000, 0.9, np.where(quantity >= 100, 0.95, 1.0))
    unit_price = round_money(list_usd * volume_factor * rng.uniform(0.98, 1.02, n) / rate, currency)
    unit_price = np.maximum(unit_price, np.where(currency == 4, 1.0, 0.01))
    promotion = (~terms.uses_welcome_code[order_index]) & (rng.random(n) < 0.03) & ~large_line
    discount_pct = np.where(promotion, 0.05, terms.welcome_discount_pct[order_index])
    discount = round_money(discount_pct * quantity * unit_price, currency)
    line_net = quantity * unit_price - discount
    order_net = np.bincount(order_index, weights=line_net, minlength=orders.count)
    order_net_usd = order_net * _fx_rate(world.fx, orders.placed_at, orders.currency)
    line_number = counters.take("order_lines", n)
    line_id = ids("OL", line_number, 11)
    loaded_at = terms.loaded_at[order_index] + rng.integers(0, 120, n) * US_PER_SEC
    late = rng.random(n) < 0.003
    loaded_at[late] += rng.integers(10 * US_PER_DAY, 40 * US_PER_DAY, late.sum())
    # the line total the shop charged (before discount); one line in ten leaves it out (null). Derived from the
    # line number, not the generator, so adding the column changes no other simulated value.
    line_total = pa.array(round_money(quantity * unit_price, currency), mask=np.asarray(line_number) % 10 == 7)
    table = pa.table([line_id, orders.order_id.take(pa.array(order_index)),
                      world.catalog.product_id.take(pa.array(product)), pa.array(quantity.astype(np.int32)),
                      pa.array(unit_price), pa.array(discount), line_total, ts(loaded_at)],
                     schema=TABLES["shop.order_lines"].schema)
    return BlockLines(table, line_id, order_index, lines_of_order, first_line_of_order, line_net, order_net,
                      order_net_usd)


def _refunds(rng: np.random.Generator, orders: BlockOrders, lines: BlockLines, counters: Counters) -> BlockRefunds:
    """4.5% of ordinary customers' orders (placed at least two days before the window's end) are refunded 1 to
    30 days later: 40% whole, the rest 20% to 100% of one line."""
    currency = orders.currency
    can_refund = orders.is_ordinary & (orders.placed_at < END_US - 2 * US_PER_DAY)
    refunded = np.flatnonzero(can_refund & (rng.random(orders.count) < 0.045))
    n = len(refunded)
    whole = rng.random(n) < 0.4
    line = lines.first_line_of_order[refunded] + (rng.random(n) * lines.lines_of_order[refunded]).astype(np.int64)
    amount = np.where(whole, lines.order_net[refunded], lines.line_net[line] * rng.uniform(0.2, 1.0, n))
    amount = np.maximum(round_money(amount, currency[refunded]), np.where(currency[refunded] == 4, 1.0, 0.01))
    refunded_at = np.minimum(orders.placed_at[refunded] + rng.integers(US_PER_DAY, 30 * US_PER_DAY, n), END_US)
    line_id = pc.if_else(pa.array(whole), pa.nulls(n, pa.string()), lines.line_id.take(pa.array(line)))
    table = pa.table([ids("R", counters.take("refunds", n), 9), orders.order_id.take(pa.array(refunded)), line_id,
                      pa.array(amount), strs(CUR[currency[refunded]]), strs(pick(rng, REFUND_REASONS, n)),
                      ts(refunded_at), ts(refunded_at + load_lag_us(rng, n))], schema=TABLES["shop.refunds"].schema)
    return BlockRefunds(table, refunded, amount, refunded_at)


def _after_sales_tickets(rng: np.random.Generator, world: World, orders: BlockOrders, terms: OrderTerms,
                         lines: BlockLines, counters: Counters) -> pa.Table:
    """After-sales tickets on 0.5% of order lines, opened 3 to 60 days after the order: counterfeit complaints
    go to a third-party lab; replaced or refunded parts are compensated 30% to 100% of the line; tickets closing
    after the window (and half the unresolved ones) are still open."""
    at_risk = (rng.random(len(lines.order_index)) < 0.005) & (
        orders.placed_at[lines.order_index] < END_US - 4 * US_PER_DAY)
    ticket_line = np.flatnonzero(at_risk)
    n = len(ticket_line)
    order = lines.order_index[ticket_line]
    opened = np.minimum(orders.placed_at[order] + rng.integers(3 * US_PER_DAY, 60 * US_PER_DAY, n),
                        END_US - US_PER_DAY)
    complaint = pick(rng, COMPLAINTS, n, np.array([0.15, 0.25, 0.2, 0.25, 0.15]))
    escalation = pick(rng, ESCALATIONS, n, np.array([0.2, 0.1, 0.15, 0.55]))
    escalation[complaint == "counterfeit"] = "third_party_lab"
    resolution = pick(rng, RESOLUTIONS, n, np.array([0.35, 0.2, 0.15, 0.2, 0.1]))
    closed = opened + rng.integers(US_PER_DAY, 30 * US_PER_DAY, n)
    still_open = (closed > END_US) | (resolution == "unresolved") & (rng.random(n) < 0.5)
    compensation = np.where(np.isin(resolution, ["replaced", "refunded"]),
                            lines.line_net[ticket_line] * rng.uniform(0.3, 1.0, n), 0.0)
    compensation = round_money(compensation, orders.currency[order])
    loaded_at = np.where(still_open, opened, closed) + load_lag_us(rng, n)
    return pa.table([ids("TK", counters.take("tickets", n), 8), lines.line_id.take(pa.array(ticket_line)),
                     strs(world.population.shop_id[orders.customer[order]]), strs(terms.dealer_id[order]),
                     strs(complaint), strs(escalation), strs(resolution), pa.array(compensation),
                     strs(CUR[orders.currency[order]]), ts(opened), ts(closed, mask=still_open), ts(loaded_at)],
                    schema=TABLES["service.after_sales_tickets"].schema)


def _lottery_draws(rng: np.random.Generator, world: World, orders: BlockOrders, lines: BlockLines,
                   counters: Counters) -> pa.Table:
    """Every order of at least USD 20 during a lottery campaign enters a draw minutes later; it wins a prize with
    the prize's advertised odds, except the unfair prize, which is never handed out."""
    lottery = world.campaigns.active("lottery", orders.placed_at)
    entered = np.flatnonzero((lottery >= 0) & (lines.order_net_usd >= 20))
    n = len(entered)
    u = rng.random(n)
    prize = np.full(n, None, dtype=object)
    for campaign in np.unique(lottery[entered]):
        rows = np.flatnonzero(lottery[entered] == campaign)
        prizes = np.flatnonzero(world.prizes.campaign_idx == campaign)
        odds_edges = np.cumsum(world.prizes.odds[prizes])
        hit = np.searchsorted(odds_edges, u[rows], side="right")
        won = hit < len(prizes)
        chosen = prizes[np.minimum(hit, len(prizes) - 1)]
        won &= chosen != world.prizes.unfair
        prize[rows[won]] = world.prizes.prize_id[chosen[won]]
    drawn_at = np.minimum(orders.placed_at[entered] + rng.integers(US_PER_MIN, 10 * US_PER_MIN, n), END_US)
    return pa.table([ids("DR", counters.take("draws", n), 9), strs(world.campaigns.campaign_id[lottery[entered]]),
                     strs(world.population.shop_id[orders.customer[entered]]), orders.order_id.take(pa.array(entered)),
                     strs(prize), ts(drawn_at), ts(drawn_at + load_lag_us(rng, n))],
                    schema=TABLES["promotions.lottery_draws"].schema)


def _truth_fragments(world: World, orders: BlockOrders, lines: BlockLines, refunds: BlockRefunds
                     ) -> dict[str, dict[str, np.ndarray]]:
    """The block's part of the answer key: orders planted campaigns caused (net of refunds, USD), the last
    orders of untended and tended churners, and bargain hunters' single orders."""
    untended_last = orders.is_last & (orders.segment == UNTENDED)
    tended_last = orders.is_last & (orders.segment == TENDED)
    bargain_first = orders.is_first & (orders.segment == BARGAIN)
    planted = np.flatnonzero(orders.planted_campaign >= 0)
    refund_usd = np.zeros(orders.count)
    refunded = refunds.order_index
    refund_usd[refunded] = refunds.amount * _fx_rate(world.fx, orders.placed_at[refunded], orders.currency[refunded])
    order_id = orders.order_id_values
    return {
        "planted_campaign_orders": {"campaign_idx": orders.planted_campaign[planted],
                                    "net_after_refunds_usd": lines.order_net_usd[planted] - refund_usd[planted]},
        "untended_churned": {"cust": orders.customer[untended_last], "order_id": order_id[untended_last],
                             "at": orders.placed_at[untended_last]},
        "tended_churned": {"cust": orders.customer[tended_last], "order_id": order_id[tended_last],
                           "at": orders.placed_at[tended_last]},
        "bargain_hunters": {"cust": orders.customer[bargain_first], "order_id": order_id[bargain_first]},
    }


def _golden_opted_out(population: Population) -> np.ndarray:
    """Whether any shop account of each golden customer opted out of outreach, by golden index."""
    return np.bincount(population.golden_idx, weights=population.opt_out, minlength=population.golden_idx.max() + 1) > 0


def _planted_campaign_orders(rng: np.random.Generator, world: World, customers: np.ndarray, own_customer: np.ndarray,
                             own_time: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Extra orders the campaigns' planted effects cause (_campaign_lift_orders, then
    _first_order_conversions): customers, times and campaign index. `own_customer` and `own_time` are the
    block's orders without campaigns."""
    rng = rng.spawn(1)[0]  # own stream, like the wallet's
    lift_customer, lift_time, lift_campaign = _campaign_lift_orders(rng, world, customers)
    converted_customer, converted_time, converted_campaign = _first_order_conversions(rng, world, customers,
                                                                                      own_customer, own_time)
    return (np.concatenate([np.zeros(0, np.int64), *lift_customer, *converted_customer]),
            np.concatenate([np.zeros(0, np.int64), *lift_time, *converted_time]),
            np.concatenate([np.zeros(0, np.int64), *lift_campaign, *converted_campaign]))


def _campaign_lift_orders(rng: np.random.Generator, world: World, customers: np.ndarray
                          ) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """Every ordinary customer of the block in the group a campaign with a planted lift reaches (loyalty members,
    or customers who accept outreach) who signed up before the campaign and is still active on its first day
    places Poisson(rate) extra orders at uniform times in the campaign's window; the rest are not reached.
    Returns customers, times and campaign index, one array per campaign."""
    population, campaigns = world.population, world.campaigns
    rate = campaigns.planted_rate
    ordinary = customers[population.segment[customers] == NORMAL]
    groups = {"loyalty_members": ordinary[population.member_id[ordinary] != None],  # noqa: E711
              # the warehouse reads a golden customer as opted out when any of its accounts is
              "outreach_customers": ordinary[~_golden_opted_out(population)[population.golden_idx[ordinary]]]}
    lift_customer, lift_time, lift_campaign = [], [], []
    for campaign in np.flatnonzero(rate > 0):
        first_day = (campaigns.starts[campaign] - START_US) // US_PER_DAY
        group = groups[campaigns.reached_group[campaign]]
        reached = group[(population.created_us[group] < campaigns.starts[campaign])
                        & (population.active_from[group] <= first_day) & (population.active_to[group] > first_day)]
        who = np.repeat(reached, rng.poisson(rate[campaign], len(reached)))
        campaign_length = campaigns.ends[campaign] - campaigns.starts[campaign]
        lift_customer.append(who)
        lift_time.append(campaigns.starts[campaign] + (rng.random(len(who)) * campaign_length).astype(np.int64))
        lift_campaign.append(np.full(len(who), campaign, np.int64))
    return lift_customer, lift_time, lift_campaign


def _first_order_conversions(rng: np.random.Generator, world: World, customers: np.ndarray, own_customer: np.ndarray,
                             own_time: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """A first-order offer converts, with its planted probability, each ordinary customer (one shop account, in
    the customer master) who signs up in the offer's window at least a week before its end and whose own first
    order comes more than eight days after signing up: an extra first order with the code within three days of
    signing up (the customer's own orders follow as before). Returns customers, times and campaign index, one
    array per offer."""
    population, campaigns = world.population, world.campaigns
    conversion = campaigns.planted_conversion
    own_first_order = np.full(len(customers), END_US + 1, np.int64)
    np.minimum.at(own_first_order, own_customer - customers[0], own_time)
    single_account = np.bincount(population.golden_idx, minlength=population.n)[population.golden_idx[customers]] == 1
    created = population.created_us[customers]
    convertible = (population.segment[customers] == NORMAL) & single_account & ~population.missing_xwalk[customers]
    # who would buy anyway, but not within eight days of signing up (a converted customer never looks like a
    # one-order bargain hunter)
    convertible &= (own_first_order > created + 8 * US_PER_DAY) & (own_first_order <= END_US)
    converted_customer, converted_time, converted_campaign = [], [], []
    for campaign in np.flatnonzero(conversion > 0):
        signed_up = (created >= campaigns.starts[campaign]) & (created < campaigns.ends[campaign] - 7 * US_PER_DAY)
        candidates = np.flatnonzero(convertible & signed_up)
        who = customers[candidates[rng.random(len(candidates)) < conversion[campaign]]]
        converted_customer.append(who)
        converted_time.append(population.created_us[who] + rng.integers(10 * US_PER_MIN, 3 * US_PER_DAY, len(who)))
        converted_campaign.append(np.full(len(who), campaign, np.int64))
    return converted_customer, converted_time, converted_campaign


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


@dataclass
class PointMovements:
    """Points added (lots) or consumed (takebacks, redemptions) per customer, with their times."""

    customer: np.ndarray
    at: np.ndarray
    points: np.ndarray


@dataclass
class GoodwillGrants:
    """Goodwill support staff grant on members' orders: points for some, money for the others."""

    order_index: np.ndarray  # index into BlockOrders of the order the grant is for
    as_points: np.ndarray  # granted as points (else as money)
    granted_at: np.ndarray
    lots: PointMovements  # the grants made as points


@dataclass
class Ledger:
    """Wallet and points movements collected one kind at a time, before they are put in time order."""

    tx_type: list[np.ndarray] = field(default_factory=list)
    amount: list[np.ndarray] = field(default_factory=list)
    points: list[np.ndarray] = field(default_factory=list)
    at: list[np.ndarray] = field(default_factory=list)
    order_id: list[np.ndarray] = field(default_factory=list)
    campaign_id: list[np.ndarray] = field(default_factory=list)
    customer: list[np.ndarray] = field(default_factory=list)

    def add(self, tx_type: int, amount: np.ndarray, points: np.ndarray, at: np.ndarray,
            order_id: np.ndarray | None, campaign_id: np.ndarray | None, customer: np.ndarray) -> None:
        """Record movements of one type (an index into TX_TYPES); times after the window's end are moved to it."""
        n = len(at)
        self.tx_type.append(np.full(n, tx_type, np.int8))
        self.amount.append(np.asarray(amount, dtype=float))
        self.points.append(np.asarray(points, dtype=np.int64))
        self.at.append(np.minimum(np.asarray(at, dtype=np.int64), END_US))
        self.order_id.append(np.full(n, None, dtype=object) if order_id is None else order_id)
        self.campaign_id.append(np.full(n, None, dtype=object) if campaign_id is None else campaign_id)
        self.customer.append(customer)


def _wallet(rng: np.random.Generator, world: World, orders: BlockOrders, lines: BlockLines, refunds: BlockRefunds,
            counters: Counters) -> tuple[pa.Table, tuple[np.ndarray, ...]]:
    """Wallet and points movements that behave like a real loyalty system.

    Every wallet order is preceded by its own top-up of at least the order amount, so the wallet never spends
    more than it holds; top-ups during a recharge-bonus campaign earn the bonus of the highest recharge tier
    reached in the reporting currency. Points are earned per order in lots; a refund takes back the refunded
    share of the order's points (a negative `points_earned` row); redemptions never exceed a lot's points;
    unredeemed points expire 365 days after earning, consumption taking the oldest-expiring lot first.

    Returns the loyalty.wallet_transactions rows and, for the loyalty system's daily totals, each movement's
    day, type, amount in USD and points."""
    rng = rng.spawn(1)[0]  # own stream: changes here leave the other tables of the block untouched
    ledger = Ledger()
    member_orders = np.flatnonzero(world.population.member_id[orders.customer] != None)  # noqa: E711
    earned, consumed = _points_on_orders(rng, world, orders, lines, refunds, member_orders, ledger)
    goodwill = _goodwill_points(rng, orders, member_orders, ledger)
    _points_expiry(earned, goodwill.lots, consumed, ledger)
    _wallet_paid_orders(rng, world, orders, lines, refunds, member_orders, ledger)
    _goodwill_money(rng, orders, goodwill, ledger)
    return _wallet_rows(rng, world, ledger, counters)


def _points_on_orders(rng: np.random.Generator, world: World, orders: BlockOrders, lines: BlockLines,
                      refunds: BlockRefunds, member_orders: np.ndarray, ledger: Ledger
                      ) -> tuple[PointMovements, PointMovements]:
    """Members earn a lot of one point per whole USD of each order (two during a points-multiplier campaign)
    1 to 30 minutes after ordering. A refund takes back the refunded share of the order's points two minutes
    after it; 30% of lots are partly redeemed 5 to 200 days after earning (30% to 100% of what is left).

    Returns the lots earned and the points consumed (takebacks, then redemptions)."""
    refund_share = np.zeros(orders.count)
    refund_share[refunds.order_index] = np.minimum(
        refunds.amount / np.maximum(lines.order_net[refunds.order_index], 1e-9), 1.0)
    refund_at = np.full(orders.count, -1, np.int64)
    refund_at[refunds.order_index] = refunds.refunded_at

    multiplier = world.campaigns.active("points_multiplier", orders.placed_at[member_orders])
    points = np.floor(lines.order_net_usd[member_orders]).astype(np.int64) * np.where(multiplier >= 0, 2, 1)
    earns = points > 0
    earning_order, earned = member_orders[earns], points[earns]
    earned_at = orders.placed_at[earning_order] + rng.integers(US_PER_MIN, 30 * US_PER_MIN, len(earning_order))
    campaign_id = np.where(multiplier[earns] >= 0, world.campaigns.campaign_id[np.maximum(multiplier[earns], 0)], None)
    customer = orders.customer[earning_order]
    order_id = orders.order_id_values[earning_order]
    ledger.add(POINTS_EARNED, np.zeros(len(earning_order)), earned, earned_at, order_id, campaign_id, customer)

    taken_back_at = np.minimum(refund_at[earning_order] + 2 * US_PER_MIN, END_US)
    taken_back = np.floor(earned * refund_share[earning_order] + 1e-9).astype(np.int64)
    takes_back = (refund_at[earning_order] >= 0) & (taken_back > 0)
    taken_back = np.where(takes_back, taken_back, 0)
    ledger.add(POINTS_EARNED, np.zeros(takes_back.sum()), -taken_back[takes_back], taken_back_at[takes_back],
               order_id[takes_back], None, customer[takes_back])

    redeems = rng.random(len(earning_order)) < 0.3
    redeemed = np.floor((earned - taken_back) * rng.uniform(0.3, 1.0, len(earning_order))).astype(np.int64)
    redeemed_at = earned_at + rng.integers(5 * US_PER_DAY, 200 * US_PER_DAY, len(earning_order))
    redeems &= (redeemed > 0) & (redeemed_at < END_US)
    ledger.add(POINTS_REDEEMED, np.zeros(redeems.sum()), -redeemed[redeems], redeemed_at[redeems], None, None,
               customer[redeems])

    consumed = PointMovements(np.concatenate([customer[takes_back], customer[redeems]]),
                              np.concatenate([taken_back_at[takes_back], redeemed_at[redeems]]),
                              np.concatenate([taken_back[takes_back], redeemed[redeems]]))
    return PointMovements(customer, earned_at, earned), consumed


def _goodwill_points(rng: np.random.Generator, orders: BlockOrders, member_orders: np.ndarray,
                     ledger: Ledger) -> GoodwillGrants:
    """Support staff grant goodwill on 1% of members' orders, 1 to 20 days after the order: half of the grants
    as 10 to 99 points (a lot like any other, recorded here), the rest as money (_goodwill_money)."""
    granted_on = member_orders[rng.random(len(member_orders)) < 0.01]
    as_points = rng.random(len(granted_on)) < 0.5
    granted_at = np.minimum(orders.placed_at[granted_on] + rng.integers(US_PER_DAY, 20 * US_PER_DAY, len(granted_on)),
                            END_US)
    points = rng.integers(10, 100, len(granted_on))
    customer = orders.customer[granted_on[as_points]]
    ledger.add(MANUAL_ADJUSTMENT, np.zeros(as_points.sum()), points[as_points], granted_at[as_points], None, None,
               customer)
    return GoodwillGrants(granted_on, as_points, granted_at,
                          PointMovements(customer, granted_at[as_points], points[as_points]))


def _points_expiry(earned: PointMovements, goodwill: PointMovements, consumed: PointMovements,
                   ledger: Ledger) -> None:
    """Points expire 365 days after earning, as much of each lot as the oldest-expiring-first rule leaves in it;
    expiries after the window's end are not recorded."""
    lot_customer = np.concatenate([earned.customer, goodwill.customer])
    lot_at = np.concatenate([earned.at, goodwill.at])
    lot_points = np.concatenate([earned.points, goodwill.points])
    by_customer = np.lexsort((lot_at, lot_customer))
    lot_customer, lot_at, lot_points = lot_customer[by_customer], lot_at[by_customer], lot_points[by_customer]
    expired = _fifo_expiry(lot_customer, lot_at, lot_points, consumed.customer, consumed.at, consumed.points)
    expires_at = lot_at + POINTS_EXPIRY_US
    recorded = (expired > 0) & (expires_at < END_US)
    ledger.add(POINTS_EXPIRED, np.zeros(recorded.sum()), -expired[recorded], expires_at[recorded], None, None,
               lot_customer[recorded])


def _wallet_paid_orders(rng: np.random.Generator, world: World, orders: BlockOrders, lines: BlockLines,
                        refunds: BlockRefunds, member_orders: np.ndarray, ledger: Ledger) -> None:
    """40% of members' orders up to USD 1,500 are paid from the wallet five seconds after ordering, each funded
    by a top-up 1 hour to 10 days earlier: a usual amount (USD 50, 100, 300 or 1,000, at least the order's USD
    rounded up to 10) in the order's currency, rounded up and never less than the order. A top-up during a
    recharge-bonus campaign earns the bonus of the highest tier reached a second later; refunds of wallet-paid
    orders are credited back to the wallet a minute after the refund."""
    paid = member_orders[(rng.random(len(member_orders)) < 0.4)
                         & (lines.order_net_usd[member_orders] <= MAX_WALLET_ORDER_USD)]
    currency = orders.currency[paid]
    customer = orders.customer[paid]
    ledger.add(SPEND, -lines.order_net[paid], np.zeros(len(paid)), orders.placed_at[paid] + 5 * US_PER_SEC,
               orders.order_id_values[paid], None, customer)

    top_up_at = np.maximum(orders.placed_at[paid] - rng.integers(US_PER_HOUR, 10 * US_PER_DAY, len(paid)), START_US)
    rate = _fx_rate(world.fx, top_up_at, currency)
    wished_usd = np.array([50.0, 100.0, 300.0, 1000.0])[rng.choice(4, len(paid), p=[0.2, 0.45, 0.25, 0.1])]
    wished_usd = np.maximum(wished_usd, np.ceil(lines.order_net_usd[paid] / 10) * 10)
    top_up = np.maximum(_ceil_money(wished_usd / rate, currency), lines.order_net[paid])
    ledger.add(TOP_UP, top_up, np.zeros(len(paid)), top_up_at, None, None, customer)

    recharge_campaign = world.campaigns.active("recharge_bonus", top_up_at)
    tier = np.searchsorted(TIER_MIN_USD, np.round(top_up * rate, 4), side="right") - 1
    earns_bonus = (recharge_campaign >= 0) & (tier >= 0)
    bonus = round_money(TIER_BONUS_USD[tier[earns_bonus]] / rate[earns_bonus], currency[earns_bonus])
    ledger.add(TOP_UP_BONUS, bonus, np.zeros(earns_bonus.sum()), top_up_at[earns_bonus] + US_PER_SEC, None,
               world.campaigns.campaign_id[recharge_campaign[earns_bonus]], customer[earns_bonus])

    wallet_paid = np.zeros(orders.count, bool)
    wallet_paid[paid] = True
    credited = wallet_paid[refunds.order_index]
    credited_order = refunds.order_index[credited]
    ledger.add(REFUND_CREDIT, refunds.amount[credited], np.zeros(credited.sum()),
               refunds.refunded_at[credited] + US_PER_MIN, orders.order_id_values[credited_order], None,
               orders.customer[credited_order])


def _goodwill_money(rng: np.random.Generator, orders: BlockOrders, goodwill: GoodwillGrants, ledger: Ledger) -> None:
    """The goodwill grants not made as points are USD 1 to 20 credited to the wallet in the order's currency."""
    as_money = ~goodwill.as_points
    order = goodwill.order_index[as_money]
    currency = orders.currency[order]
    amount = round_money(rng.uniform(1, 20, as_money.sum()) / USD_PER_UNIT[currency], currency)
    ledger.add(MANUAL_ADJUSTMENT, amount, np.zeros(as_money.sum()), goodwill.granted_at[as_money], None, None,
               orders.customer[order])


def _wallet_rows(rng: np.random.Generator, world: World, ledger: Ledger, counters: Counters
                 ) -> tuple[pa.Table, tuple[np.ndarray, ...]]:
    """The loyalty system's export of the movements in time order (types in TX_TYPES order at the same time),
    landing soon after each movement (0.5% 10 to 30 days late), and for its daily totals each movement's day,
    type, amount in USD and points."""
    tx_type = np.concatenate(ledger.tx_type)
    amount = np.concatenate(ledger.amount)
    points = np.concatenate(ledger.points)
    at = np.concatenate(ledger.at)
    order_id = np.concatenate(ledger.order_id)
    campaign_id = np.concatenate(ledger.campaign_id)
    customer = np.concatenate(ledger.customer)
    in_time = np.lexsort((tx_type, at))
    tx_type, amount, points, at = tx_type[in_time], amount[in_time], points[in_time], at[in_time]
    order_id, campaign_id, customer = order_id[in_time], campaign_id[in_time], customer[in_time]
    n = len(tx_type)
    currency = world.population.currency[customer]
    late = rng.random(n) < 0.005
    loaded_at = at + load_lag_us(rng, n)
    loaded_at[late] += rng.integers(10 * US_PER_DAY, 30 * US_PER_DAY, late.sum())
    table = pa.table([ids("W", counters.take("wallet", n), 11), strs(world.population.member_id[customer]),
                      strs(np.array(TX_TYPES, dtype=object)[tx_type]), pa.array(amount),
                      pa.array(points.astype(np.int32)), strs(CUR[currency]), strs(order_id), strs(campaign_id),
                      ts(at), ts(loaded_at)], schema=TABLES["loyalty.wallet_transactions"].schema)
    day = (at - START_US) // US_PER_DAY
    amount_usd = amount * _fx_rate(world.fx, at, currency)  # the loyalty system reports its daily totals in USD
    return table, (day, tx_type.astype(np.int64), amount_usd, points)


def _touchpoints(rng: np.random.Generator, world: World, orders: BlockOrders, customers: np.ndarray,
                 counters: Counters) -> pa.Table:
    """CRM touchpoints with the block's contacts inside the window: follow-ups of orders and December greeting
    cards, each costed (USD 0.10 for an email up to 80 for a visit, give or take 20%) in the customer's
    currency and logged by one of 119 employees."""
    follow_up_customer, follow_up_at, follow_up_type = _order_follow_ups(rng, world, orders)
    card_customer, card_at = _greeting_cards(rng, world, customers)
    customer = np.concatenate([follow_up_customer, card_customer])
    at = np.concatenate([follow_up_at, card_at])
    touch_type = np.concatenate([follow_up_type, np.full(len(card_customer), "greeting_card", dtype=object)])
    inside_window = at < END_US
    customer, at, touch_type = customer[inside_window], at[inside_window], touch_type[inside_window]
    in_time = np.lexsort((customer, at))
    customer, at, touch_type = customer[in_time], at[in_time], touch_type[in_time]
    n = len(customer)
    cost_usd = np.select([touch_type == t for t in TOUCH_TYPES], TOUCH_COST_USD) * rng.uniform(0.8, 1.2, n)
    currency = world.population.currency[customer]
    cost = round_money(cost_usd / USD_PER_UNIT[currency], currency)
    employee_id = ids("E", rng.integers(1, 120, n), 3)
    return pa.table([ids("T", counters.take("touchpoints", n), 10), strs(world.population.crm_id[customer]),
                     strs(touch_type), employee_id, pa.array(cost), strs(CUR[currency]), ts(at),
                     ts(at + load_lag_us(rng, n))],
                    schema=TABLES["crm.touchpoints"].schema)


def _order_follow_ups(rng: np.random.Generator, world: World, orders: BlockOrders
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Orders of CRM contacts the account team follows up: 45% of business and 12% of consumer orders, 12 hours
    to 10 days later; every order of a tended customer within 3 days; 85% of an untended customer's orders
    within 5 days, but never the last one; and, within 5 days, the last order of any other customer who goes
    quiet (more than 45 days before the window's end). Returns customer, time and kind of touchpoint."""
    likelihood = np.where(orders.business, 0.45, 0.12)
    lag = rng.integers(12 * US_PER_HOUR, 10 * US_PER_DAY, orders.count)
    tended = orders.segment == TENDED
    likelihood[tended] = 1.0
    lag[tended] = rng.integers(6 * US_PER_HOUR, 3 * US_PER_DAY, tended.sum())
    untended = orders.segment == UNTENDED
    likelihood[untended] = 0.85
    lag[untended] = rng.integers(6 * US_PER_HOUR, 5 * US_PER_DAY, untended.sum())
    likelihood[untended & orders.is_last] = 0.0
    went_quiet = orders.is_last & (orders.placed_at < END_US - 45 * US_PER_DAY) & ~untended
    likelihood[went_quiet] = 1.0
    lag[went_quiet] = rng.integers(6 * US_PER_HOUR, 5 * US_PER_DAY, went_quiet.sum())
    is_contact = world.population.crm_id[orders.customer] != None  # noqa: E711
    followed_up = np.flatnonzero(is_contact & (rng.random(orders.count) < likelihood))
    touch_type = pick(rng, TOUCH_TYPES, len(followed_up), np.array([0.45, 0.1, 0.35, 0.0, 0.1]))
    return orders.customer[followed_up], orders.placed_at[followed_up] + lag[followed_up], touch_type


def _greeting_cards(rng: np.random.Generator, world: World, customers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Business customers who are CRM contacts (untended ones excepted) get a greeting card in each December of
    the window, sent between the 11th and the 21st. Returns customer and time of each card."""
    population = world.population
    business_contacts = customers[population.business[customers] & (population.crm_id[customers] != None)  # noqa: E711
                                  & (population.segment[customers] != UNTENDED)]
    customer = np.concatenate([business_contacts, business_contacts])
    n = len(business_contacts)
    at = np.concatenate([np.full(n, START_US + 40 * US_PER_DAY), np.full(n, START_US + 405 * US_PER_DAY)])
    return customer, at + rng.integers(0, 10 * US_PER_DAY, len(customer))


def _referrals(rng: np.random.Generator, world: World, customers: np.ndarray, counters: Counters) -> pa.Table:
    """People the block's CRM contacts refer: reseller-like customers one or two a month, 4% of ordinary
    contacts one to three at any time; 30% of the people referred become CRM contacts (of any block)."""
    reseller_customer, reseller_at = _reseller_referral_times(rng, world, customers)
    other_customer, other_at = _occasional_referral_times(rng, world, customers)
    customer = np.concatenate([reseller_customer, other_customer])
    at = np.concatenate([reseller_at, other_at])
    n = len(customer)
    first_name, last_name, full_name = person_names(rng, n)
    converted_contact = np.full(n, None, dtype=object)
    converted = rng.random(n) < 0.3
    converted_contact[converted] = world.all_crm[rng.integers(0, len(world.all_crm), converted.sum())]
    return pa.table([ids("RF", counters.take("referrals", n), 9), strs(world.population.crm_id[customer]),
                     strs(full_name), strs(emails(rng, first_name, last_name)),
                     strs(phones(rng, world.population.country[customer])), strs(converted_contact), ts(at),
                     ts(at + load_lag_us(rng, n))],
                    schema=TABLES["crm.referrals"].schema)


def _reseller_referral_times(rng: np.random.Generator, world: World, customers: np.ndarray
                             ) -> tuple[np.ndarray, np.ndarray]:
    """Reseller-like customers refer one or two people in every month of the window, at any time of the month."""
    resellers = customers[np.isin(world.population.segment[customers], RESELLER_LIKE)]
    months = np.datetime64("2024-11", "M") + np.arange(24)
    month_start = months.astype("datetime64[D]").astype(np.int64) * US_PER_DAY
    month_length = ((months + 1).astype("datetime64[D]").astype(np.int64) * US_PER_DAY) - month_start
    per_month = (1 + (rng.random((len(resellers), 24)) < 0.5)).ravel()
    customer = np.repeat(np.repeat(resellers, 24), per_month)
    month = np.repeat(np.tile(np.arange(24), len(resellers)), per_month)
    at = month_start[month] + (rng.random(len(month)) * (month_length[month] - US_PER_HOUR)).astype(np.int64)
    return customer, at


def _occasional_referral_times(rng: np.random.Generator, world: World, customers: np.ndarray
                               ) -> tuple[np.ndarray, np.ndarray]:
    """4% of ordinary customers who are CRM contacts refer one to three people at any time in the window."""
    population = world.population
    referrers = customers[(population.segment[customers] == NORMAL) & (population.crm_id[customers] != None)  # noqa: E711
                          & (rng.random(len(customers)) < 0.04)]
    customer = np.repeat(referrers, rng.integers(1, 4, len(referrers)))
    return customer, START_US + rng.integers(0, (N_DAYS - 1) * US_PER_DAY, len(customer))


def _custom_order_requests(rng: np.random.Generator, world: World, customers: np.ndarray,
                           counters: Counters) -> pa.Table:
    """Requests for custom bulk orders of a category (from 100 pieces, in hundreds, a few thousand typically):
    reseller-like customers every 30 to 55 days, 8% of ordinary business customers one to three times; never in
    a customer's first hour."""
    population = world.population
    segment = population.segment[customers]
    resellers = customers[np.isin(segment, RESELLER_LIKE)]
    reseller_customer, reseller_at = _regular(rng, resellers,
                                              START_US + rng.integers(0, 25 * US_PER_DAY, len(resellers)),
                                              np.full(len(resellers), END_US), 30, 55)
    businesses = customers[(segment == NORMAL) & population.business[customers] & (rng.random(len(customers)) < 0.08)]
    business_customer = np.repeat(businesses, rng.integers(1, 4, len(businesses)))
    business_at = START_US + rng.integers(0, (N_DAYS - 1) * US_PER_DAY, len(business_customer))
    customer = np.concatenate([reseller_customer, business_customer])
    at = np.maximum(np.concatenate([reseller_at, business_at]), population.created_us[customer] + US_PER_HOUR)
    n = len(customer)
    quantity = (rng.lognormal(8, 1, n)).astype(np.int64).clip(100) // 100 * 100
    text = rng.integers(0, len(REQUEST_TEXT), n)
    description = np.array([REQUEST_TEXT[i].format(q=q) for i, q in zip(text, quantity, strict=True)], dtype=object)
    return pa.table([ids("CR", counters.take("requests", n), 8), strs(population.shop_id[customer]),
                     strs(pick(rng, np.array(CATEGORIES, dtype=object), n)), pa.array(quantity.astype(np.int32)),
                     strs(description), ts(at), ts(at + load_lag_us(rng, n))],
                    schema=TABLES["shop.custom_order_requests"].schema)


def _reseller_inquiries(rng: np.random.Generator, world: World, customers: np.ndarray, counters: Counters) -> pa.Table:
    """Inquiries about becoming a reseller: one or two from each reseller-like customer and one from 3% of
    ordinary business customers, at any time after their first hour."""
    population = world.population
    segment = population.segment[customers]
    resellers = customers[np.isin(segment, RESELLER_LIKE)]
    per_reseller = rng.integers(1, 3, len(resellers))
    businesses = customers[(segment == NORMAL) & population.business[customers] & (rng.random(len(customers)) < 0.03)]
    customer = np.concatenate([np.repeat(resellers, per_reseller), businesses])
    n = len(customer)
    at = np.maximum(START_US + rng.integers(0, (N_DAYS - 1) * US_PER_DAY, n),
                    population.created_us[customer] + US_PER_HOUR)
    return pa.table([ids("RI", counters.take("inquiries", n), 7), strs(population.shop_id[customer]),
                     strs(pick(rng, INQ_CHANNELS, n)), strs(pick(rng, INQ_MESSAGES, n)), ts(at),
                     ts(at + load_lag_us(rng, n))], schema=TABLES["shop.reseller_inquiries"].schema)
