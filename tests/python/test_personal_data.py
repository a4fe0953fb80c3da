"""Free text never leaks. Every text column of the raw contract and of every mart says what it holds
(`meta.content`), so a new free-text column cannot slip through unclassified; the simulator (with --faults) types an
e-mail address, a phone number and a card number into every free-text column of the contract; staging masks them;
and neither the serving file (every column of every table) nor any dealer extract (every file) holds one of them."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from conftest import Build
from orchestration import publish
from orchestration.extracts import write_extracts
from orchestration.project import prepare_project
from tests.python.serving_fixtures import publish_warehouse

CLASSES = {"identifier", "code", "name", "composed", "free_text"}
TEXT_TYPES = {"varchar", "text", "string"}
MASKS = {"email": "[email]", "phone": "[phone number]", "card": "[card number]"}
SEPARATORS = "[ ().+-]"  # what may stand between the digits of a phone or card number
ENV = {"DEALER_EXTRACT_HMAC_KEY": "test-secret-for-personal-data-scan-0123456789", "RW_ENV": "ci"}
AS_OF = dt.date(2026, 12, 31)


@pytest.fixture(scope="module")
def manifest() -> dict:
    """The dbt manifest (the build's own when it is newer than every project file; parsed otherwise)."""
    return json.loads(prepare_project().read_text())


def _text_columns(node: dict) -> dict[str, dict]:
    return {name: column for name, column in node["columns"].items()
            if str(column.get("data_type") or "").lower() in TEXT_TYPES}


def _content(column: dict) -> str | None:
    return (column.get("meta") or {}).get("content") or ((column.get("config") or {}).get("meta") or {}).get("content")


def _is_pii(column: dict) -> bool:
    return "pii" in (column.get("tags") or []) or "pii" in ((column.get("config") or {}).get("tags") or [])


def _marts(manifest: dict) -> list[dict]:
    """The published models: the marts and the datasets dealer extracts read (models/exports/)."""
    return [node for node in manifest["nodes"].values()
            if node["resource_type"] == "model"
            and node["original_file_path"].startswith(("models/marts/", "models/exports/"))]


def _free_text_sources(manifest: dict) -> set[tuple[str, str, str]]:
    return {(node["source_name"], node["name"], name) for node in manifest["sources"].values()
            for name, column in node["columns"].items() if _content(column) == "free_text"}


@pytest.fixture(scope="module")
def planted(ci_build: Build) -> list[dict]:
    """Every value the simulator typed into a free-text column: system, table, row key, column, kind, value."""
    faults = pq.read_table(ci_build.truth / "faults.parquet").to_pylist()
    out = []
    for row in faults:
        if row["fault_type"] != "personal_data_in_text":
            continue
        column, kind, value = re.fullmatch(r"(\w+): (\w+) (.+)", row["detail"]).groups()
        out.append({"system": row["source_system"], "table": row["source_table"], "key": row["row_key"],
                    "column": column, "kind": kind, "value": value})
    assert out, "the ci landing is simulated with --faults: personal data must be planted"
    return out


def test_every_text_column_of_the_contract_and_of_every_mart_is_classified(manifest: dict) -> None:
    problems = []
    for node in manifest["sources"].values():
        for name, column in _text_columns(node).items():
            if not _is_pii(column) and _content(column) not in CLASSES:
                problems.append(f"source {node['source_name']}.{node['name']}.{name}")
    marts = _marts(manifest)
    assert len(marts) >= 20
    for node in marts:
        assert node["contract"]["enforced"], f"{node['name']} must enforce its contract (every column declared)"
        for name, column in _text_columns(node).items():
            if not _is_pii(column) and _content(column) not in CLASSES:
                problems.append(f"mart {node['name']}.{name}")
    assert not problems, (
        "text columns without `meta: {content: ...}` (identifier, code, name, composed or free_text; free_text is "
        "masked in staging with scrub_personal_data) nor the `pii` tag: " + ", ".join(problems))
    free = _free_text_sources(manifest)
    assert {("shop", "customers", "city"), ("shop", "refunds", "reason"), ("shop", "reseller_inquiries", "message"),
            ("shop", "custom_order_requests", "description")} <= free


def test_free_text_is_masked_where_it_enters_staging(manifest: dict) -> None:
    """Each free-text source column is read through scrub_personal_data by its staging model."""
    for system, table, column in _free_text_sources(manifest):
        node = manifest["nodes"][f"model.relationship_warehouse.stg_{system}__{table}"]
        assert re.search(rf"scrub_personal_data\(\s*'{column}'\s*\)", node["raw_code"]), (
            f"stg_{system}__{table} must select {{{{ scrub_personal_data('{column}') }}}} as {column}")


def test_personal_data_is_planted_in_every_free_text_column(manifest: dict, planted: list[dict]) -> None:
    kinds = {(p["system"], p["table"], p["column"], p["kind"]) for p in planted}
    missing = sorted((*column, kind) for column in _free_text_sources(manifest) for kind in MASKS
                     if (*column, kind) not in kinds)
    assert not missing, f"the simulator plants no personal data in {missing} (simulator.faults SPECS free_text)"


def test_staging_masks_every_planted_value(ci_build: Build, manifest: dict, planted: list[dict]) -> None:
    with duckdb.connect(str(ci_build.warehouse), read_only=True) as con:
        for plant in planted:
            source = manifest["sources"][f"source.relationship_warehouse.{plant['system']}.{plant['table']}"]
            (key,) = source["meta"]["primary_key"]
            row = con.execute(
                f'select "{plant["column"]}" from staging."stg_{plant["system"]}__{plant["table"]}" '
                f'where "{key}" = ?', [plant["key"]]).fetchone()
            assert row is not None, f"planted row {plant} was not staged"
            assert MASKS[plant["kind"]] in row[0] and plant["value"] not in row[0], (plant, row[0])


# ----------------------------------------------------------------------------- scanning what leaves


def _needles(planted: list[dict]) -> tuple[str, str]:
    """Two RE2 patterns: the planted e-mail addresses (on lower-cased text) and the digits of the planted phone and
    card numbers (on text with the separators a number may carry removed)."""
    emails = sorted({re.escape(p["value"].lower()) for p in planted if p["kind"] == "email"})
    # a phone number also in national form: its last ten digits (without the country code)
    digits = sorted({re.sub(r"[^0-9]", "", p["value"])[-10 if p["kind"] == "phone" else 0:]
                     for p in planted if p["kind"] != "email"})
    return "|".join(emails), "|".join(digits)


def _scan_relation(con: duckdb.DuckDBPyConnection, relation: str, needles: tuple[str, str]) -> dict[str, int]:
    """Column -> rows whose value (cast to text) holds a planted value, for every column of `relation`."""
    columns = [row[0] for row in con.execute(f"describe select * from {relation}").fetchall()]
    emails, digits = needles
    checks = []
    for column in columns:
        value = f'cast("{column}" as varchar)'
        checks.append(f"count(*) filter (where regexp_matches(lower({value}), '{emails}') "
                      f"or regexp_matches(regexp_replace({value}, '{SEPARATORS}', '', 'g'), '{digits}'))")
    counts = con.execute(f"select {', '.join(checks)} from {relation}").fetchone()
    return {column: count for column, count in zip(columns, counts, strict=True) if count}


def _scan_files(folder: Path, needles: tuple[str, str]) -> dict[str, object]:
    """Every file under `folder`: Parquet column by column, any other file as text."""
    emails, digits = (re.compile(pattern) for pattern in needles)
    hits: dict[str, object] = {}
    files = sorted(path for path in folder.rglob("*") if path.is_file())
    with duckdb.connect() as con:
        for path in files:
            if path.suffix.lower() == ".parquet":
                found = _scan_relation(con, f"read_parquet('{path}')", needles)
            else:
                text = path.read_text(encoding="utf-8")
                found = bool(emails.search(text.lower()) or digits.search(re.sub(SEPARATORS, "", text)))
            if found:
                hits[str(path)] = found
    return hits


@pytest.fixture(scope="module")
def published(ci_build: Build, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The ci warehouse published, and every dealer's extract written from the publication."""
    base = tmp_path_factory.mktemp("personal_data")
    serving = base / "serving"
    publish_warehouse(ci_build.warehouse, serving, "scan")
    out = base / "exports"
    assert write_extracts(serving, out, AS_OF, environ=ENV).written
    return serving / publish.CURRENT, out


def test_the_scan_finds_every_planted_value_in_the_landing(ci_build: Build, planted: list[dict]) -> None:
    """Positive control: the same scan, run on the landed files, finds what was planted (Parquet and CSV)."""
    needles = _needles(planted)
    tables = {(p["system"], p["table"]) for p in planted}
    hits = {}
    for system, table in tables:
        hits.update(_scan_files(ci_build.raw / system / table, needles))
    found = json.dumps(hits)
    assert hits
    for system, table in tables:
        assert f"/{system}/{table}/" in found, f"scan found nothing planted in {system}.{table}"
    emails, digits = (re.compile(p) for p in needles)
    for plant in planted:  # each needle matches its own value
        value = plant["value"]
        assert emails.search(value.lower()) or digits.search(re.sub(SEPARATORS, "", value)), plant


def test_no_planted_value_in_any_column_of_the_serving_file(published: tuple[Path, Path], planted: list[dict],
                                                           manifest: dict) -> None:
    current, _ = published
    needles = _needles(planted)
    free_text_marts = {(node["name"], name) for node in _marts(manifest)
                       for name, column in node["columns"].items() if _content(column) == "free_text"}
    classified = {(node["name"], name) for node in _marts(manifest) for name in node["columns"]}
    with duckdb.connect(str(current), read_only=True) as con:
        tables = con.execute("select table_schema, table_name from information_schema.tables order by 1, 2").fetchall()
        assert len(tables) >= 20
        leaks = {f"{schema}.{name}": found for schema, name in tables
                 if (found := _scan_relation(con, f'"{schema}"."{name}"', needles))}
        text_columns = con.execute("select table_name, column_name from information_schema.columns "
                                   "where table_schema in ('marts', 'exports') and data_type = 'VARCHAR'").fetchall()
        # every published text column is one the marts' YAML declares (and the test above classifies)
        assert set(text_columns) <= classified, sorted(set(text_columns) - classified)
        # positive control: planted free text reached the serving file, masked
        assert free_text_marts
        for mart, column in sorted(free_text_marts):
            masked = con.execute(f'select count(*) from marts."{mart}" where "{column}" similar to '
                                 r"'.*\[(email|phone number|card number)\].*'").fetchone()[0]
            assert masked > 0, f"no masked free text in marts.{mart}.{column}: did the planted rows reach it?"
    assert not leaks, f"personal data typed into free text reached the serving file: {leaks}"


def test_no_planted_value_in_any_dealer_extract(published: tuple[Path, Path], planted: list[dict]) -> None:
    _, out = published
    files = [path for path in out.rglob("*") if path.is_file()]
    assert len({path.parts[len(out.parts)] for path in files}) >= 10, "extracts of at least ten dealers"
    assert {path.suffix for path in files} >= {".parquet", ".csv", ".json", ".md"}
    leaks = _scan_files(out, _needles(planted))
    assert not leaks, f"personal data typed into free text reached a dealer extract: {leaks}"
