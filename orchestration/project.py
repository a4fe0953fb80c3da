"""The dbt project as dagster-dbt sees it, and how its manifest is made; importable before any manifest exists.

The definitions read the manifest from the target folder and parse nothing themselves: `dagster dev` parses the
project as the code location loads (dagster-dbt's `DbtProject.prepare_if_dev()`, called by orchestration.dbt_assets),
`python -m orchestration.run` parses it before loading the definitions (`prepare_project`), and RW_REUSE_MANIFEST=1
trusts the manifest already there (CI, tests).
"""

import os
from pathlib import Path

from dagster_dbt import DbtProject

from orchestration import settings


def warehouse_project() -> DbtProject:
    """The dbt project at the repo root, with profiles/ and the target folder of settings.dbt_target_path()."""
    return DbtProject(
        project_dir=settings.REPO,
        target_path=settings.dbt_target_path(),
        profiles_dir=settings.REPO / "profiles",
    )


def reuse_manifest() -> bool:
    """RW_REUSE_MANIFEST=1: trust the manifest in the target folder instead of parsing again (CI, tests)."""
    return os.environ.get("RW_REUSE_MANIFEST") == "1"


def prepare_project() -> Path:
    """Parse the dbt project into its target folder with dagster-dbt's preparer (`dbt parse`, guarded against a
    concurrent parse) and return the manifest's path: the step `python -m orchestration.run` takes before it loads
    the definitions, which `dagster dev` takes on load through `DbtProject.prepare_if_dev()`."""
    project = warehouse_project()
    if not (reuse_manifest() and project.manifest_path.exists()):
        project.manifest_path.parent.mkdir(parents=True, exist_ok=True)
        project.preparer.prepare(project)
    return project.manifest_path
