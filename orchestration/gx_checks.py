"""Great Expectations 1.x suites: what dbt's tests cannot express well, run as blocking Dagster asset checks.

dbt owns every rule about one build's rows: not-null, unique keys, accepted values, relationships, value ranges
(the `accepted_range` generic test) and reconciliations run in `dbt build`, before anything is audited here. Great
Expectations owns comparisons with what came before:

- `mart_metrics` (every mart): whole-table figures computed in DuckDB, one row per mart — the row count, and rows
  against what BI tools currently read (the published serving file): catches a collapsed or exploded volume.
- Suites a model names in `meta.gx_suites` run on that model's rows: `rpt_daily_order_value` bounds each order
  day's average order value against the 28 previous order days (the figures are the dbt model's; the suite holds
  only the bounds).
- `raw_landing` (orchestration.raw): per landed table, rows against the previous load, null rate of the key and
  of loaded_at.

GX's SQL datasource does not work with DuckDB (DESIGN.md §5), so every suite runs on a pandas DataFrame read from
DuckDB opened read-only. A model suite reads the whole table when it has at most ROW_BUDGET rows, else a
repeatable reservoir sample of ROW_BUDGET rows, so memory stays bounded.

Bounds live in the suite files (gx/expectations/*.json, created from `fixed_suites()` when missing, then edited by
hand if need be), not in code.
"""

from __future__ import annotations

import fcntl
from collections.abc import Sequence
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
DAILY_ORDER_VALUE_SUITE = "rpt_daily_order_value"
RAW_SUITE = "raw_landing"


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


def fixed_suites() -> dict[str, list[Any]]:
    """Every suite's expectations as first written to gx/expectations/ (a committed file wins over these)."""
    return {
        MART_METRICS_SUITE: [
            gxe.ExpectColumnValuesToBeBetween(column="row_count", min_value=1),
            # Rows against what BI tools see now: a collapse below half or a jump past 3x stops the publish.
            gxe.ExpectColumnValuesToBeBetween(column="row_count_vs_published", min_value=0.5, max_value=3.0),
        ],
        DAILY_ORDER_VALUE_SUITE: [
            # Unit errors (cents for units, a wrong rate) move a day's AOV far off its trailing 28 order days. A quiet
            # day with a few large business orders reaches 4x on the ci profile, so the ceiling sits at 10x.
            gxe.ExpectColumnValuesToBeBetween(
                column="average_order_value_vs_trailing_28_order_days", min_value=0.04, max_value=10.0
            ),
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
    """Checkpoint `<suite>` validating a DataFrame batch against the suite."""
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


def suite_exists(context: Any, name: str) -> bool:
    """True when the file context holds the suite `name` (gx/expectations/<name>.json)."""
    try:
        context.suites.get(name)
    except Exception:  # noqa: BLE001 - GX raises its own DataContextError subclasses
        return False
    return True


def expectation_count(context: Any, suite_name: str) -> int:
    """How many expectations the suite holds (each is evaluated on every validation)."""
    return len(context.suites.get(suite_name).expectations)


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
    published_rows: int | None,
    domain_active: bool = True,
) -> pd.DataFrame:
    """One row of whole-table volume figures for a mart, computed in DuckDB: its row count and its rows relative to
    the published serving file (null before the mart is first published). An empty mart of an inactive domain (its
    source systems did not land) is expected to be empty: its volume figures are left null, which the volume
    expectations do not evaluate."""
    (rows,) = con.execute(f"select count(*) from {_quote(schema)}.{_quote(name)}").fetchone()
    ratio = (rows / published_rows) if published_rows else None
    volume_checked = bool(rows) or domain_active
    return pd.DataFrame(
        [
            {
                "mart": name,
                "row_count": rows if volume_checked else None,
                "row_count_vs_published": ratio if volume_checked else None,
            }
        ]
    )
