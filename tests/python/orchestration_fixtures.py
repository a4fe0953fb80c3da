"""Fixtures shared by the orchestration, publish and dagster-dev tests (imported by those modules).

`orchestration_env` points every path the orchestration reads (landing, warehouse, serving, exports, dbt target,
GX project, DAGSTER_HOME) into one temporary folder for the session, parses the dbt manifest there once, and
restores the environment at the end."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


# A BI reader: query current.duckdb read-only in a loop, bounded by a count and a time (and an optional stop file).
READER = r"""
import json, os, sys, time, duckdb
path, out, max_queries, max_seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
pause = float(sys.argv[5]) if len(sys.argv) > 5 else 0.01
stop = sys.argv[6] if len(sys.argv) > 6 else None
answers, errors = [], []
deadline = time.monotonic() + max_seconds
while len(answers) + len(errors) < max_queries and time.monotonic() < deadline:
    if stop and os.path.exists(stop):
        break
    try:
        with duckdb.connect(path, read_only=True) as con:
            run_id = con.execute("select run_id from main.publication").fetchone()[0]
            rows = con.execute("select count(*) from marts.fct_orders").fetchone()[0]
            answers.append([run_id, rows])
    except Exception as error:
        errors.append(repr(error))
    time.sleep(pause)
json.dump({"answers": answers, "errors": errors}, open(out, "w"))
"""


@dataclass(frozen=True)
class OrchestrationEnv:
    base: Path
    raw: Path
    warehouse: Path
    serving: Path
    exports: Path
    target: Path
    gx_root: Path
    dagster_home: Path
    source_warehouse: Path  # the ci warehouse conftest built (read-only here)

    def env(self) -> dict[str, str]:
        return {
            "RAW_DATA_DIR": str(self.raw),
            "WAREHOUSE_PATH": str(self.warehouse),
            "SERVING_DIR": str(self.serving),
            "EXPORTS_DIR": str(self.exports),
            "DBT_TARGET_PATH": str(self.target),
            "GX_PROJECT_ROOT": str(self.gx_root),
            "DAGSTER_HOME": str(self.dagster_home),
            "DBT_PROFILES_DIR": str(REPO / "profiles"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


_SESSION: dict[str, OrchestrationEnv] = {}


@pytest.fixture(scope="session")
def orchestration_env(ci_build, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OrchestrationEnv]:
    # Each test module that imports this fixture gets its own session-scoped instance from pytest; they share
    # one folder and one parse through _SESSION.
    if "env" not in _SESSION:
        _SESSION["env"] = _make_env(ci_build, tmp_path_factory)
    env = _SESSION["env"]
    with pytest.MonkeyPatch.context() as patch:
        for key, value in {**env.env(), "RW_REUSE_MANIFEST": "1", "DBT_INDIRECT_SELECTION": "buildable"}.items():
            patch.setenv(key, value)
        yield env


def _make_env(ci_build, tmp_path_factory: pytest.TempPathFactory) -> OrchestrationEnv:
    base = tmp_path_factory.mktemp("orchestration")
    gx_root = base / "gx_project"
    gx_root.mkdir()
    if (REPO / "gx").exists():
        shutil.copytree(REPO / "gx", gx_root / "gx", ignore=shutil.ignore_patterns("uncommitted"))
    env = OrchestrationEnv(
        base=base,
        raw=ci_build.raw,
        warehouse=base / "warehouse.duckdb",
        serving=base / "serving",
        exports=base / "exports",
        target=base / "target",
        gx_root=gx_root,
        dagster_home=base / "dagster_home",
        source_warehouse=ci_build.warehouse,
    )
    env.dagster_home.mkdir()
    # Parse once for the session (the definitions read this manifest; subprocesses re-use it).
    subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            "parse",
            "--quiet",
            "--target-path",
            str(env.target),
            "--log-path",
            str(env.target / "logs"),
        ],
        cwd=REPO,
        env={**os.environ, **env.env()},
        check=True,
        capture_output=True,
    )
    return env
