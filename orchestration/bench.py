"""Benchmark: full build, new-day incremental build and the hand-written floor, on one profile.

    python -m orchestration.bench [--profile large|demo|ci] [--seed 42] [--faults] [--out data/bench]
    python -m orchestration.bench floor --raw DIR --database FILE     # the floor script alone

1. The landing of the profile is simulated once into `<out>/<profile>-<simulator version>-<seed>[-faults]/`
   (a later run with the same simulator version and seed finds it there and says so).
2. A run folder `<out>/run-<profile>-<seed>[-faults]/` gets a landing of links to the cached files and an empty
   warehouse; `dbt build` (every data test, no unit tests) builds it in full.
3. The simulator adds the day after the window (`--new-day 1`) to the run's landing, and dbt builds again: the
   landing is an append, so the build is incremental.
4. bench/floor.sql computes the headline results from the raw files in its own DuckDB process; each of its
   tables is compared with the marts (EXCEPT ALL both ways).

Prints one table (wall-clock seconds, peak memory of the step's process, the load average when the step ended,
the target and whether it is met), writes `<out>/results-<profile>.json`, and exits 1 when a build failed or
the floor's results differ from the marts.

Before it starts, it checks that `<out>` has the free disk the profile needs (`DISK_NEEDED`); at the end it removes
the run's databases (a `large` warehouse is about 16 GB) and keeps the logs, unless `--keep` is given.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FLOOR_SQL = REPO / "bench" / "floor.sql"
TIME = Path("/usr/bin/time")
GIB = 2**30

# Free disk a bench run needs in its `--out` folder: the warehouse at its largest (the full build, the new day's build
# replacing tables, DuckDB's spill files) and the floor's database. Measured on seed 42: large used up to 25 GB.
DISK_NEEDED = {"ci": 1 * 10**9, "demo": 3 * 10**9, "large": 26 * 10**9}
# What a run leaves that `--keep` keeps: the databases (and DuckDB's write-ahead logs and spill folders).
RUN_DATABASES = ("warehouse.duckdb", "warehouse.duckdb.wal", "warehouse.duckdb.tmp", "floor.duckdb",
                 "floor.duckdb.wal", "floor.duckdb.tmp")

# Tables bench/floor.sql reads, with their folders: each gets a `csv_<table>` variable (its CSV files).
FLOOR_CSV_TABLES = {
    "fx_rates": "reference/fx_rates",
    "orders": "shop/orders",
    "order_lines": "shop/order_lines",
    "refunds": "shop/refunds",
    "products": "shop/products",
    "customer_master": "mdm/customer_master",
    "wallet_transactions": "loyalty/wallet_transactions",
    "dealers": "dealer_portal/dealers",
    "dealer_sales": "dealer_portal/dealer_sales",
}

# Each floor table beside the same figures read from the marts.
COMPARISONS = {
    "order economics (fct_orders)": (
        "select * from floor_orders",
        """select order_id, golden_customer_id, order_date, currency_code, net_amount, refunded_amount,
                  net_amount_reporting, refunded_amount_reporting, net_amount_after_refunds_reporting
           from warehouse.marts.fct_orders""",
    ),
    "customer lifetime (dim_customers)": (
        "select * from floor_customers",
        """select golden_customer_id, lifetime_orders, first_order_date, last_order_date,
                  lifetime_net_revenue_reporting
           from warehouse.marts.dim_customers where lifetime_orders > 0""",
    ),
    "wallet balances (fct_wallet_ledger)": (
        "select * from floor_wallets",
        """select member_id, currency_code, cast(paid_balance + bonus_balance as decimal(18, 4)) as wallet_balance,
                  cast(points_balance as bigint) as points_balance
           from warehouse.marts.fct_wallet_ledger
           qualify row_number() over (partition by member_id order by entry_sequence desc) = 1""",
    ),
    "dealer sell-through (fct_dealer_sales)": (
        "select * from floor_dealer_months",
        """select dealer_id, period_month, count(*) as report_lines, sum(quantity) as units,
                  cast(sum(revenue_amount_reporting) as decimal(18, 4)) as revenue_amount_reporting
           from warehouse.marts.fct_dealer_sales group by dealer_id, period_month""",
    ),
}


@dataclass
class Step:
    name: str
    seconds: float | None = None
    peak_rss_bytes: int | None = None
    load_average: str = ""
    ok: bool = True
    note: str = ""


def simulator_version() -> str:
    """The simulator's version and a digest of its source, so a change to the simulator never reuses a landing
    simulated by an earlier one."""
    import hashlib

    from simulator import __version__

    digest = hashlib.sha256()
    for source in sorted((REPO / "simulator").glob("*.py")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return f"{__version__}-{digest.hexdigest()[:10]}"


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as `uptime` shows them."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def run_step(name: str, args: list[str], env: dict[str, str], log: Path, check: bool = True) -> Step:
    """Run one command (output to `log`), timing it and measuring its peak resident memory."""
    rss_file = log.with_suffix(".rss")
    wrapped = [str(TIME), "-f", "%M", "-o", str(rss_file), *args] if TIME.exists() else args
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    with open(log, "w") as handle:
        result = subprocess.run(wrapped, cwd=REPO, env=env, stdout=handle, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - started
    if TIME.exists() and rss_file.exists() and rss_file.read_text().strip().splitlines():
        peak = int(rss_file.read_text().strip().splitlines()[-1]) * 1024
    else:  # the largest child so far: exact only when this step's process is the largest yet
        peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) * 1024
    step = Step(name, seconds, peak, load_average(), result.returncode == 0)
    if not step.ok:
        step.note = f"exit {result.returncode}, see {log}"
        if check:
            print(log.read_text()[-3000:], file=sys.stderr)
            raise SystemExit(f"{name} failed: {step.note}")
    return step


def link_landing(source: Path, target: Path) -> None:
    """A landing of hard links to the cached files (copies across file systems), so files added to it never touch
    the cache. Not symbolic links: the build's file listing does not follow them."""
    if target.exists():
        shutil.rmtree(target)
    for path in sorted(source.rglob("*")):
        if path.is_file():
            link = target / path.relative_to(source)
            link.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(path, link)
            except OSError:
                shutil.copy2(path, link)


def dbt_build(name: str, env: dict[str, str], logs: Path) -> tuple[Step, str]:
    """Check the landing and record it, `dbt build` (data tests included), record the landing as built."""
    python = sys.executable
    prepare = subprocess.run([python, "-m", "orchestration.landing", "prepare"], cwd=REPO, env=env,
                             capture_output=True, text=True)
    if prepare.returncode != 0:
        raise SystemExit(f"the landing check failed:\n{prepare.stdout}{prepare.stderr}")
    account = prepare.stdout.strip().splitlines()[-1]
    dbt = str(Path(python).parent / "dbt")
    step = run_step(name, [dbt, "build", "--exclude", "test_type:unit"], env, logs / f"{name.replace(' ', '_')}.log",
                    check=False)
    if step.ok:
        subprocess.run([python, "-m", "orchestration.landing", "record"], cwd=REPO, env=env, check=True,
                       capture_output=True)
    return step, account


def csv_variables(raw: Path, headers: Path) -> dict[str, list[str]]:
    """For each table the floor reads: its CSV files, and a header-only file of its columns (never empty)."""
    from simulator.schema import TABLES

    headers.mkdir(parents=True, exist_ok=True)
    variables = {}
    for name, folder in FLOOR_CSV_TABLES.items():
        header = headers / f"{name}.csv"
        header.write_text(",".join(TABLES[folder.replace("/", ".")].column_names) + "\n")
        files = sorted(str(p) for p in (raw / folder).rglob("*") if p.is_file() and p.suffix.lower() == ".csv")
        variables[f"csv_{name}"] = [*files, str(header)]
    return variables


def run_floor(raw: Path, database: Path) -> None:
    """Execute bench/floor.sql against the landing `raw`, its tables written to `database`."""
    import duckdb

    database.unlink(missing_ok=True)
    con = duckdb.connect(str(database))
    # the same memory cap as the warehouse build (profiles/profiles.yml)
    con.execute(f"set memory_limit = '{os.environ.get('DUCKDB_MEMORY_LIMIT', '10GB')}'")
    variables: dict[str, object] = {"raw_dir": str(raw.resolve()), "seeds_dir": str(REPO / "seeds")}
    variables.update(csv_variables(raw, database.parent / "floor_headers"))
    for name, value in variables.items():
        con.execute(f"set variable {name} = $value", {"value": value})
    con.execute("set variable build_started_at = cast(now() at time zone 'UTC' as timestamp)")
    con.execute(FLOOR_SQL.read_text())
    con.close()


def compare(floor_db: Path, warehouse: Path) -> dict[str, dict[str, int]]:
    """Rows of each floor table missing from the marts and the other way round, and the rows compared."""
    import duckdb

    con = duckdb.connect(str(floor_db), read_only=True)
    con.execute(f"attach '{warehouse}' as warehouse (read_only)")
    results = {}
    for figure, (floor_sql, mart_sql) in COMPARISONS.items():
        only_floor = con.execute(f"select count(*) from ({floor_sql} except all {mart_sql})").fetchone()[0]
        only_marts = con.execute(f"select count(*) from ({mart_sql} except all {floor_sql})").fetchone()[0]
        rows = con.execute(f"select count(*) from ({floor_sql})").fetchone()[0]
        results[figure] = {"rows": rows, "only_in_floor": only_floor, "only_in_marts": only_marts}
    con.close()
    return results


def _seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.1f} s" if value < 120 else f"{value / 60:,.1f} min"


def _met(measured: float | None, limit: float | None) -> str:
    if measured is None or limit is None:
        return ""
    return "met" if measured <= limit else "NOT met"


def report(profile: str, steps: dict[str, Step], warehouse_bytes: int, simulated: bool) -> list[str]:
    """The bench table: each step with its target (for the profile) and whether it is met."""
    large = profile == "large"
    full, floor = steps["full build"], steps["floor"]
    targets: dict[str, tuple[float | None, str]] = {
        "simulate": (300.0 if large and simulated else None, "≤ 5 min" if large else ""),
        "full build": (900.0 if large else None, "≤ 15 min" if large else ""),
        "new day (simulate)": (None, ""),
        "incremental build": (
            (90.0, "≤ 90 s") if large
            else (0.1 * full.seconds, "≤ 10% of full") if profile == "demo" and full.seconds else (None, "")
        ),
        "floor": (None, ""),
    }
    lines = [f"{'step':<20} {'measured':>11} {'peak RSS':>9}  {'load average':<16} {'target':<15} met"]
    for name, step in steps.items():
        limit, label = targets.get(name, (None, ""))
        rss = f"{step.peak_rss_bytes / GIB:.2f} GiB" if step.peak_rss_bytes else "—"
        measured = _seconds(step.seconds) + ("" if step.ok else " FAILED")
        note = f"  ({step.note})" if step.note else ""
        lines.append(f"{name:<20} {measured:>11} {rss:>9}  {step.load_average:<16} {label:<15} "
                     f"{_met(step.seconds, limit)}{note}")
    ratio = full.seconds / floor.seconds if full.seconds and floor.seconds else None
    lines.append(f"{'full / floor':<20} {f'{ratio:.1f}×' if ratio else '—':>11} {'':>9}  {'':<16} "
                 f"{'≤ 2×' if large else '':<15} {_met(ratio, 2.0 if large else None)}")
    peak = max((s.peak_rss_bytes or 0) for s in steps.values())
    lines.append(f"{'peak RSS':<20} {f'{peak / GIB:.2f} GiB':>11} {'':>9}  {'':<16} {'≤ 12 GB':<15} "
                 f"{_met(peak / 1e9, 12.0)}")
    lines.append(f"{'warehouse size':<20} {f'{warehouse_bytes / GIB:.2f} GiB':>11}")
    return lines


def _size(path: Path) -> int:
    """Bytes that deleting `path` frees: files only it links (a hard link to the landing cache frees nothing)."""
    if path.is_dir():
        stats = [f.stat() for f in path.rglob("*") if f.is_file()]
    else:
        stats = [path.stat()] if path.exists() else []
    return sum(stat.st_size for stat in stats if stat.st_nlink == 1)


def check_disk(out: Path, profile: str, run_dir: Path) -> None:
    """Stop before building when `out`'s file system lacks the free space the profile needs (counting the previous
    run's folder, which the bench replaces): a full disk would fail the build half-way, and everything else
    writing to that disk with it."""
    free = shutil.disk_usage(out).free + (_size(run_dir) if run_dir.exists() else 0)
    needed = DISK_NEEDED[profile]
    if free < needed:
        raise SystemExit(
            f"make bench: {out} has {free / 1e9:.1f} GB free, and a {profile} bench needs about {needed / 1e9:.0f} GB "
            f"(its warehouse and the floor's database). Free space on that disk, or give another folder with --out.")


def remove_databases(run_dir: Path) -> int:
    """Delete the run's databases (keeping its logs and landing); the bytes freed."""
    freed = 0
    for name in RUN_DATABASES:
        path = run_dir / name
        freed += _size(path)
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    return freed


def machine() -> str:
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / GIB
    return f"{platform.machine()}, {os.cpu_count()} cores, {memory_gib:.0f} GiB, Python {platform.python_version()}"


def bench(profile: str, seed: int, faults: bool, out: Path, keep: bool = False) -> int:
    python = sys.executable
    suffix = f"{seed}-faults" if faults else str(seed)
    cache = out / f"{profile}-{simulator_version()}-{suffix}"
    run_dir = out / f"run-{profile}-{suffix}"
    logs = run_dir / "logs"
    steps: dict[str, Step] = {}
    check_disk(out, profile, run_dir)
    simulated = not (cache / "truth" / "manifest.json").exists()
    if simulated:
        print(f"Simulating {profile} (seed {seed}) into {cache} …", flush=True)
        shutil.rmtree(cache, ignore_errors=True)
        cache.mkdir(parents=True)
        args = [python, "-m", "simulator", "--profile", profile, "--seed", str(seed), "--out", str(cache),
                "--no-progress", *(["--faults"] if faults else [])]
        steps["simulate"] = run_step("simulate", args, dict(os.environ), cache / "simulate.log")
    else:
        print(f"Cache hit: the {profile} landing (simulator {simulator_version()}, seed {seed}) is in {cache}; "
              "not simulating.", flush=True)
        steps["simulate"] = Step("simulate", note="cached")

    if run_dir.exists():
        shutil.rmtree(run_dir)
    logs.mkdir(parents=True)
    link_landing(cache / "raw", run_dir / "raw")
    warehouse = run_dir / "warehouse.duckdb"
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(REPO / "profiles"),
        "DBT_PROJECT_DIR": str(REPO),
        "RAW_DATA_DIR": str(run_dir / "raw"),
        "WAREHOUSE_PATH": str(warehouse),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    print("Full build …", flush=True)
    steps["full build"], _ = dbt_build("full build", env, logs)
    warehouse_bytes = warehouse.stat().st_size if warehouse.exists() else 0
    print("New day …", flush=True)
    steps["new day (simulate)"] = run_step(
        "new day (simulate)",
        [python, "-m", "simulator", "--profile", profile, "--seed", str(seed), "--out", str(run_dir), "--new-day"],
        env, logs / "new_day.log")
    print("Incremental build …", flush=True)
    steps["incremental build"], account = dbt_build("incremental build", env, logs)
    if not account.startswith("Incremental"):
        steps["incremental build"].note = account
    warehouse_bytes = warehouse.stat().st_size if warehouse.exists() else warehouse_bytes
    print("Floor …", flush=True)
    floor_db = run_dir / "floor.duckdb"
    steps["floor"] = run_step(
        "floor", [python, "-m", "orchestration.bench", "floor", "--raw", str(run_dir / "raw"),
                  "--database", str(floor_db)], env, logs / "floor.log")
    builds_ok = steps["full build"].ok and steps["incremental build"].ok
    comparison = compare(floor_db, warehouse) if builds_ok else {}

    lines = [f"make bench — profile {profile}, seed {seed}{', faults' if faults else ''}, simulator "
             f"{simulator_version()}, {machine()}", "", *report(profile, steps, warehouse_bytes, simulated), "",
             "floor vs marts (rows: floor's; differing: rows only in the floor / only in the marts, EXCEPT ALL):"]
    if not builds_ok:
        lines.append("  not compared: a build failed (see its log)")
    for figure, counts in comparison.items():
        verdict = "equal" if counts["only_in_floor"] == counts["only_in_marts"] == 0 else "DIFFER"
        lines.append(f"  {figure:<40} {counts['rows']:>11,} rows   {counts['only_in_floor']:>7,} / "
                     f"{counts['only_in_marts']:<7,} {verdict}")
    print("\n" + "\n".join(lines))
    (out / f"results-{profile}.json").write_text(json.dumps({
        "profile": profile, "seed": seed, "faults": faults, "simulator_version": simulator_version(),
        "machine": machine(), "warehouse_bytes": warehouse_bytes,
        "steps": {name: asdict(step) for name, step in steps.items()}, "floor_vs_marts": comparison,
    }, indent=2))
    if keep:
        print(f"\nKept the run's warehouse and floor database in {run_dir} (--keep).")
    else:
        freed = remove_databases(run_dir)
        print(f"\nRemoved the run's databases ({freed / 1e9:.1f} GB) from {run_dir}; the logs stay. "
              "--keep keeps them.")
    equal = all(c["only_in_floor"] == c["only_in_marts"] == 0 for c in comparison.values())
    return 0 if builds_ok and equal else 1


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["floor"]:
        parser = argparse.ArgumentParser(prog="python -m orchestration.bench floor")
        parser.add_argument("--raw", type=Path, required=True)
        parser.add_argument("--database", type=Path, required=True)
        args = parser.parse_args(argv[1:])
        run_floor(args.raw, args.database)
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", choices=["ci", "demo", "large"], default="large")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--faults", action="store_true", help="simulate with faults (a separate cache)")
    parser.add_argument("--out", type=Path, default=REPO / "data" / "bench")
    parser.add_argument("--keep", action="store_true",
                        help="keep the run's warehouse and floor database (removed by default: large's is ~16 GB)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    return bench(args.profile, args.seed, args.faults, args.out.resolve(), args.keep)


if __name__ == "__main__":
    sys.exit(main())
