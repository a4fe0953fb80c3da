"""Command line: ``python -m simulator --profile ci|demo|large --seed N --out DIR [--faults] [--new-day [N]]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from simulator.profiles import PROFILES
from simulator.schema import TABLES


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the simulation and print a summary."""
    from simulator.generate import run

    p = argparse.ArgumentParser(prog="python -m simulator", description="Generate raw source-system Parquet "
                                "files and the answer key for the Relationship Warehouse.")
    p.add_argument("--profile", choices=sorted(PROFILES), default="ci")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--out", type=Path, default=Path("data"))
    p.add_argument("--faults", action="store_true", help="inject realistic bad rows (recorded in truth/faults)")
    p.add_argument("--systems", default="", help="comma-separated source systems to write (default: all), e.g. "
                   "shop,mdm,reference for a shop-only company; the written tables equal a full run's")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.add_argument("--new-day", type=int, nargs="?", const=1, metavar="N",
                   help="add only day N after the window (default 1) to the landing already in --out, simulated "
                   "with the same profile and seed: orders, lines, refunds, wallet movements and rates, in new "
                   "<table>_<YYYY-MM-DD>.parquet files landed after every existing row")
    a = p.parse_args(argv)
    if a.new_day is not None:
        import time

        from simulator.new_day import land_new_day

        started = time.perf_counter()
        counts = land_new_day(a.profile, a.seed, a.out, a.new_day)
        for table, n in counts.items():
            print(f"  {table:<42} {n:>12,}")
        print(f"added day {a.new_day} after the window to {a.out / 'raw'} in {time.perf_counter() - started:.2f} s")
        return 0
    systems = frozenset(s.strip() for s in a.systems.split(",") if s.strip()) or None
    known = {t.system for t in TABLES.values()}
    if systems and not systems <= known:
        p.error(f"unknown system(s): {', '.join(sorted(systems - known))}; known: {', '.join(sorted(known))}")
    m = run(a.profile, a.seed, a.out, faults=a.faults, progress=not a.no_progress, systems=systems)
    total = sum(m["row_counts"].values())
    print(f"profile={m['profile']} seed={m['seed']} faults={m['faults']} window={m['start_date']}..{m['end_date']}")
    for table, n in m["row_counts"].items():
        print(f"  {table:<42} {n:>12,}")
    print(f"  {'TOTAL':<42} {total:>12,}")
    print("truth: " + ", ".join(f"{k}={v}" for k, v in m["truth_row_counts"].items()))
    print(f"wrote {a.out / 'raw'} and {a.out / 'truth'} in {m['generation_seconds']} s", file=sys.stdout)
    return 0
