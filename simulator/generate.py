"""Orchestrates one simulation run: reference data, population, activity blocks, faults, truth, manifest."""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from tqdm import tqdm

from simulator import truth as truth_mod
from simulator.activity import TX_TYPES, Counters, World, simulate_block
from simulator.catalog import Campaigns, Catalog, Prizes, build_campaigns, build_catalog, build_prizes
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
from simulator.partners import Dealers, build_dealers, build_leads
from simulator.population import PLANTED, Population, build_population
from simulator.profiles import PROFILES, Profile
from simulator.row_faults import cap_loaded_at
from simulator.schema import TABLES
from simulator.writer import RawWriter


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


class _Landing:
    """Lands simulated batches in raw/: each batch passes the fault injector before the writer."""

    def __init__(self, writer: RawWriter, injector: FaultInjector) -> None:
        self.writer = writer
        self.injector = injector

    def emit(self, qualified: str, table: pa.Table, protected: np.ndarray | None = None) -> None:
        """Land a batch of table `qualified`; `protected` rows (planted behaviour the answer key relies on) get
        no fault."""
        self.writer.write(qualified, self.injector.apply(qualified, cap_loaded_at(table), protected))


@dataclass
class _PlantedIds:
    """Ids of the customers with planted behaviour, whose rows get no fault."""

    shop_ids: pa.Array
    crm_ids: pa.Array


def run(profile_name: str, seed: int, out: Path, faults: bool = False, progress: bool = True,
        systems: frozenset[str] | None = None) -> dict:
    """Generate raw/ and truth/ under ``out`` and return the manifest.

    ``systems`` limits the landing to those source systems (e.g. ``{"shop", "mdm"}``): everything is simulated
    as usual, so the tables written are identical to a full run's, and the rest is not written; the answer key
    keeps the faults of written tables only and drops the truths about systems not written."""
    started = time.perf_counter()
    profile = PROFILES[profile_name]
    raw_dir, truth_dir = out / "raw", out / "truth"
    for d in (raw_dir, truth_dir):
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)
    n_blocks = -(-profile.customers // profile.chunk_customers)
    bar = tqdm(total=9 + n_blocks, desc=f"simulate {profile_name}", unit="step", disable=not progress)
    landing = _Landing(RawWriter(raw_dir, systems), FaultInjector(_rng(seed, 99), enabled=faults))

    rates, cat, camps, prizes = _reference_data(seed, profile, landing, bar)
    pop, dealers, planted = _customers_and_partners(seed, profile, cat, camps, rates, landing, bar)
    world = World(pop, cat, camps, prizes, dealers, rates, profile.lines_per_order,
                  np.array([c for c in pop.crm_id if c is not None], dtype=object))
    fragments = _customer_activity(seed, profile, world, planted, landing, bar)
    counts = landing.writer.close()
    for q, t in landing.injector.side_tables().items():  # rows whose values need wider Parquet types
        tdef = TABLES[q]
        pq.write_table(t, raw_dir / tdef.system / tdef.name / f"{tdef.name}_int64_export.parquet", compression="zstd")
        counts[q] = counts.get(q, 0) + t.num_rows
    # File-level faults: a few tables partly in CSV, an upper-case extension, a Hive-style subfolder.
    landing_files = plant_file_forms(raw_dir) if faults else LANDING_FILES_SCHEMA.empty_table()
    bar.update()

    truths = _answer_key(world, fragments, landing.injector, landing_files, systems)
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
        "generation_seconds": round(time.perf_counter() - started, 2),
    }
    (truth_dir / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return manifest


def _reference_data(seed: int, profile: Profile, landing: _Landing, bar: tqdm
                    ) -> tuple[np.ndarray, Catalog, Campaigns, Prizes]:
    """Lands the exchange rates, the product catalogue, the marketing campaigns and the lottery prizes (the
    unfair prize without faults) and returns the daily rates, catalogue, campaigns and prizes."""
    rate_days, rates = fx_table(_rng(seed, 1))
    landing.emit("reference.fx_rates", _fx_rates_table(_rng(seed, 2), rate_days, rates))
    bar.update()
    cat, products = build_catalog(_rng(seed, 3), profile)
    landing.emit("shop.products", products)
    camps = build_campaigns(_rng(seed, 4))
    landing.emit("marketing.campaigns", camps.table)
    prizes = build_prizes(_rng(seed, 5), camps, profile)
    landing.emit("promotions.lottery_prizes", prizes.table,
                 pc.equal(prizes.table.column("prize_id"), prizes.prize_id[prizes.unfair])
                 .to_numpy(zero_copy_only=False))
    bar.update()
    return rates, cat, camps, prizes


def _customers_and_partners(seed: int, profile: Profile, cat: Catalog, camps: Campaigns, rates: np.ndarray,
                            landing: _Landing, bar: tqdm) -> tuple[Population, Dealers, _PlantedIds]:
    """Lands the dealer portal (under-reporting dealers and dealers with a shop account without faults), the
    marketing leads, the shop's customers, the customer master and friends and family (customers with planted
    behaviour without faults); returns the population, the dealers and the planted customers' ids."""
    pop, pop_tables = build_population(_rng(seed, 6), profile)
    planted_segment = np.isin(pop.segment, PLANTED)
    planted = _PlantedIds(pa.array(pop.shop_id[planted_segment], pa.string()),
                          pa.array([c for c in pop.crm_id[planted_segment] if c is not None], pa.string()))
    bar.update()
    dealers, dealer_tables = build_dealers(_rng(seed, 7), profile, pop, cat, rates)
    protected_dealers = pa.array(dealers.dealer_id[dealers.under_reporting], pa.string())
    dealer_has_shop_account = pc.is_valid(dealer_tables["dealer_portal.dealers"].column("shop_customer_id"))
    for q, t in dealer_tables.items():
        protected = pc.is_in(t.column("dealer_id"), value_set=protected_dealers).to_numpy(zero_copy_only=False)
        if q == "dealer_portal.dealers":
            protected = protected | dealer_has_shop_account.to_numpy(zero_copy_only=False)
        landing.emit(q, t, protected)
    bar.update()
    for q, t in build_leads(_rng(seed, 8), profile, camps, dealers, rates).items():
        landing.emit(q, t)
    bar.update()
    customers = pop_tables["shop.customers"]
    landing.emit("shop.customers", customers, pc.is_in(customers.column("customer_id"), value_set=planted.shop_ids)
                 .to_numpy(zero_copy_only=False))
    master = pop_tables["mdm.customer_master"]
    planted_sources = pa.concat_arrays([planted.shop_ids, planted.crm_ids])
    landing.emit("mdm.customer_master", master, pc.is_in(master.column("source_customer_id"),
                                                         value_set=planted_sources).to_numpy(zero_copy_only=False))
    landing.emit("mdm.friends_family", pop_tables["mdm.friends_family"])
    bar.update()
    return pop, dealers, planted


def _customer_activity(seed: int, profile: Profile, world: World, planted: _PlantedIds, landing: _Landing,
                       bar: tqdm) -> dict[str, list]:
    """Simulates the customers block by block (activity.simulate_block) and lands each block's tables (rows of
    customers with planted behaviour, and the orders the answer key names, without faults), then the loyalty
    system's daily totals of all wallet movements. Returns the blocks' answer-key fragments."""
    counters = Counters()
    n_types = len(TX_TYPES)
    day_type_count = np.zeros((N_DAYS, n_types))
    day_type_amount = np.zeros((N_DAYS, n_types))
    day_type_points = np.zeros((N_DAYS, n_types))
    fragments: dict[str, list] = {"untended_churned": [], "tended_churned": [], "bargain_hunters": [],
                                  "planted_campaign_orders": []}
    keyed_by_customer = {"shop.orders", "shop.custom_order_requests", "shop.reseller_inquiries"}
    n_blocks = -(-profile.customers // profile.chunk_customers)
    for block in range(n_blocks):
        lo = block * profile.chunk_customers
        hi = min(profile.customers, lo + profile.chunk_customers)
        result = simulate_block(_rng(seed, 1000 + block), world, lo, hi, counters)
        day_type = result.wallet_day * n_types + result.wallet_type
        size = N_DAYS * n_types
        day_type_count += np.bincount(day_type, minlength=size).reshape(N_DAYS, n_types)
        day_type_amount += np.bincount(day_type, weights=result.wallet_amount, minlength=size).reshape(N_DAYS, n_types)
        day_type_points += np.bincount(day_type, weights=result.wallet_points, minlength=size).reshape(N_DAYS, n_types)
        for name, fragment in result.truth.items():
            fragments[name].append(fragment)
        block_orders = result.tables["shop.orders"]
        planted_orders = pc.filter(block_orders.column("order_id"),
                                   pc.is_in(block_orders.column("customer_id"), value_set=planted.shop_ids))
        landing.injector.plan_block({q: cap_loaded_at(t) for q, t in result.tables.items()},
                                    set(planted_orders.to_pylist()) | set(result.protected_orders.tolist()))
        for q, t in result.tables.items():
            protected = None
            if q in keyed_by_customer:
                protected = pc.is_in(t.column("customer_id"), value_set=planted.shop_ids).to_numpy(zero_copy_only=False)
            elif q in ("crm.touchpoints", "crm.referrals"):
                column = "crm_contact_id" if q == "crm.touchpoints" else "referrer_crm_contact_id"
                protected = pc.is_in(t.column(column), value_set=planted.crm_ids).to_numpy(zero_copy_only=False)
            landing.emit(q, t, protected)
        bar.update()
    landing.emit("loyalty.daily_totals", _daily_totals(_rng(seed, 9), day_type_count, day_type_amount,
                                                       day_type_points))
    bar.update()
    return fragments


def _answer_key(world: World, fragments: dict[str, list], injector: FaultInjector, landing_files: pa.Table,
                systems: frozenset[str] | None) -> dict[str, pa.Table]:
    """The truth/ tables: planted behaviours, the faults injected and the landing's file forms (with
    ``systems``, only the faults of the systems written and the truths that speak of them)."""
    population = world.population
    truths = {
        "resellers": truth_mod.resellers(population),
        "bargain_hunters": truth_mod.customers_with_order(population, fragments["bargain_hunters"], "first_order_id",
                                                           False),
        "under_reporting_dealers": truth_mod.under_reporting(world.dealers),
        "unfair_prizes": truth_mod.prizes(world.prizes, world.campaigns.campaign_id, True),
        "fair_prizes": truth_mod.prizes(world.prizes, world.campaigns.campaign_id, False),
        "untended_churned": truth_mod.customers_with_order(population, fragments["untended_churned"], "last_order_id",
                                                            True),
        "tended_churned": truth_mod.customers_with_order(population, fragments["tended_churned"], "last_order_id",
                                                          True),
        "campaign_lift": truth_mod.campaign_lift(world.campaigns, fragments["planted_campaign_orders"]),
        "faults": injector.records(),
        "landing_files": landing_files,
    }
    if systems is not None:
        faults_table = truths["faults"]
        truths["faults"] = faults_table.filter(pc.is_in(faults_table.column("source_system"),
                                                        value_set=pa.array(sorted(systems), pa.string())))
        truths = {name: t for name, t in truths.items() if TRUTH_SYSTEMS.get(name) in (None, *systems)}
    return truths
