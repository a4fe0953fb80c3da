"""Benchmark: simulate each profile and build the warehouse from it, timing both.

    python -m orchestration.bench [--profiles demo large] [--seed 42] [--out data/bench]

Each profile lands in <out>/<profile>/ and is built into <out>/<profile>/warehouse.duckdb, so the main
warehouse is left alone. Prints a table and writes <out>/results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def timed(args: list[str], env: dict[str, str]) -> float:
    """Run a command to completion (output passes through) and return its wall-clock seconds."""
    started = time.perf_counter()
    subprocess.run(args, cwd=REPO, env=env, check=True)
    return time.perf_counter() - started


def machine() -> str:
    """One line describing the machine the figures come from."""
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, {memory_gib:.0f} GiB, "
        f"Python {platform.python_version()}"
    )


def bench_profile(profile: str, seed: int, out: Path) -> dict[str, object]:
    data_dir = out / profile
    warehouse = data_dir / "warehouse.duckdb"
    warehouse.unlink(missing_ok=True)
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(REPO / "profiles"),
        "RAW_DATA_DIR": str(data_dir / "raw"),
        "WAREHOUSE_PATH": str(warehouse),
    }
    bin_dir = Path(sys.executable).parent
    simulate_seconds = timed(
        [sys.executable, "-m", "simulator", "--profile", profile, "--seed", str(seed), "--out", str(data_dir)], env
    )
    build_seconds = timed([str(bin_dir / "dbt"), "build", "--exclude", "test_type:unit"], env)
    manifest = json.loads((data_dir / "truth" / "manifest.json").read_text())
    return {
        "profile": profile,
        "simulate_seconds": round(simulate_seconds, 1),
        "dbt_build_seconds": round(build_seconds, 1),
        "row_counts": manifest.get("row_counts", {}),
        "warehouse_mib": round(warehouse.stat().st_size / 2**20, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profiles", nargs="+", default=["demo", "large"])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=REPO / "data" / "bench")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    results = [bench_profile(profile, args.seed, args.out) for profile in args.profiles]
    peak_child_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    report = {"machine": machine(), "peak_child_rss_mib": round(peak_child_mib), "results": results}
    (args.out / "results.json").write_text(json.dumps(report, indent=2))
    print(f"\nMachine: {report['machine']}")
    print(f"{'profile':<8} {'order lines':>12} {'simulate s':>11} {'dbt build s':>12} {'warehouse MiB':>14}")
    for result in results:
        lines = result["row_counts"].get("shop.order_lines", "?")
        print(
            f"{result['profile']:<8} {lines:>12} {result['simulate_seconds']:>11} "
            f"{result['dbt_build_seconds']:>12} {result['warehouse_mib']:>14}"
        )
    print(
        f"peak memory of one child process: {report['peak_child_rss_mib']} MiB; results in {args.out / 'results.json'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
