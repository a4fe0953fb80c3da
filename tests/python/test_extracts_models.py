"""What dealers receive is defined in dbt (models/exports/): one model per dataset under contract with a primary-key
test, the agreement in force as a model that gives the old rule's answer on every day, exposures naming what the
extracts and the dashboards read, and extract files holding exactly the export models' columns."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import duckdb
import jinja2
import pyarrow.parquet as pq
import pytest
import yaml

from conftest import REPO, Build
from orchestration import extracts
from tests.python.serving_fixtures import publish_warehouse

EXPORTS = REPO / "models" / "exports"
ENV = {"DEALER_EXTRACT_HMAC_KEY": "test-secret-for-export-models-0123456789", "RW_ENV": "ci"}
CLASSES = {"identifier", "code", "name", "composed", "free_text"}


def _models() -> dict[str, dict]:
    doc = yaml.safe_load((EXPORTS / "_exports__models.yml").read_text())
    return {model["name"]: model for model in doc["models"]}


def _exposures() -> dict[str, dict]:
    doc = yaml.safe_load((EXPORTS / "_exports__exposures.yml").read_text())
    return {exposure["name"]: exposure for exposure in doc["exposures"]}


def _refs(exposure: dict) -> set[str]:
    return {re.fullmatch(r"ref\('(\w+)'\)", ref).group(1) for ref in exposure["depends_on"]}


def test_every_dataset_and_the_agreement_rule_is_an_export_model_under_contract() -> None:
    models = _models()
    read = {extracts.AGREEMENT_PERIODS_MODEL, *(dataset.model for dataset in extracts.DATASETS)}
    assert read == set(models), "every model extracts read is in models/exports/, and nothing else is"
    project = yaml.safe_load((REPO / "dbt_project.yml").read_text())
    config = project["models"]["relationship_warehouse"]["exports"]
    # enforced on DuckDB; on Spark (whose type names differ) make test-spark compares every export with DuckDB's
    enforced = jinja2.Template(str(config["+contract"]["enforced"]))
    assert enforced.render(target={"type": "duckdb"}) == "True"
    assert config["+schema"] == extracts.EXPORTS_SCHEMA
    for name, model in models.items():
        assert (EXPORTS / f"{name}.sql").is_file(), name
        assert " ".join(model["description"].split()), name
        keys = [test["unique_combination"]["arguments"]["columns"] for test in model.get("data_tests", [])
                if isinstance(test, dict) and "unique_combination" in test]
        assert len(keys) == 1, f"{name} needs one primary-key test (unique_combination)"
        columns = {column["name"]: column for column in model["columns"]}
        assert set(keys[0]) <= set(columns), name
        for column_name, column in columns.items():
            assert column.get("data_type") and " ".join(str(column.get("description", "")).split()), (name,
                                                                                                       column_name)
            assert "pii" not in (column.get("tags") or []), f"{name}.{column_name}: no PII in an export model"
            if column["data_type"] == "varchar":
                assert (column.get("meta") or {}).get("content") in CLASSES, (name, column_name)
        for dataset in extracts.DATASETS:
            if dataset.model == name:
                assert dataset.as_of_column in columns and set(dataset.order_by) <= set(columns), name
                assert ("dealer_id" in keys[0]) == dataset.per_dealer, f"{name} is keyed by dealer when per dealer"


def test_the_extract_writer_adds_only_the_hashed_key_and_the_contacts() -> None:
    """What is written beyond the export model's columns is what needs the secret or the contact snapshot."""
    leads = next(dataset for dataset in extracts.DATASETS if dataset.with_contacts)
    assert set(leads.extra_columns) == {"lead_key", *extracts.CONTACT_COLUMNS}
    assert [dataset.name for dataset in extracts.DATASETS if dataset.extra_columns] == [leads.name]
    assert "lead_key" not in {column["name"] for column in _models()[leads.model]["columns"]}


def test_exposures_name_what_the_extracts_and_every_dashboard_read() -> None:
    exposures = _exposures()
    dealer = exposures["dealer_extracts"]
    assert dealer["type"] == "application" and dealer["owner"]["name"]
    assert _refs(dealer) == set(_models())
    assets = REPO / "bi" / "assets"
    tables = {}
    for path in (assets / "datasets").rglob("*.yaml"):
        dataset = yaml.safe_load(path.read_text())
        tables[dataset["uuid"]] = dataset["table_name"]
    charts = {}
    for path in (assets / "charts").glob("*.yaml"):
        chart = yaml.safe_load(path.read_text())
        charts[chart["uuid"]] = tables[chart["dataset_uuid"]]
    dashboards = sorted((assets / "dashboards").glob("*.yaml"))
    assert len(dashboards) >= 4
    for path in dashboards:
        dashboard = yaml.safe_load(path.read_text())
        read = {charts[item["meta"]["uuid"]] for item in dashboard["position"].values()
                if isinstance(item, dict) and item.get("type") == "CHART"}
        exposure = exposures[f"{dashboard['slug']}_dashboard"]
        assert exposure["type"] == "dashboard" and exposure["owner"]["name"], path.name
        assert exposure["url"].endswith(f"/superset/dashboard/{dashboard['slug']}/"), path.name
        assert _refs(exposure) == read, f"{path.name}: the exposure must depend on exactly the marts its charts read"


def test_the_agreement_in_force_is_the_dealers_highest_version_valid_that_day(ci_build: Build) -> None:
    """On every day where an agreement starts or ends (and the days around it), the model gives each dealer the
    version the rule picks from dim_dealer_agreements: highest version valid that day, higher agreement id on a
    tie."""
    with duckdb.connect(str(ci_build.warehouse), read_only=True) as con:
        days = sorted({day + dt.timedelta(days=shift) for (day,) in con.execute(
            "select valid_from from marts.dim_dealer_agreements where valid_from is not null union "
            "select valid_to from marts.dim_dealer_agreements where valid_to is not null").fetchall()
            for shift in (-1, 0, 1)})
        assert len(days) > 10
        differ = []
        for day in days:
            rule = con.execute(
                """select dealer_id, agreement_id from marts.dim_dealer_agreements
                   where valid_from <= $day and (valid_to is null or valid_to >= $day)
                   qualify row_number() over (partition by dealer_id
                                              order by agreement_version desc, agreement_id desc) = 1""",
                {"day": day}).fetchall()
            model = [(agreement.dealer_id, agreement.agreement_id)
                     for agreement in extracts.valid_agreements(con, day)]
            if sorted(rule) != model:
                differ.append(day)
        versions = con.execute("select count(*) from marts.dim_dealer_agreements").fetchone()[0]
        dealers = con.execute("select count(distinct dealer_id) from marts.dim_dealer_agreements").fetchone()[0]
    assert not differ, f"the agreement in force differs from the rule on {differ[:5]}"
    assert versions > dealers, "the ci build has dealers with several agreement versions, so the rule is exercised"


@pytest.fixture(scope="module")
def written(ci_build: Build, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Every dealer's extract, from a publication of the ci warehouse."""
    base = tmp_path_factory.mktemp("export_models")
    warehouse = base / "warehouse.duckdb"
    shutil.copy(ci_build.warehouse, warehouse)
    publish_warehouse(warehouse, base / "serving", "published")
    out = base / "dealers"
    assert extracts.write_extracts(base / "serving", out, dt.date(2026, 12, 31), environ=ENV).written
    return out, warehouse


def test_extract_files_hold_exactly_the_export_models_columns_all_described(written: tuple[Path, Path]) -> None:
    out, warehouse = written
    models = _models()
    seen = set()
    for dataset in extracts.DATASETS:
        columns = [column["name"] for column in models[dataset.model]["columns"]]
        if dataset.with_contacts:
            columns = ["lead_key", *(c for c in columns if c != "lead_id"), *extracts.CONTACT_COLUMNS]
        for path in sorted(out.glob(f"*/*/{dataset.name}.parquet")):
            assert pq.read_schema(path).names == columns, path
            dictionary = (path.parent / "data_dictionary.md").read_text(encoding="utf-8")
            section = dictionary.split(f"## {dataset.name} ")[1].split("\n## ")[0].split("\n### ")[0]
            described = re.findall(r"^\| (\w+) \| [^|]+ \| (.*) \|$", section, flags=re.MULTILINE)
            assert [name for name, _ in described if name != "column"] == columns, path
            assert all(text.strip() for name, text in described), f"an undescribed column in {path.parent}"
            seen.add(dataset.name)
    assert seen == {dataset.name for dataset in extracts.DATASETS}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for dataset in extracts.DATASETS:  # each file holds all of its dealer's rows of the model up to the as-of
            for path in sorted(out.glob(f"*/*/{dataset.name}.parquet")):
                dealer = "dataset.dealer_id = $dealer and " if dataset.per_dealer else ""
                (rows,) = con.execute(
                    f"select count(*) from exports.{dataset.model} as dataset "
                    f"where {dealer}dataset.{dataset.as_of_column} <= $as_of",
                    {"as_of": dt.date(2026, 12, 31), **({"dealer": path.parts[-3]} if dataset.per_dealer else {})},
                ).fetchone()
                assert pq.read_metadata(path).num_rows == rows, path
