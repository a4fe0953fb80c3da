"""Run the whole job through Dagster, in-process: land (optionally simulate) → dbt build → GX audit → publish →
dealer extracts. Used by `make run`; prints where to point a BI tool and where the extracts are.

    python -m orchestration.run [--simulate demo|ci] [--seed 42] [--faults] [--partition YYYY-MM-DD]

The landing is checked first (every problem listed at once; nothing runs when there is one), and the build
warehouse starts afresh unless the landing appends to the one it was built from (orchestration.landing).

Runs are recorded in the Dagster instance of DAGSTER_HOME (default .dagster_home/, created if missing), so
`dagster dev` shows them and the raw volume check compares with the previous load.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from orchestration import landing, settings


@dataclass
class JobOutcome:
    success: bool
    run_id: str
    seconds: float
    failed_checks: list[str] = field(default_factory=list)
    failure: str = ""
    extracts_run_id: str = ""
    extracts_seconds: float = 0.0
    published: bool = False


def ensure_dagster_home() -> str:
    home = os.environ.get("DAGSTER_HOME") or str(settings.REPO / ".dagster_home")
    os.makedirs(home, exist_ok=True)
    os.environ["DAGSTER_HOME"] = home
    return home


def run_whole_job(
    simulate: str = "",
    seed: int = 42,
    faults: bool = False,
    partition: str | None = None,
    instance: Any = None,
    extracts: bool = True,
) -> JobOutcome:
    """Execute warehouse_job (and then dealer_extracts_job when something was published) in-process."""
    from dagster import DagsterInstance

    from orchestration.dbt_assets import daily_partitions
    from orchestration.definitions import defs
    from orchestration.serving import dealer_partitions

    instance = instance or DagsterInstance.get()
    partition = partition or daily_partitions.get_last_partition_key()
    job = defs.resolve_job_def("warehouse_job")
    started = time.perf_counter()
    result = job.execute_in_process(
        instance=instance,
        partition_key=partition,
        run_config={"ops": {"raw_landing": {"config": {"simulate_profile": simulate, "seed": seed, "faults": faults}}}},
        raise_on_error=False,
    )
    outcome = JobOutcome(result.success, result.run_id, time.perf_counter() - started)
    for event in result.all_events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if not evaluation.passed:
                description = evaluation.description or ""
                outcome.failed_checks.append(
                    f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}: {description[:300]}"
                )
        if event.event_type_value == "STEP_FAILURE":
            outcome.failure += f"{event.step_key}: {event.event_specific_data.error.message[:1500]}\n"
        if (
            event.event_type_value == "ASSET_MATERIALIZATION"
            and event.asset_key.to_user_string() == "serving_warehouse"
        ):
            outcome.published = True
    if not (outcome.published and extracts):
        return outcome
    dealers = instance.get_dynamic_partitions(dealer_partitions.name)
    if dealers:
        extracts_started = time.perf_counter()
        extracts_result = defs.resolve_job_def("dealer_extracts_job").execute_in_process(
            instance=instance,
            tags={"dagster/asset_partition_range_start": dealers[0], "dagster/asset_partition_range_end": dealers[-1]},
            raise_on_error=False,
        )
        outcome.extracts_run_id = extracts_result.run_id
        outcome.extracts_seconds = time.perf_counter() - extracts_started
        outcome.success = outcome.success and extracts_result.success
        if not extracts_result.success:
            outcome.failure += "dealer_extracts_job failed\n"
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--simulate", default="", help="simulate this profile into RAW_DATA_DIR/.. first")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--faults", action="store_true")
    parser.add_argument("--partition", default=None, help="day of the incremental facts (default: yesterday)")
    parser.add_argument("--no-extracts", action="store_true")
    args = parser.parse_args(argv)
    home = ensure_dagster_home()
    settings.export_dbt_env()
    if not args.simulate:
        # Every problem of the landing before Dagster starts (the raw_landing asset checks again, and a simulated
        # landing is checked there once it is written).
        report = landing.check_landing()
        if not report.ok:
            print(landing.format_report(report))
            return 1
    outcome = run_whole_job(args.simulate, args.seed, args.faults, args.partition, extracts=not args.no_extracts)
    print(
        f"\nDagster run {outcome.run_id} ({'succeeded' if outcome.success else 'FAILED'}) in {outcome.seconds:.1f} s;"
    )
    print(f"  runs recorded in DAGSTER_HOME={home} (see them with `make dev`).")
    if outcome.failed_checks:
        print("Failed checks (nothing was published; BI tools keep the last good data):")
        for check in outcome.failed_checks:
            print(f"  - {check}")
    if outcome.failure:
        print(f"Failure:\n{outcome.failure}")
    current = settings.serving_current()
    if outcome.published:
        print(f"\nPublished. Point a BI tool (DuckDB driver, read-only) at: {current}")
        print(f"  -> {os.readlink(current)}; marts in schema `marts`, PII columns dropped.")
    elif current.exists():
        print(f"\nNot published. BI tools keep reading the last good data: {current} -> {os.readlink(current)}")
    if outcome.extracts_run_id:
        print(f"Dealer extracts ({outcome.extracts_seconds:.1f} s): {settings.exports_dir()}/<dealer_id>/")
    print(f"Build warehouse (dbt, not for BI tools): {settings.warehouse_path()}")
    return 0 if outcome.success else 1


if __name__ == "__main__":
    sys.exit(main())
