"""Orchestrates one simulation run: reference data, population, activity blocks, faults, truth, manifest."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from tqdm import tqdm

from simulator import truth as truth_mod
from simulator.activity import TX_TYPES, Counters, World, simulate_block
from simulator.catalog import build_campaigns, build_catalog, build_prizes
from simulator.common import (
    CURRENCIES,
    END_DATE,
    FX_START_DATE,
    N_DAYS,
    START_DATE,
    START_US,
    US_PER_DAY,
    US_PER_HOUR,
    dates,
    fx_table,
    load_lag_us,
    strs,
    ts,
)
from simulator.faults import FaultInjector
from simulator.file_forms import LANDING_FILES_SCHEMA, plant_file_forms
from simulator.partners import build_dealers, build_leads
from simulator.population import PLANTED, build_population
from simulator.profiles import PROFILES
from simulator.row_faults import cap_loaded_at
from simulator.schema import TABLES


def _rng(seed: int, stream: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, stream])))


def _fx_rates_table(rng: np.random.Generator, rate_days: np.ndarray, rates: np.ndarray) -> pa.Table:
    nd, nc = rates.shape
    day = np.repeat(rate_days, nc)
    cur = np.tile(np.array(CURRENCIES, dtype=object), nd)
    loaded = day * US_PER_DAY + 18 * US_PER_HOUR + load_lag_us(rng, len(day))
    return pa.table([dates(day), strs(cur), pa.array(rates.ravel()), ts(loaded)],
                    schema=TABLES["reference.fx_rates"].schema)


def _daily_totals(rng: np.random.Generator, count: np.ndarray, amount: np.ndarray, points: np.ndarray) -> pa.Table:
    d, t = np.nonzero(count)
    day = int(START_DATE.astype(int)) + d
    loaded = (day + 1) * US_PER_DAY + 2 * US_PER_HOUR + load_lag_us(rng, len(d))
    return pa.table([dates(day), strs(np.array(TX_TYPES, dtype=object)[t]), pa.array(count[d, t].astype(np.int32)),
                     pa.array(np.round(amount[d, t], 2)), pa.array(points[d, t].astype(np.int32)), ts(loaded)],
                    schema=TABLES["loyalty.daily_totals"].schema)


# Answer-key files that speak of one source system: written only when that system is.
TRUTH_SYSTEMS = {"under_reporting_dealers": "dealer_portal", "unfair_prizes": "promotions", "fair_prizes": "promotions"}


def run(profile_name: str, seed: int, out: Path, faults: bool = False, progress: bool = True,
        systems: frozenset[str] | None = None) -> dict:
    """Generate raw/ and truth/ under ``out`` and return the manifest.

    ``systems`` limits the landing to those source systems (e.g. ``{"shop", "mdm"}``): everything is simulated
    as usual, so the tables written are identical to a full run's, and the rest is not written; the answer key
    keeps the faults of written tables only and drops the truths about systems not written."""
    t0 = time.perf_counter()
    profile = PROFILES[profile_name]
    raw_dir, truth_dir = out / "raw", out / "truth"
    for d in (raw_dir, truth_dir):
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)
    n_blocks = -(-profile.customers // profile.chunk_customers)
    bar = tqdm(total=9 + n_blocks, desc=f"simulate {profile_name}", unit="step", disable=not progress)
    from simulator.writer import RawWriter

    writer = RawWriter(raw_dir, systems)
    injector = FaultInjector(_rng(seed, 99), enabled=faults)

    def emit(q: str, table: pa.Table, protected: np.ndarray | None = None) -> None:
        writer.write(q, injector.apply(q, cap_loaded_at(table), protected))

    rate_days, rates = fx_table(_rng(seed, 1))
    emit("reference.fx_rates", _fx_rates_table(_rng(seed, 2), rate_days, rates))
    bar.update()
    cat, products = build_catalog(_rng(seed, 3), profile)
    emit("shop.products", products)
    camps = build_campaigns(_rng(seed, 4))
    emit("marketing.campaigns", camps.table)
    prizes = build_prizes(_rng(seed, 5), camps, profile)
    emit("promotions.lottery_prizes", prizes.table,
         pc.equal(prizes.table.column("prize_id"), prizes.prize_id[prizes.unfair]).to_numpy(zero_copy_only=False))
    bar.update()
    pop, pop_tables = build_population(_rng(seed, 6), profile)
    planted_shop = pa.array(pop.shop_id[np.isin(pop.segment, PLANTED)], pa.string())
    planted_crm = pa.array([c for c in pop.crm_id[np.isin(pop.segment, PLANTED)] if c is not None], pa.string())
    bar.update()
    dealers, dealer_tables = build_dealers(_rng(seed, 7), profile, pop, cat, rates)
    protected_dealers = pa.array(dealers.dealer_id[dealers.under_reporting], pa.string())
    dealer_shop = pc.is_valid(dealer_tables["dealer_portal.dealers"].column("shop_customer_id"))
    for q, t in dealer_tables.items():
        prot = pc.is_in(t.column("dealer_id"), value_set=protected_dealers).to_numpy(zero_copy_only=False)
        if q == "dealer_portal.dealers":
            prot = prot | dealer_shop.to_numpy(zero_copy_only=False)
        emit(q, t, prot)
    bar.update()
    for q, t in build_leads(_rng(seed, 8), profile, camps, dealers, rates).items():
        emit(q, t)
    bar.update()
    cust_t = pop_tables["shop.customers"]
    emit("shop.customers", cust_t, pc.is_in(cust_t.column("customer_id"), value_set=planted_shop)
         .to_numpy(zero_copy_only=False))
    cm = pop_tables["mdm.customer_master"]
    emit("mdm.customer_master", cm, pc.is_in(cm.column("source_customer_id"),
                                               value_set=pa.concat_arrays([planted_shop, planted_crm]))
         .to_numpy(zero_copy_only=False))
    emit("mdm.friends_family", pop_tables["mdm.friends_family"])
    bar.update()

    world = World(pop, cat, camps, prizes, dealers, rates, profile.lines_per_order,
                  np.array([c for c in pop.crm_id if c is not None], dtype=object))
    ctr = Counters()
    nt = len(TX_TYPES)
    w_count = np.zeros((N_DAYS, nt))
    w_amount = np.zeros((N_DAYS, nt))
    w_points = np.zeros((N_DAYS, nt))
    frags: dict[str, list] = {"untended_churned": [], "tended_churned": [], "bargain_hunters": [],
                              "planted_campaign_orders": []}
    cust_keyed = {"shop.orders", "shop.custom_order_requests", "shop.reseller_inquiries"}
    for b in range(n_blocks):
        lo = b * profile.chunk_customers
        hi = min(profile.customers, lo + profile.chunk_customers)
        res = simulate_block(_rng(seed, 1000 + b), world, lo, hi, ctr)
        key = res.wallet_day * nt + res.wallet_type
        size = N_DAYS * nt
        w_count += np.bincount(key, minlength=size).reshape(N_DAYS, nt)
        w_amount += np.bincount(key, weights=res.wallet_amount, minlength=size).reshape(N_DAYS, nt)
        w_points += np.bincount(key, weights=res.wallet_points, minlength=size).reshape(N_DAYS, nt)
        for k, v in res.truth.items():
            frags[k].append(v)
        block_orders = res.tables["shop.orders"]
        planted_orders = pc.filter(block_orders.column("order_id"),
                                   pc.is_in(block_orders.column("customer_id"), value_set=planted_shop))
        injector.plan_block({q: cap_loaded_at(t) for q, t in res.tables.items()},
                            set(planted_orders.to_pylist()) | set(res.protected_orders.tolist()))
        for q, t in res.tables.items():
            prot = None
            if q in cust_keyed:
                prot = pc.is_in(t.column("customer_id"), value_set=planted_shop).to_numpy(zero_copy_only=False)
            elif q in ("crm.touchpoints", "crm.referrals"):
                col = "crm_contact_id" if q == "crm.touchpoints" else "referrer_crm_contact_id"
                prot = pc.is_in(t.column(col), value_set=planted_crm).to_numpy(zero_copy_only=False)
            emit(q, t, prot)
        bar.update()
    emit("loyalty.daily_totals", _daily_totals(_rng(seed, 9), w_count, w_amount, w_points))
    bar.update()
    counts = writer.close()
    for q, t in injector.side_tables().items():  # rows whose values need wider Parquet types than the usual files
        tdef = TABLES[q]
        pq.write_table(t, raw_dir / tdef.system / tdef.name / f"{tdef.name}_int64_export.parquet", compression="zstd")
        counts[q] = counts.get(q, 0) + t.num_rows
    # File-level faults: a few tables partly in CSV, an upper-case extension, a Hive-style subfolder.
    landing_files = plant_file_forms(raw_dir) if faults else LANDING_FILES_SCHEMA.empty_table()
    bar.update()

    truths = {
        "resellers": truth_mod.resellers(pop),
        "bargain_hunters": truth_mod.customers_with_order(pop, frags["bargain_hunters"], "first_order_id", False),
        "under_reporting_dealers": truth_mod.under_reporting(dealers),
        "unfair_prizes": truth_mod.prizes(prizes, camps.campaign_id, True),
        "fair_prizes": truth_mod.prizes(prizes, camps.campaign_id, False),
        "untended_churned": truth_mod.customers_with_order(pop, frags["untended_churned"], "last_order_id", True),
        "tended_churned": truth_mod.customers_with_order(pop, frags["tended_churned"], "last_order_id", True),
        "campaign_lift": truth_mod.campaign_lift(camps, frags["planted_campaign_orders"]),
        "faults": injector.records(),
        "landing_files": landing_files,
    }
    if systems is not None:
        faults_table = truths["faults"]
        truths["faults"] = faults_table.filter(pc.is_in(faults_table.column("source_system"),
                                                        value_set=pa.array(sorted(systems), pa.string())))
        truths = {name: t for name, t in truths.items() if TRUTH_SYSTEMS.get(name) in (None, *systems)}
    for name, t in truths.items():
        pq.write_table(t, truth_dir / f"{name}.parquet", compression="zstd")
    bar.update()
    bar.close()
    manifest = {
        "profile": profile_name,
        "seed": seed,
        "faults": faults,
        "systems": sorted(systems) if systems is not None else sorted({t.system for t in TABLES.values()}),
        "start_date": str(START_DATE),
        "end_date": str(END_DATE - np.timedelta64(1, "D")),
        "fx_start_date": str(FX_START_DATE),
        "start_ts": str(np.datetime64(START_US, "us")) + "Z",
        "row_counts": counts,
        "truth_row_counts": {k: v.num_rows for k, v in truths.items()},
        "generation_seconds": round(time.perf_counter() - t0, 2),
    }
    (truth_dir / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return manifest
