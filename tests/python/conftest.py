"""Shared fixtures: a simulated `ci` landing with faults and the warehouse dbt builds from it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
# dbt target folders of the session, one per test worker (parallel workers, pytest -n, never share one) and
# warehouse file name (see dbt()), so dbt's partial parsing spares a full parse of the project per call.
DBT_TARGET = REPO / "target" / f"pytest-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


@dataclass(frozen=True)
class Build:
    """A landing (raw + truth) and the warehouse built from it."""

    data_dir: Path
    warehouse: Path

    @property
    def raw(self) -> Path:
        return self.data_dir / "raw"

    @property
    def truth(self) -> Path:
        return self.data_dir / "truth"


def dbt(args: list[str], raw_dir: Path, warehouse: Path, check: bool = True) -> subprocess.CompletedProcess:
    """Run dbt in the project against `raw_dir`, building into `warehouse`.

    dbt starts in the warehouse's folder with WAREHOUSE_PATH set to the file's name alone. dbt parses the whole
    project again whenever the profile's connection settings change, and the warehouse path is one of them: given as
    a relative name, it is the same for every test's warehouse of that name, so each call re-uses the parse of the
    previous one (partial parsing; about 15 s of CPU per call). The landing (RAW_DATA_DIR) is read when dbt runs,
    not when it parses."""
    warehouse = warehouse.absolute()
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(REPO / "profiles"),
        "RAW_DATA_DIR": str(raw_dir.absolute()),
        "WAREHOUSE_PATH": warehouse.name,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    result = subprocess.run(
        [
            str(VENV_BIN / "dbt"),
            *args,
            "--project-dir",
            str(REPO),
            "--log-path",
            str(warehouse.parent / "logs"),
            "--target-path",
            str(DBT_TARGET / warehouse.name),
        ],
        cwd=warehouse.parent,
        env=env,
        capture_output=True,
        text=True,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"dbt {' '.join(args)} failed:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}")
    return result


def simulate(out: Path, profile: str = "ci", seed: int = 42, faults: bool = True, systems: str = "") -> None:
    """Write a simulated landing into `out` (only the comma-separated `systems` when given)."""
    args = [sys.executable, "-m", "simulator", "--profile", profile, "--seed", str(seed), "--out", str(out)]
    if faults:
        args.append("--faults")
    if systems:
        args += ["--systems", systems]
    subprocess.run(args, cwd=REPO, check=True, capture_output=True)


def _reusable_build() -> Build | None:
    """The build `make test` just made (ci profile with faults), if that is what data/ holds.

    RW_TEST_DATA_DIR and RW_TEST_WAREHOUSE point the tests at another landing and warehouse."""
    if os.environ.get("RW_TEST_DATA_DIR") and os.environ.get("RW_TEST_WAREHOUSE"):
        return Build(data_dir=Path(os.environ["RW_TEST_DATA_DIR"]), warehouse=Path(os.environ["RW_TEST_WAREHOUSE"]))
    data_dir = REPO / "data"
    manifest = data_dir / "truth" / "manifest.json"
    warehouse = Path(os.environ.get("WAREHOUSE_PATH", data_dir / "warehouse.duckdb"))
    if not (manifest.exists() and warehouse.exists()):
        return None
    meta = json.loads(manifest.read_text())
    if meta.get("profile") != "ci" or not meta.get("faults"):
        return None
    if warehouse.stat().st_mtime < manifest.stat().st_mtime:
        return None
    return Build(data_dir=data_dir, warehouse=warehouse)


@pytest.fixture(scope="session")
def ci_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """A `ci` landing with faults and its built warehouse (reuses `make test`'s when it is current)."""
    reusable = _reusable_build()
    if reusable is not None:
        return reusable
    base = tmp_path_factory.mktemp("ci_build")
    simulate(base)
    build = Build(data_dir=base, warehouse=base / "warehouse.duckdb")
    dbt(["build", "--exclude", "test_type:unit"], build.raw, build.warehouse)
    return build


# Tests that need a built warehouse (or the orchestration environment built on one) are marked `build`;
# `make test-fast` runs the others.
BUILD_FIXTURES = {"ci_build", "orchestration_env"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if BUILD_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.build)
    # The longest work first, so the workers finish together (`--dist loadfile --no-loadscope-reorder` hands out
    # the modules in this order): tests marked `long`, then the others that build, then the rest. The sort is
    # stable: a module's tests keep their order.
    items.sort(
        key=lambda item: (
            item.get_closest_marker("long") is None,
            item.get_closest_marker("build") is None,
        )
    )
