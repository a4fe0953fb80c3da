"""Where everything lives. Every path comes from an environment variable with a default under the repo, so a
test (or a company bringing its own exports) can point a whole run elsewhere without touching code."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _path(variable: str, default: Path) -> Path:
    value = os.environ.get(variable)
    path = Path(value) if value else default
    return path if path.is_absolute() else (REPO / path)


def raw_dir() -> Path:
    """The landing: RAW_DATA_DIR/<system>/<table>/ holding Parquet or CSV files (default data/raw)."""
    return _path("RAW_DATA_DIR", REPO / "data" / "raw")


def warehouse_path() -> Path:
    """The DuckDB file dbt builds (WAREHOUSE_PATH, default data/warehouse.duckdb)."""
    return _path("WAREHOUSE_PATH", REPO / "data" / "warehouse.duckdb")


def serving_dir() -> Path:
    """Where published serving files live (SERVING_DIR, default data/serving)."""
    return _path("SERVING_DIR", REPO / "data" / "serving")


def serving_current() -> Path:
    """The path BI tools open read-only: a symlink repointed atomically at each publish."""
    return serving_dir() / "current.duckdb"


def serving_storage_version() -> str:
    """DuckDB storage format the serving file is written in (SERVING_STORAGE_VERSION, default v1.4.0): the oldest
    DuckDB release whose clients (BI drivers, JDBC/ODBC, other tools) must open it. `latest` writes the format of
    the engine that publishes, which older clients refuse."""
    return os.environ.get("SERVING_STORAGE_VERSION") or "v1.4.0"


def metrics_dir() -> Path:
    """Where `make metrics` keeps its copy of the serving file for MetricFlow (METRICS_DIR, default data/metrics)."""
    return _path("METRICS_DIR", REPO / "data" / "metrics")


def exports_dir() -> Path:
    """Dealer extracts (EXPORTS_DIR, default data/exports/dealers)."""
    return _path("EXPORTS_DIR", REPO / "data" / "exports" / "dealers")


def dbt_target_path() -> Path:
    """dbt's target folder (DBT_TARGET_PATH, default target/); the manifest is read from here."""
    return _path("DBT_TARGET_PATH", REPO / "target")


def gx_project_root() -> Path:
    """Folder holding the Great Expectations file context `gx/` (GX_PROJECT_ROOT, default the repo)."""
    return _path("GX_PROJECT_ROOT", REPO)


def dbt_env() -> dict[str, str]:
    """Environment for a dbt subprocess: profiles in profiles/, paths resolved as above."""
    return {
        **os.environ,
        "DBT_PROFILES_DIR": os.environ.get("DBT_PROFILES_DIR", str(REPO / "profiles")),
        "RAW_DATA_DIR": str(raw_dir()),
        "WAREHOUSE_PATH": str(warehouse_path()),
        "DBT_TARGET_PATH": str(dbt_target_path()),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        # When Dagster runs a subset of the dbt assets, a test runs only where all of its parents are selected or
        # upstream, never before a parent outside the subset is built.
        "DBT_INDIRECT_SELECTION": os.environ.get("DBT_INDIRECT_SELECTION", "buildable"),
    }



def dbt_target_name() -> str:
    """The dbt profile output the build runs on (DBT_TARGET: `duckdb` by default, or `spark`)."""
    return os.environ.get("DBT_TARGET", "duckdb") or "duckdb"


def spark_warehouse_dir() -> Path:
    """Spark's table folders (SPARK_WAREHOUSE_DIR/warehouse, default data/spark/warehouse), as profiles.yml sets."""
    return _path("SPARK_WAREHOUSE_DIR", REPO / "data" / "spark") / "warehouse"


def spark_metastore_dir() -> Path:
    """The local Spark session's Derby metastore (SPARK_WAREHOUSE_DIR/metastore_db), as profiles.yml sets."""
    return spark_warehouse_dir().parent / "metastore_db"
