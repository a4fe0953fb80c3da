"""Source freshness: `dbt source freshness` as one asset check per source table (`dbt_source_freshness`, on the raw
asset dagster-dbt's staging hangs off).

Each source states its rule in its sources YAML (`loaded_at_field: loaded_at`, `warn_after` / `error_after`).
dbt's verdict maps to the check: pass → passed; warn → failed with severity WARN; error → failed with severity
ERROR. A table with no rows is not stale when its system is optional (a company brings only the systems it has):
the check passes and says the table was not landed; a required table without rows fails. The checks never block
the build or the publish: stale exports are still the newest data there is, and the check says how old they are.
"""

from collections.abc import Iterator, Mapping
from typing import Any

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    multi_asset_check,
)
from dagster_dbt import DbtCliResource

from orchestration import landing, raw
from orchestration.dbt_assets import holding_data_lock, run_target_path

CHECK_NAME = "dbt_source_freshness"
SEVERITY = {"warn": AssetCheckSeverity.WARN}  # anything else that is not a pass is an error


def source_label(source: Mapping[str, Any]) -> str:
    """`<system>.<table>`, as the landing records name tables."""
    return f"{source['source_name']}.{source['name']}"


def is_required(source: Mapping[str, Any]) -> bool:
    """A table every landing must hold (the shop core); every other system is optional."""
    return (source.get("meta") or {}).get("landing") == "required"


def freshness_results(
    sources: list[dict[str, Any]],
    results: Mapping[str, Mapping[str, Any]],
    table_rows: Mapping[str, int],
    failure: str = "",
) -> Iterator[AssetCheckResult]:
    """One check result per source table from dbt's `sources.json` results (by unique_id), the landed row count of
    each table and, when dbt produced no results at all, the reason."""
    for source in sources:
        key = raw.raw_key(source)
        result = results.get(source["unique_id"])
        # Every landed table is in the landing record; one missing from a record was not landed at all.
        rows = table_rows.get(source_label(source), 0 if table_rows else None)
        rule = source.get("freshness") or {}
        metadata: dict[str, Any] = {
            "loaded_at_field": source.get("loaded_at_field") or "",
            "warn_after": _period(rule.get("warn_after")),
            "error_after": _period(rule.get("error_after")),
        }
        if rows == 0 and not is_required(source):
            yield AssetCheckResult(
                asset_key=key,
                check_name=CHECK_NAME,
                passed=True,
                description="not landed: an optional system's table without rows has no freshness to check",
                metadata={**metadata, "row_count": 0},
            )
            continue
        if result is None:
            yield AssetCheckResult(
                asset_key=key,
                check_name=CHECK_NAME,
                passed=False,
                severity=AssetCheckSeverity.ERROR,
                description=(failure or "dbt source freshness returned no result for this table")[:1000],
                metadata=metadata,
            )
            continue
        status = result.get("status", "runtime error")
        max_loaded_at = result.get("max_loaded_at")
        age = result.get("max_loaded_at_time_ago_in_s")
        if max_loaded_at:
            metadata["max_loaded_at"] = str(max_loaded_at)
        if age is not None:
            metadata["hours_since_last_load"] = round(float(age) / 3600, 1)
        if status == "pass":
            description = f"newest row loaded at {max_loaded_at}"
        elif status in SEVERITY or status == "error":
            description = f"{status}: newest row loaded at {max_loaded_at} ({_hours(age)} ago)"
        else:
            description = f"{status}: {result.get('error') or result.get('message') or ''}".strip()
        yield AssetCheckResult(
            asset_key=key,
            check_name=CHECK_NAME,
            passed=status == "pass",
            severity=SEVERITY.get(status, AssetCheckSeverity.ERROR),
            description=description[:1000],
            metadata=metadata,
        )


def _period(rule: Mapping[str, Any] | None) -> str:
    if not rule or rule.get("count") is None:
        return ""
    return f"{rule['count']} {rule['period']}(s)"


def _hours(seconds: float | None) -> str:
    return "?" if seconds is None else f"{float(seconds) / 3600:,.0f} h"


_SOURCES = raw.raw_tables()


@multi_asset_check(
    specs=[
        AssetCheckSpec(
            CHECK_NAME,
            asset=raw.raw_key(source),
            description="`dbt source freshness`: the newest `loaded_at` against the source's warn_after/error_after.",
            blocking=False,
        )
        for source in _SOURCES
    ],
    name="source_freshness",
)
def source_freshness(context: AssetCheckExecutionContext, dbt: DbtCliResource) -> Iterator[AssetCheckResult]:
    """Run `dbt source freshness` over the landed source views and report one check per source table."""
    run_id = context.run.run_id
    target = run_target_path(run_id) / "freshness"
    failure = ""
    results: dict[str, dict[str, Any]] = {}
    with holding_data_lock(context, f"Dagster run {run_id} (dbt source freshness)"):
        invocation = dbt.cli(["source", "freshness"], raise_on_error=False, target_path=target)
        invocation.wait()
    sources_json = target / "sources.json"
    if sources_json.exists():
        results = {result["unique_id"]: result for result in invocation.get_artifact("sources.json")["results"]}
    else:
        failure = f"dbt source freshness failed: {invocation.get_error()}"
        context.log.error(failure)
    table_rows = landing.recorded_table_rows()
    context.log.info(
        "source freshness: "
        + ", ".join(f"{status} {count}" for status, count in _count(results).items())
        + (f"; {failure}" if failure else "")
    )
    yield from freshness_results(_SOURCES, results, table_rows, failure)


def _count(results: Mapping[str, Mapping[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for result in results.values():
        counts[result.get("status", "?")] = counts.get(result.get("status", "?"), 0) + 1
    return dict(sorted(counts.items()))

