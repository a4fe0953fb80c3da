"""Superset's configuration for the Relationship Warehouse (loaded through SUPERSET_CONFIG_PATH).

Superset's own metadata (users, dashboards) lives in a SQLite file under BI_HOME (default `.bi_home/`), with a
secret key generated there on first use. The warehouse itself is reached only through the read-only DuckDB
database that `bi/provision.py` imports; no query result is cached, so a publish shows on the next refresh.
"""

import os
import secrets
from pathlib import Path

BI_HOME = Path(os.environ.get("BI_HOME", Path(__file__).resolve().parents[1] / ".bi_home"))
BI_HOME.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    path = BI_HOME / "secret_key"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
SQLALCHEMY_DATABASE_URI = f"sqlite:///{BI_HOME / 'superset.db'}?check_same_thread=false"
DATA_DIR = str(BI_HOME)

# Every query opens the serving file anew (Superset's NullPool), reads the file current.duckdb points at, and
# nothing is cached: after a publish, the next dashboard load shows the new data.
CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
DATA_CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
FILTER_STATE_CACHE_CONFIG = {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 86400}
EXPLORE_FORM_DATA_CACHE_CONFIG = {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 86400}

# Local use only: served on 127.0.0.1, no outbound calls, no example data, no anonymous telemetry.
RATELIMIT_STORAGE_URI = "memory://"
TALISMAN_ENABLED = False
SHOW_STACKTRACE = False
# Every chart of a dashboard loads at once (not only those scrolled into view): screenshots and the browser
# test see the whole dashboard. Filters may hold a sub-query ("the latest month": `period_month = (select
# max(period_month) ...)`); the database is read-only.
FEATURE_FLAGS = {"DASHBOARD_VIRTUALIZATION": False, "ALLOW_ADHOC_SUBQUERY": True}
SUPERSET_WEBSERVER_TIMEOUT = 120
SQLLAB_CTAS_NO_LIMIT = False
PREVENT_UNSAFE_DB_CONNECTIONS = True
