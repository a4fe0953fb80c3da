"""Publish a built warehouse the way the `serving_warehouse` asset does, without Dagster or a dbt manifest: every
table of its `marts` and `exports` schemas, minus the columns the models' YAML tags `pii`, plus the lead-contact
snapshot dealer extracts read."""

from __future__ import annotations

from pathlib import Path

import duckdb
import yaml

from orchestration import extracts, publish
from orchestration.dbt_assets import pii_columns

REPO = Path(__file__).resolve().parents[2]


def mart_pii_columns() -> dict[str, frozenset[str]]:
    """Model name -> its columns tagged `pii` in models/marts/**/_*__models.yml and models/exports/_*__models.yml."""
    out: dict[str, frozenset[str]] = {}
    paths = [*(REPO / "models" / "marts").rglob("_*__models.yml"),
             *(REPO / "models" / "exports").glob("_*__models.yml")]
    for path in sorted(paths):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models", []) or []:
            columns = {column["name"]: column for column in model.get("columns", []) or []}
            out[model["name"]] = frozenset(pii_columns({"columns": columns}))
    return out


def publish_warehouse(warehouse: Path, serving_dir: Path, run_id: str) -> publish.Publication:
    """Snapshot the lead contacts, then publish every mart and export dataset of `warehouse` into `serving_dir` as
    `run_id`."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('marts', ?) order by 1, 2", [extracts.EXPORTS_SCHEMA]).fetchall()
    pii = mart_pii_columns()
    marts = [publish.MartToPublish(name, schema, pii.get(name, frozenset())) for schema, name in tables]
    extracts.snapshot_lead_contacts(warehouse, serving_dir, run_id)
    return publish.publish(warehouse, serving_dir, run_id, marts)
