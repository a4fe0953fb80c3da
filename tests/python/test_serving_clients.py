"""The serving file opens in the DuckDB clients BI tools ship: DuckDB 1.4 (in its own small virtualenv,
`.venv-duckdb14/`, made from PyPI on first use and kept) reads every mart, its comments and the publication
record of a file the project's own DuckDB published; a file written in the engine's latest format is refused,
which is why the publish sets the storage version."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.python import orchestration_fixtures
from tests.python.orchestration_fixtures import OrchestrationEnv

orchestration_env = orchestration_fixtures.orchestration_env  # the shared session fixture

REPO = Path(__file__).resolve().parents[2]
# The oldest DuckDB line the serving file promises to open in (Superset's duckdb-engine, Evidence, JDBC/ODBC).
CLIENT_DUCKDB_VERSION = "1.4.5"
CLIENT_VENV = Path(os.environ.get("RW_DUCKDB14_VENV", REPO / ".venv-duckdb14"))

# Run by the DuckDB 1.4 interpreter: open the serving file read-only and read every mart to the last row.
READ_EVERYTHING = r"""
import json, sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
con.execute("set enable_progress_bar = false")
marts = {}
for (table,) in con.execute(
    "select table_name from duckdb_tables() where schema_name = 'marts' order by table_name"
).fetchall():
    result = con.execute(f'select * from marts."{table}"')
    rows = 0
    while chunk := result.fetchmany(10000):
        rows += len(chunk)
    marts[table] = {
        "rows": rows,
        "columns": len(result.description),
        "comment": con.execute(
            "select comment from duckdb_tables() where schema_name = 'marts' and table_name = ?", [table]
        ).fetchone()[0],
        "documented_columns": con.execute(
            "select count(comment) from duckdb_columns() where schema_name = 'marts' and table_name = ?", [table]
        ).fetchone()[0],
    }
run_id, row_counts, active = con.execute(
    "select run_id, row_counts::varchar, json_extract_string(active_domains, '$[0]') from main.publication"
).fetchone()
print(json.dumps({
    "version": duckdb.__version__,
    "catalog": con.execute("select current_database()").fetchone()[0],
    "marts": marts,
    "run_id": run_id,
    "row_counts": json.loads(row_counts),
    "first_active_domain": active,
}))
"""


def _client_python() -> Path:
    """The DuckDB 1.4 interpreter, installing it (one ~20 MB wheel from PyPI) when missing or of another version."""
    python = CLIENT_VENV / "bin" / "python"
    check = [str(python), "-c", f"import duckdb; assert duckdb.__version__ == {CLIENT_DUCKDB_VERSION!r}"]
    CLIENT_VENV.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{CLIENT_VENV}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel test workers install once
        if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
            return python
        subprocess.run([sys.executable, "-m", "venv", "--clear", "--without-pip", str(CLIENT_VENV)], check=True)
        uv = Path(sys.executable).parent / "uv"
        install = (
            [str(uv), "pip", "install", "--quiet", "--python", str(python)]
            if uv.exists()
            else [sys.executable, "-m", "pip", "install", "--quiet", "--python", str(python)]
        )
        result = subprocess.run([*install, f"duckdb=={CLIENT_DUCKDB_VERSION}"], capture_output=True, text=True)
        if result.returncode != 0:
            raise AssertionError(
                f"could not install duckdb=={CLIENT_DUCKDB_VERSION} from PyPI into {CLIENT_VENV}:\n{result.stderr}"
            )
        subprocess.run(check, check=True)
    return python


@pytest.fixture(scope="module")
def client_python() -> Path:
    return _client_python()


def _published(env: OrchestrationEnv):
    """What a publish of the session's ci warehouse copies: its marts and the semantic layer's calendar."""
    from orchestration import serving

    with duckdb.connect(str(env.source_warehouse), read_only=True) as con:
        built = set(con.execute("select table_schema, table_name from information_schema.tables").fetchall())
    return [mart for mart in serving.marts_to_publish() if (mart.schema, mart.name) in built]


def test_duckdb_14_reads_every_mart_of_the_serving_file(
    orchestration_env: OrchestrationEnv, client_python: Path, tmp_path: Path
) -> None:
    from orchestration import publish

    tables = _published(orchestration_env)
    marts = [table for table in tables if table.schema == "marts"]
    assert len(marts) >= 20, "the ci warehouse holds the marts"
    published = publish.publish(
        orchestration_env.source_warehouse, tmp_path, "run-bi", tables, domains={"customers": True, "loyalty": True}
    )
    current = tmp_path / publish.CURRENT
    result = subprocess.run(
        [str(client_python), "-c", READ_EVERYTHING, str(current)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout)
    assert seen["version"] == CLIENT_DUCKDB_VERSION
    assert seen["catalog"] == publish.CATALOG, "a stable catalog name, whatever run published the file"
    assert seen["run_id"] == "run-bi" and seen["first_active_domain"] == "customers"
    assert set(seen["marts"]) == {mart.name for mart in marts}
    with duckdb.connect(str(orchestration_env.source_warehouse), read_only=True) as con:
        for mart in marts:
            (rows,) = con.execute(f'select count(*) from marts."{mart.name}"').fetchone()
            read = seen["marts"][mart.name]
            assert read["rows"] == rows == published.row_counts[mart.name] == seen["row_counts"][mart.name], mart.name
            assert read["comment"], f"{mart.name} has no description in the serving file"
            assert read["documented_columns"] == read["columns"], f"{mart.name}: a column lost its description"
    # The project's own engine reads the same file, under the same catalog name.
    with duckdb.connect(str(current), read_only=True) as con:
        assert con.execute("select current_database()").fetchone()[0] == publish.CATALOG
        assert con.execute("select count(*) from marts.fct_orders").fetchone()[0] == published.row_counts["fct_orders"]


def test_duckdb_14_refuses_a_file_in_the_engines_latest_format(
    orchestration_env: OrchestrationEnv, client_python: Path, tmp_path: Path
) -> None:
    """The control: without the storage-version setting the file is unreadable to 1.4 clients (DuckDB 2 writes
    a newer format by default), so the test above proves the setting, not luck."""
    from orchestration import publish

    marts = [mart for mart in _published(orchestration_env) if mart.name == "rpt_points_expiry"]
    publish.publish(orchestration_env.source_warehouse, tmp_path, "run-latest", marts, storage_version="latest")
    result = subprocess.run(
        [str(client_python), "-c", READ_EVERYTHING, str(tmp_path / publish.CURRENT)], capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "version number" in result.stderr, result.stderr[-2000:]
