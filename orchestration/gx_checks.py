"""Great Expectations 1.x suites as blocking Dagster asset checks.

GX's SQL datasource does not work with DuckDB (DESIGN.md §5), so every suite runs on a pandas DataFrame
read from DuckDB opened read-only:

- `mart__<name>` (one per mart, generated from the dbt manifest the first time a mart appears, then a
  committed file in gx/expectations/ a person may edit): not-null / unique / accepted values as declared
  in dbt, value ranges by naming convention (the column set is left to dbt's enforced contract). Runs on
  the whole table when it has at most ROW_BUDGET rows, else on a reservoir sample of ROW_BUDGET rows
  (repeatable), so memory stays bounded (uniqueness on a sample can only find duplicates; the dbt unique
  test and `mart_metrics` cover the whole table).
- `mart_metrics`: whole-table figures computed in DuckDB (row count, duplicate keys, row count relative to
  what is currently published): catches a collapsed or exploded volume.
- `fct_orders_daily_aov`: each day's average order value against the trailing 28 days.
- `raw_landing`: per landed table, rows against the previous load, null rate of the key and of loaded_at.

Bounds live in the suite files (gx/expectations/*.json), not in code.
"""

from __future__ import annotations

import fcntl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import great_expectations as gx
import great_expectations.expectations as gxe
import pandas as pd

from orchestration import settings

ROW_BUDGET = 200_000
DATASOURCE = "warehouse_frames"
MART_METRICS_SUITE = "mart_metrics"
DAILY_AOV_SUITE = "fct_orders_daily_aov"
RAW_SUITE = "raw_landing"


@dataclass(frozen=True)
class SuiteResult:
    suite: str
    success: bool
    evaluated: int
    failed: list[str]
    rows_validated: int
    sampled: bool


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def get_context(project_root: Path | None = None) -> Any:
    """The file context in <project root>/gx (created on first use)."""
    root = project_root or settings.gx_project_root()
    return gx.get_context(mode="file", project_root_dir=str(root))


def data_docs_index(project_root: Path | None = None) -> Path:
    root = project_root or settings.gx_project_root()
    return root / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"


# ---------------------------------------------------------------------------------------------- suites


def mart_expectations(node: Mapping[str, Any], tests: Sequence[Mapping[str, Any]]) -> list[Any]:
    """Default expectations of a mart from its dbt contract and tests."""
    # The column set is not frozen here: dbt's enforced contract already fails the build on a column drift.
    columns = list(node.get("columns", {}))
    expectations: list[Any] = []
    not_null = {
        name
        for name, column in node.get("columns", {}).items()
        if any(c.get("type") == "not_null" for c in column.get("constraints", []))
    }
    for test in tests:
        meta = test.get("test_metadata") or {}
        column = test.get("column_name")
        if not column:
            continue
        if meta.get("name") == "not_null":
            not_null.add(column)
        elif meta.get("name") == "unique":
            expectations.append(gxe.ExpectColumnValuesToBeUnique(column=column))
        elif meta.get("name") == "accepted_values":
            kwargs = meta.get("kwargs", {})
            values = kwargs.get("values") or kwargs.get("arguments", {}).get("values")
            if values:
                expectations.append(gxe.ExpectColumnValuesToBeInSet(column=column, value_set=list(values)))
    for column in sorted(not_null):
        expectations.append(gxe.ExpectColumnValuesToNotBeNull(column=column))
    for column in columns:
        if column.startswith("fx_rate"):
            expectations.append(gxe.ExpectColumnValuesToBeBetween(column=column, min_value=0, strict_min=True))
        elif column in {"quantity", "units", "line_count"}:
            expectations.append(gxe.ExpectColumnValuesToBeBetween(column=column, min_value=0))
        elif column.endswith("_rate") or column.startswith("share_"):
            expectations.append(gxe.ExpectColumnValuesToBeBetween(column=column, min_value=0, max_value=1))
    return expectations


def fixed_suites() -> dict[str, list[Any]]:
    return {
        MART_METRICS_SUITE: [
            gxe.ExpectColumnValuesToBeBetween(column="row_count", min_value=1),
            gxe.ExpectColumnValuesToBeBetween(column="duplicate_key_rows", min_value=0, max_value=0),
            # Rows against what BI tools see now: a collapse below half or a jump past 3x stops the publish.
            gxe.ExpectColumnValuesToBeBetween(column="row_count_vs_published", min_value=0.5, max_value=3.0),
        ],
        DAILY_AOV_SUITE: [
            gxe.ExpectColumnValuesToNotBeNull(column="average_order_value"),
            gxe.ExpectColumnValuesToBeBetween(column="average_order_value", min_value=0),
            # Unit errors (cents for units, a wrong rate) move a day's AOV far off its trailing 28 days. A quiet
            # day with a few large business orders reaches 4x on the ci profile, so the ceiling sits at 10x.
            gxe.ExpectColumnValuesToBeBetween(column="aov_vs_trailing_28_days", min_value=0.04, max_value=10.0),
        ],
        RAW_SUITE: [
            gxe.ExpectColumnValuesToBeBetween(column="row_count", min_value=1),
            gxe.ExpectColumnValuesToBeBetween(column="row_count_vs_previous_load", min_value=0.5, max_value=5.0),
            gxe.ExpectColumnValuesToBeBetween(column="key_null_rate", min_value=0, max_value=0.05),
            gxe.ExpectColumnValuesToBeBetween(column="loaded_at_null_rate", min_value=0, max_value=0.01),
        ],
    }


def ensure_suite(context: Any, name: str, expectations: Sequence[Any]) -> Any:
    """The suite `name` from the file context; created from `expectations` if it does not exist yet, so a
    committed (possibly hand-edited) suite is never overwritten."""
    try:
        return context.suites.get(name)
    except Exception:  # noqa: BLE001 - GX raises its own DataContextError subclasses
        suite = gx.ExpectationSuite(name=name)
        for expectation in expectations:
            suite.add_expectation(expectation)
        return context.suites.add(suite)


def ensure_checkpoint(context: Any, suite_name: str) -> Any:
    """Checkpoint `<suite>` validating a DataFrame batch against the suite and updating Data Docs."""
    try:
        datasource = context.data_sources.get(DATASOURCE)
    except (KeyError, LookupError, ValueError):
        datasource = context.data_sources.add_pandas(DATASOURCE)
    try:
        asset = datasource.get_asset(suite_name)
    except LookupError:
        asset = datasource.add_dataframe_asset(suite_name)
    try:
        batch_definition = asset.get_batch_definition("whole_frame")
    except (KeyError, LookupError):
        batch_definition = asset.add_batch_definition_whole_dataframe("whole_frame")
    try:
        return context.checkpoints.get(suite_name)
    except Exception:  # noqa: BLE001
        try:
            validation = context.validation_definitions.get(suite_name)
        except Exception:  # noqa: BLE001
            validation = context.validation_definitions.add(
                gx.ValidationDefinition(name=suite_name, data=batch_definition, suite=context.suites.get(suite_name))
            )
        return context.checkpoints.add(
            gx.Checkpoint(
                name=suite_name,
                validation_definitions=[validation],
                actions=[],  # Data Docs are built once per audit (build_docs), not after every checkpoint
                result_format={"result_format": "COMPLETE"},
            )
        )


def run_suite(context: Any, suite_name: str, frame: pd.DataFrame, sampled: bool = False) -> SuiteResult:
    checkpoint = ensure_checkpoint(context, suite_name)
    result = checkpoint.run(batch_parameters={"dataframe": frame})
    failed: list[str] = []
    evaluated = 0
    for validation in result.run_results.values():
        for expectation in validation.results:
            evaluated += 1
            if not expectation.success:
                config = expectation.expectation_config
                kwargs = {k: v for k, v in config.kwargs.items() if k not in {"batch_id", "value_set", "column_set"}}
                observed = expectation.result.get("partial_unexpected_list") or expectation.result.get("observed_value")
                failed.append(f"{config.type}({kwargs}) unexpected: {str(observed)[:200]}")
    return SuiteResult(suite_name, bool(result.success), evaluated, failed, len(frame), sampled)


def build_docs(context: Any) -> Path:
    """Rebuild the local Data Docs site once, after an audit's checkpoints ran; return its index page."""
    context.build_data_docs()
    return data_docs_index()


class ContextLock:
    """Serialise writers of the GX file context (webserver runs, tests) with a lock file."""

    def __init__(self, project_root: Path | None = None) -> None:
        root = project_root or settings.gx_project_root()
        (root / "gx" / "uncommitted").mkdir(parents=True, exist_ok=True)
        self._path = root / "gx" / "uncommitted" / ".lock"

    def __enter__(self) -> ContextLock:
        self._handle = open(self._path, "w")
        fcntl.flock(self._handle, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self._handle, fcntl.LOCK_UN)
        self._handle.close()


# ---------------------------------------------------------------------------------------------- frames


def read_mart(
    con: duckdb.DuckDBPyConnection, schema: str, name: str, budget: int = ROW_BUDGET
) -> tuple[pd.DataFrame, bool]:
    """The mart as a DataFrame: whole when it has at most `budget` rows, else a repeatable reservoir sample."""
    (rows,) = con.execute(f"select count(*) from {_quote(schema)}.{_quote(name)}").fetchone()
    if rows <= budget:
        return con.execute(f"select * from {_quote(schema)}.{_quote(name)}").df(), False
    sample = f"select * from {_quote(schema)}.{_quote(name)} using sample reservoir({budget} rows) repeatable (42)"
    return con.execute(sample).df(), True


def mart_metrics(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    name: str,
    key_columns: Sequence[str],
    published_rows: int | None,
    domain_active: bool = True,
) -> pd.DataFrame:
    """One row of whole-table figures for a mart, computed in DuckDB. An empty mart of an inactive domain (its
    source systems did not land) is expected to be empty: its volume figures are left null, which the volume
    expectations do not evaluate."""
    table = f"{_quote(schema)}.{_quote(name)}"
    (rows,) = con.execute(f"select count(*) from {table}").fetchone()
    duplicates = 0
    if key_columns:
        keys = ", ".join(map(_quote, key_columns))
        (duplicates,) = con.execute(
            f"select coalesce(sum(n - 1), 0) from (select count(*) as n from {table} group by {keys} having n > 1)"
        ).fetchone()
    ratio = (rows / published_rows) if published_rows else None
    volume_checked = bool(rows) or domain_active
    return pd.DataFrame(
        [
            {
                "mart": name,
                "row_count": rows if volume_checked else None,
                "duplicate_key_rows": int(duplicates),
                "row_count_vs_published": ratio if volume_checked else None,
            }
        ]
    )


def daily_aov(con: duckdb.DuckDBPyConnection, schema: str = "marts") -> pd.DataFrame:
    """Per order day: orders, average net order value (reporting currency) and its ratio to the trailing 28 days."""
    return con.execute(
        f"""
        with daily as (
            select order_date, count(*) as orders, avg(net_amount_reporting) as average_order_value
            from {_quote(schema)}.fct_orders
            group by order_date
        )
        select
            order_date,
            orders,
            cast(average_order_value as double) as average_order_value,
            cast(average_order_value / nullif(avg(average_order_value) over (
                order by order_date rows between 28 preceding and 1 preceding
            ), 0) as double) as aov_vs_trailing_28_days
        from daily
        order by order_date
        """
    ).df()


def run_suite_by_row(context: Any, suite_name: str, frame: pd.DataFrame) -> dict[Any, list[str]]:
    """Validate `frame` (one row per checked object) and return, per frame index, the expectations it fails."""
    checkpoint = ensure_checkpoint(context, suite_name)
    result = checkpoint.run(batch_parameters={"dataframe": frame})
    failures: dict[Any, list[str]] = {}
    for validation in result.run_results.values():
        for expectation in validation.results:
            if expectation.success:
                continue
            config = expectation.expectation_config
            column = config.kwargs.get("column")
            bounds = {k: v for k, v in config.kwargs.items() if k in {"min_value", "max_value"}}
            indexes = expectation.result.get("unexpected_index_list")
            if indexes is None:
                # Without row indexes (e.g. a table-level expectation), every row shares the failure.
                indexes = list(frame.index)
            for entry in indexes:
                index = entry.get("index", entry) if isinstance(entry, dict) else entry
                value = frame.at[index, column] if column in frame.columns else None
                failures.setdefault(index, []).append(f"{column}={value} outside {bounds}")
    return failures
