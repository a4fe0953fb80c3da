"""Publish an already built and tested warehouse, then write the dealer extracts (run with the project's Python).

`make test-bi` uses it after `make test` built the ci warehouse, so the dashboards and dealer pages have data
without running the whole Dagster job again. It publishes only when the warehouse is newer than what the serving
file holds, and is no substitute for the audited publish of `make run`.

    python bi/publish_built.py [--warehouse PATH] [--serving-dir DIR] [--exports DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from orchestration import extracts, landing, publish, settings  # noqa: E402


def extracts_as_of(serving_file: Path) -> dt.date:
    """The last month the published sell-through covers (its last day), so every dealer page has history."""
    with duckdb.connect(str(serving_file), read_only=True) as con:
        (last,) = con.execute("select max(period_month) from marts.rpt_dealer_sell_through").fetchone()
    if last is None:
        return dt.datetime.now(dt.UTC).date()
    return (last.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--warehouse", type=Path,
                        default=Path(os.environ.get("WAREHOUSE_PATH", REPO / "data" / "warehouse.duckdb")))
    parser.add_argument("--serving-dir", type=Path, default=REPO / "data" / "serving")
    parser.add_argument("--exports", type=Path, default=REPO / "data" / "exports" / "dealers")
    args = parser.parse_args(argv)
    if not args.warehouse.exists():
        print(f"error: no warehouse at {args.warehouse}: build it first (`make build` or `make test`)",
              file=sys.stderr)
        return 2
    current = publish.current_target(args.serving_dir)
    if current is None or not current.exists() or current.stat().st_mtime < args.warehouse.stat().st_mtime:
        from orchestration.serving import marts_to_publish

        run_id = "built-" + dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
        domains = landing.active_domains(landing.recorded_table_rows(args.warehouse))
        # the lead contacts extracts may carry are snapshotted at the publish, as the Dagster job does
        extracts.snapshot_lead_contacts(args.warehouse, args.serving_dir, run_id)
        result = publish.publish(args.warehouse, args.serving_dir, run_id, marts_to_publish(), domains=domains,
                                 storage_version=settings.serving_storage_version())
        extracts.prune_lead_contacts(args.serving_dir)
        print(f"published {len(result.row_counts)} marts into {result.path} in {result.seconds:.1f} s")
        current = result.path
    as_of = extracts_as_of(current)
    written = extracts.write_extracts(args.serving_dir, args.exports, as_of)
    print(f"wrote {len(written.written)} dealer extracts as of {as_of} into {args.exports}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
