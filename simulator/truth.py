"""Answer-key tables (truth/*.parquet): planted behaviours the warehouse is expected to find."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from simulator.catalog import Campaigns, Prizes
from simulator.partners import Dealers
from simulator.population import ALREADY_DEALER, COMPETITOR, HIGH_VALUE, OPTED_OUT, RESELLER, Population

FAULT_SCHEMA = pa.schema([("source_system", pa.string()), ("source_table", pa.string()),
                          ("row_key", pa.string()), ("fault_type", pa.string()), ("expected_action", pa.string()),
                          ("expected_reason", pa.string()), ("detail", pa.string())])

DECOY_KIND = {HIGH_VALUE: "high_value_only", OPTED_OUT: "opted_out", ALREADY_DEALER: "already_dealer",
              COMPETITOR: "competitor_affiliated"}


def resellers(pop: Population) -> pa.Table:
    """True resellers (expected_flag) plus look-alike decoys with the reason they must not be flagged."""
    idx = np.flatnonzero(np.isin(pop.segment, (RESELLER, *DECOY_KIND)))
    seg = pop.segment[idx]
    kind = np.array([DECOY_KIND.get(int(s)) for s in seg], dtype=object)
    return pa.table({"golden_customer_id": pa.array(pop.golden_id[idx], pa.string()),
                     "shop_customer_id": pa.array(pop.shop_id[idx], pa.string()),
                     "expected_flag": pa.array(seg == RESELLER),
                     "decoy_kind": pa.array(kind, pa.string())})


def customers_with_order(pop: Population, frags: list[dict[str, np.ndarray]], order_col: str,
                         with_time: bool) -> pa.Table:
    """Customer truth rows (golden id, shop id, an order id and optionally its time) from block fragments."""
    cust = np.concatenate([f["cust"] for f in frags]) if frags else np.zeros(0, np.int64)
    oid = np.concatenate([f["order_id"] for f in frags]) if frags else np.zeros(0, object)
    cols = {"golden_customer_id": pa.array(pop.golden_id[cust], pa.string()),
            "shop_customer_id": pa.array(pop.shop_id[cust], pa.string()),
            order_col: pa.array(oid, pa.string())}
    if with_time:
        at = np.concatenate([f["at"] for f in frags]) if frags else np.zeros(0, np.int64)
        cols["last_order_at"] = pa.array(at, pa.timestamp("us", tz="UTC"))
    return pa.table(cols)


def under_reporting(d: Dealers) -> pa.Table:
    """Dealers whose reported own-brand sell-through is far below what they bought."""
    idx = np.flatnonzero(d.under_reporting)
    return pa.table({"dealer_id": pa.array(d.dealer_id[idx], pa.string()),
                     "reported_ratio": pa.array(np.round(d.reported_ratio[idx], 4))})


def prizes(p: Prizes, campaign_ids: np.ndarray, unfair: bool) -> pa.Table:
    """Lottery prizes that are never drawn (unfair) or drawn at their advertised odds (fair)."""
    mask = np.arange(len(p.prize_id)) == p.unfair
    if not unfair:
        mask = ~mask
    return pa.table({"prize_id": pa.array(p.prize_id[mask], pa.string()),
                     "campaign_id": pa.array(campaign_ids[p.campaign_idx[mask]], pa.string()),
                     "advertised_odds": pa.array(p.odds[mask])})


def campaign_lift(camps: Campaigns, frags: list[dict[str, np.ndarray]]) -> pa.Table:
    """Per campaign, the lift planted in the simulator: extra orders per reached customer (loyalty members for
    double points and recharge bonuses, customers who accept outreach for lotteries, gifts and contests;
    planted_reached_group) or the share of sign-ups converted (first-order offers), and the extra orders and their net
    revenue after refunds (USD, the reporting currency) that it actually produced. For a first-order offer each
    extra order is the first order of an extra new customer (planted_incremental_new_customers).

    Null where the simulator plants no lift for the campaign type (its true effect is unknown)."""
    idx = np.concatenate([f["campaign_idx"] for f in frags]) if frags else np.zeros(0, np.int64)
    rev = np.concatenate([f["net_after_refunds_usd"] for f in frags]) if frags else np.zeros(0)
    n = len(camps.campaign_id)
    rate = camps.planted_rate
    conversion = camps.planted_conversion
    is_offer = ~np.isnan(conversion)
    planted = ~np.isnan(rate) | is_offer
    orders = np.bincount(idx, minlength=n).astype(np.int64)
    revenue = np.round(np.bincount(idx, weights=rev, minlength=n), 4)
    return pa.table({"campaign_id": pa.array(camps.campaign_id, pa.string()),
                     "campaign_type": pa.array(camps.ctype, pa.string()),
                     "planted_extra_orders_per_customer": pa.array(rate, mask=np.isnan(rate)),
                     "planted_reached_group": pa.array(camps.reached_group, pa.string()),
                     "planted_first_order_conversion_share": pa.array(conversion, mask=~is_offer),
                     "planted_incremental_new_customers": pa.array(orders, mask=~is_offer),
                     "planted_incremental_orders": pa.array(orders, mask=~planted),
                     "planted_incremental_revenue_reporting": pa.array(revenue, mask=~planted)})
