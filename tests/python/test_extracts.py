"""Dealer extracts leak nothing: canary rows, id validation, keyed hashes and their keys, consent, agreements,
atomic writes, and only from what was published."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from conftest import REPO, Build
from orchestration import extracts, publish
from orchestration.extracts import ExtractError, HmacKey, pseudonymise, write_extracts
from tests.python.serving_fixtures import publish_warehouse

AS_OF = dt.date(2026, 6, 30)
SECRET = "test-secret-for-dealer-extracts-0123456789"
ENV = {"DEALER_EXTRACT_HMAC_KEY": SECRET, "RW_ENV": "ci"}
CANARY = "CANARY7F3A"
CANARY_LEAD = f"{CANARY}-LEAD"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def planted(ci_build: Build, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A publication (serving folder) of a copy of the ci warehouse with canary rows for one dealer (A) whose
    agreement covers everything, planted in the export models extracts read (and the canary lead's contact in
    fct_leads, where the publish takes the lead-contact snapshot from)."""
    base = tmp_path_factory.mktemp("extracts")
    warehouse = base / "warehouse.duckdb"
    shutil.copy(ci_build.warehouse, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        dealer_a = con.execute(
            """select dealer_id from exports.export_dealer_agreement_periods
               where in_force_from_date <= ? and (in_force_to_date is null or in_force_to_date >= ?)
               order by dealer_id limit 1""", [AS_OF, AS_OF]).fetchone()[0]
        con.execute("""update exports.export_dealer_agreement_periods set shares_sell_through = true,
                       receives_scorecard = true, receives_lead_funnel = true, receives_lead_contacts = true,
                       receives_campaign_results = true
                       where dealer_id = ?""", [dealer_a])
        con.execute(f"""insert into exports.export_dealer_scorecard (dealer_id, period_month, metric_name,
                        peer_group_type, peer_group_value, metric_value, metric_weight, peer_dealer_count,
                        is_benchmark_published)
                        values (?, date '2026-01-01', '{CANARY}_metric', 'tier', '{CANARY}', 1, 1, 0, false)""",
                    [dealer_a])
        con.execute(f"""insert into exports.export_dealer_lead_funnel (assigned_month, dealer_id, region,
                        lead_source, leads_assigned)
                        values (date '2026-01-01', ?, '{CANARY}_region', 'web_form', 1)""", [dealer_a])
        con.execute(f"""insert into exports.export_dealer_leads (lead_id, dealer_id, assigned_month, region,
                        has_contact_consent)
                        values ('{CANARY_LEAD}', $1, date '2026-01-01', 'x', true)""", [dealer_a])
        con.execute(f"""insert into marts.fct_leads (lead_assignment_id, lead_id, dealer_id, assigned_month,
                        region, has_contact_consent, contact_name, contact_email, contact_phone)
                        values ('{CANARY_LEAD}|' || $1, '{CANARY_LEAD}', $1, date '2026-01-01', 'x', true,
                                '{CANARY} Contact', 'canary7f3a@example.com', '+00 {CANARY}')""", [dealer_a])
        con.execute(f"""insert into exports.export_dealer_sell_through (dealer_id, period_month, product_category)
                        values (?, date '2026-01-01', '{CANARY}_category')""", [dealer_a])
    serving = base / "serving"
    publish_warehouse(warehouse, serving, "published")
    return serving, dealer_a


@pytest.fixture(scope="module")
def exported(planted: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, Path]:
    serving, dealer_a = planted
    out = tmp_path_factory.mktemp("exports") / "dealers"
    result = write_extracts(serving, out, AS_OF, environ=ENV)
    assert dealer_a in result.written
    return out, dealer_a, serving.parent / "warehouse.duckdb"  # the (planted) build warehouse it was published from


def _copy_publication(serving: Path, tmp_path: Path) -> Path:
    """A private copy of a serving folder (symlinks kept), for a test that changes it."""
    copy = tmp_path / "serving"
    shutil.copytree(serving, copy, symlinks=True)
    return copy


def _texts(folder: Path) -> dict[str, str]:
    """Every file of a folder as text; Parquet files decoded to their values (compression hides bytes)."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        if path.suffix == ".parquet":
            out[str(path)] = json.dumps(pq.read_table(path).to_pylist(), default=str)
        else:
            out[str(path)] = path.read_text(encoding="utf-8")
    return out


def test_canary_rows_of_one_dealer_appear_in_no_other_dealers_folder(exported: tuple[Path, str, Path]) -> None:
    out, dealer_a, _ = exported
    canary_key = pseudonymise(SECRET.encode(), "lead", CANARY_LEAD)
    own = _texts(out / dealer_a)
    # positive control: the canaries did reach dealer A's own folder, so the scan below can see them
    for needle in (f"{CANARY}_metric", f"{CANARY}_region", f"{CANARY}_category", canary_key, f"{CANARY} Contact"):
        assert any(needle in text for text in own.values()), f"canary {needle} missing from dealer A's extract"
    others = [d for d in out.iterdir() if d.name != dealer_a]
    assert len(others) >= 5
    for folder in others:
        for name, text in _texts(folder).items():
            assert CANARY.lower() not in text.lower(), f"dealer A's canary leaked into {name}"
            assert canary_key not in text, f"dealer A's lead key leaked into {name}"
            assert dealer_a not in text, f"dealer A's id appears in {name}"


def test_every_row_of_a_dealers_files_is_its_own(exported: tuple[Path, str, Path]) -> None:
    out, _, _ = exported
    for folder in out.iterdir():
        for path in (folder / AS_OF.isoformat()).glob("*.parquet"):
            table = pq.read_table(path)
            if path.stem == "campaign_results":
                assert "dealer_id" not in table.column_names
                continue
            assert set(table.column("dealer_id").to_pylist()) <= {folder.name}, path


def test_campaign_lead_figures_in_extracts_meet_the_disclosure_rule(exported: tuple[Path, str, Path]) -> None:
    """Every dealer gets every campaign's lead figures, which add up several dealers: each published figure has
    more than min_peers dealers behind it and none above max_peer_weight_share (recomputed from the leads);
    a withheld one is null with a reason."""
    out, _, warehouse = exported
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rules = dict(con.execute("select rule_name, rule_value from reference.peer_benchmark_rules").fetchall())
        per_dealer = con.execute("""
            select campaign_id, dealer_id, count(distinct lead_id) as leads,
                   count(distinct case when is_won then lead_id end) as won,
                   coalesce(sum(won_amount_reporting), 0) as won_amount
            from marts.fct_leads where campaign_id is not null and dealer_id is not null
            group by campaign_id, dealer_id""").df()
    files = sorted(out.glob(f"*/{AS_OF.isoformat()}/campaign_results.parquet"))
    assert files, "no dealer received campaign results"
    published = withheld = 0
    for path in files:
        for row in pq.read_table(path).to_pylist():
            figures = (row["leads_generated"], row["leads_won"], row["lead_won_amount_reporting"])
            if all(f is None for f in figures):
                withheld += 1
                assert row["lead_figures_withheld_reason"] in {"too_few_dealers", "dominant_dealer"}, row
                continue
            published += 1
            assert row["lead_figures_withheld_reason"] is None, row
            dealers = per_dealer[per_dealer["campaign_id"] == row["campaign_id"]]
            assert len(dealers) > rules["min_peers"], row["campaign_id"]
            assert (dealers["won"] > 0).sum() > rules["min_peers"], row["campaign_id"]
            assert dealers["leads"].max() <= rules["max_peer_weight_share"] * row["leads_generated"], row
            assert dealers["won"].max() <= rules["max_peer_weight_share"] * row["leads_won"], row
            assert float(dealers["won_amount"].max()) <= (rules["max_peer_weight_share"]
                                                          * float(row["lead_won_amount_reporting"])) + 1e-6, row
    # both branches are exercised on the ci build, so the checks above are not vacuous
    assert published and withheld, (published, withheld)
    dictionary = (files[0].parent / "data_dictionary.md").read_text(encoding="utf-8")
    assert "| lead_figures_withheld_reason |" in dictionary


def test_raw_lead_ids_never_leave_only_keyed_hashes(exported: tuple[Path, str, Path]) -> None:
    out, _, warehouse = exported
    with duckdb.connect(str(warehouse), read_only=True) as con:
        leads = con.execute("select dealer_id, lead_id from marts.fct_leads").fetchall()
    by_dealer: dict[str, set[str]] = {}
    for dealer_id, lead_id in leads:
        by_dealer.setdefault(dealer_id, set()).add(lead_id)
    checked = 0
    for folder in out.iterdir():
        leads_file = folder / AS_OF.isoformat() / "leads.parquet"
        if not leads_file.exists():
            continue
        table = pq.read_table(leads_file)
        assert "lead_id" not in table.column_names and "lead_assignment_id" not in table.column_names
        expected = {pseudonymise(SECRET.encode(), "lead", lead) for lead in by_dealer.get(folder.name, set())}
        keys = set(table.column("lead_key").to_pylist())
        assert keys <= expected | {pseudonymise(SECRET.encode(), "lead", CANARY_LEAD)}
        csv_text = (folder / AS_OF.isoformat() / "leads.csv").read_text()
        sample = sorted(by_dealer.get(folder.name, set()))[:50]
        assert not any(lead in csv_text for lead in sample), f"raw lead id in {folder.name}"
        checked += 1
    assert checked > 0


def test_contacts_only_where_consented_and_agreed(exported: tuple[Path, str, Path]) -> None:
    out, _, _ = exported
    seen_with, seen_without = 0, 0
    for folder in out.iterdir():
        day = folder / AS_OF.isoformat()
        manifest = json.loads((day / "manifest.json").read_text())
        if not (day / "leads.parquet").exists():
            continue
        rows = pq.read_table(day / "leads.parquet").to_pylist()
        for row in rows:
            has_contact = any(row[c] is not None for c in extracts.CONTACT_COLUMNS)
            if has_contact:
                assert row["has_contact_consent"], f"contact of a lead without consent in {folder.name}"
                assert manifest["agreement_covers"]["receives_lead_contacts"], folder.name
        if manifest["agreement_covers"]["receives_lead_contacts"]:
            seen_with += 1
        else:
            seen_without += 1
    assert seen_with and seen_without, "need dealers both with and without contact rights to test this"


def test_only_dealers_with_a_valid_agreement_and_only_covered_datasets(exported: tuple[Path, str, Path]) -> None:
    out, _, warehouse = exported
    with duckdb.connect(str(warehouse), read_only=True) as con:
        agreements = {a.dealer_id: a for a in extracts.valid_agreements(con, AS_OF)}
        dealers = {r[0] for r in con.execute("select dealer_id from marts.dim_dealers").fetchall()}
    assert {d.name for d in out.iterdir()} == set(agreements)
    assert dealers - set(agreements), "some dealer has no valid agreement and must get no extract"
    for dealer_id, agreement in agreements.items():
        day = out / dealer_id / AS_OF.isoformat()
        expected = {d.name for d in extracts.DATASETS if agreement.flags[d.agreement_flag]}
        written = {p.stem for p in day.glob("*.parquet")}
        assert written == expected, dealer_id
        assert {p.stem for p in day.glob("*.csv")} == expected
        manifest = json.loads((day / "manifest.json").read_text())
        assert manifest["agreement_id"] == agreement.agreement_id
        assert manifest["agreement_version"] == agreement.agreement_version
        assert manifest["as_of_date"] == AS_OF.isoformat()
        for entry in manifest["files"]:
            path = day / entry["file"]
            assert _sha256(path) == entry["sha256"]
            if entry["format"] == "parquet":
                assert pq.read_metadata(path).num_rows == entry["rows"]
        dictionary = (day / "data_dictionary.md").read_text()
        for name in expected:
            assert f"## {name}" in dictionary


@pytest.mark.parametrize("bad_id", ["../evil", "a/b", "..", "D 1", "D\x001", "D\n1", "", "-D1", "D1\t", "/etc"])
def test_bad_dealer_ids_are_rejected_and_nothing_is_written(planted: tuple[Path, str], tmp_path: Path,
                                                            bad_id: str) -> None:
    serving, _ = planted
    out = tmp_path / "dealers"
    with pytest.raises(ExtractError, match="invalid dealer id"):
        write_extracts(serving, out, AS_OF, dealer_ids=["D0002", bad_id], environ=ENV)
    assert not out.exists()


def test_a_bad_dealer_id_in_the_publication_stops_the_run_before_writing(planted: tuple[Path, str],
                                                                        tmp_path: Path) -> None:
    serving = _copy_publication(planted[0], tmp_path)
    with duckdb.connect(str(serving / publish.CURRENT)) as con:
        con.execute("""insert into exports.export_dealer_agreement_periods (dealer_id, agreement_id,
                       agreement_version, shares_sell_through, receives_scorecard, receives_lead_funnel,
                       receives_lead_contacts, receives_campaign_results, in_force_from_date)
                       values ('../../etc', 'AGX', 1, true, true, true, true, true, date '2020-01-01')""")
    out = tmp_path / "dealers"
    with pytest.raises(ExtractError, match="invalid dealer id"):
        write_extracts(serving, out, AS_OF, environ=ENV)
    assert not out.exists()
    assert not (tmp_path / "etc").exists()


def test_missing_secret_is_an_error_outside_dev(planted: tuple[Path, str], tmp_path: Path) -> None:
    out = tmp_path / "dealers"
    with pytest.raises(ExtractError, match="DEALER_EXTRACT_HMAC_KEY"):
        write_extracts(planted[0], out, AS_OF, environ={"RW_ENV": "prod"})
    assert not out.exists()


@pytest.mark.parametrize("env_name", ["prod", "dev", ""])
def test_a_key_shorter_than_32_bytes_is_refused(env_name: str, tmp_path: Path) -> None:
    for short in ("k", "x" * 31, "é" * 15):  # 1, 31 and 30 bytes
        with pytest.raises(ExtractError, match="at least 32"):
            extracts.resolve_hmac_key({"RW_ENV": env_name, "DEALER_EXTRACT_HMAC_KEY": short}, tmp_path / "dev.key")
    key = extracts.resolve_hmac_key({"RW_ENV": env_name, "DEALER_EXTRACT_HMAC_KEY": "é" * 16}, tmp_path / "dev.key")
    assert key.secret == ("é" * 16).encode() and not key.is_dev_key
    assert not (tmp_path / "dev.key").exists(), "a given key never creates a dev key"


def test_dev_generates_a_random_key_once_per_data_directory(tmp_path: Path) -> None:
    warnings: list[str] = []
    one, two = tmp_path / "one" / extracts.DEV_KEY_FILE, tmp_path / "two" / extracts.DEV_KEY_FILE
    first = extracts.resolve_hmac_key({}, one, warn=warnings.append)
    assert first.is_dev_key and len(first.secret) == 32
    assert stat.S_IMODE(one.stat().st_mode) == 0o600
    assert "generated a random dev key" in warnings[-1] and str(one) in warnings[-1]
    again = extracts.resolve_hmac_key({"RW_ENV": "dev"}, one, warn=warnings.append)
    assert again.secret == first.secret and again.fingerprint == first.fingerprint
    assert "using the dev key" in warnings[-1]
    other = extracts.resolve_hmac_key({}, two, warn=warnings.append)
    assert other.secret != first.secret and other.fingerprint != first.fingerprint
    # the fingerprint tells keys apart without giving the key away
    assert first.fingerprint not in first.secret.hex() and len(first.fingerprint) == 16


def test_a_dev_key_others_can_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / extracts.DEV_KEY_FILE
    extracts.resolve_hmac_key({}, path, warn=lambda _: None)
    os.chmod(path, 0o644)
    with pytest.raises(ExtractError, match="may be read by others"):
        extracts.resolve_hmac_key({}, path, warn=lambda _: None)
    os.chmod(path, 0o600)
    path.write_text("not a key\n")
    with pytest.raises(ExtractError, match="does not hold 32"):
        extracts.resolve_hmac_key({}, path, warn=lambda _: None)


def test_no_extract_key_is_written_in_the_source() -> None:
    """Whatever key the extracts use comes from the environment or a generated file: no string constant of the
    package hashes to the lead keys of a dev run."""
    import ast

    constants = set()
    for path in (REPO / "orchestration").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) >= 8:
                constants.add(node.value)
    assert "relationship-warehouse-dev-only-extract-key" not in constants
    assert not hasattr(extracts, "DEV_HMAC_KEY")


def test_manifest_records_the_key_fingerprint_and_whether_it_is_a_dev_key(
        exported: tuple[Path, str, Path], planted: tuple[Path, str], tmp_path: Path) -> None:
    out, dealer_a, _ = exported
    current = planted[0] / publish.CURRENT
    manifest = json.loads((out / dealer_a / AS_OF.isoformat() / "manifest.json").read_text())
    assert manifest["hmac_key"] == {"fingerprint": HmacKey(SECRET.encode(), False, "").fingerprint,
                                    "is_dev_key": False}
    assert manifest["published_run"] == extracts.published_run_id(current.resolve())
    serving = _copy_publication(planted[0], tmp_path)
    dev_out = tmp_path / "dev"
    result = write_extracts(serving, dev_out, AS_OF, dealer_ids=[dealer_a], environ={})
    key_file = extracts.dev_key_file(serving)
    assert key_file.parent == serving.parent and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    dev_manifest = json.loads((dev_out / dealer_a / AS_OF.isoformat() / "manifest.json").read_text())
    assert dev_manifest["hmac_key"] == {"fingerprint": result.key.fingerprint, "is_dev_key": True}
    assert result.key.secret == bytes.fromhex(key_file.read_text().strip())


def test_hash_is_keyed() -> None:
    assert pseudonymise(b"one", "lead", "L1") != pseudonymise(b"two", "lead", "L1")
    assert pseudonymise(b"one", "lead", "L1") == pseudonymise(b"one", "lead", "L1")
    assert pseudonymise(b"one", "lead", None) is None


def test_a_crash_mid_write_leaves_the_previous_extract_whole(planted: tuple[Path, str], tmp_path: Path) -> None:
    serving, dealer_a = planted
    out = tmp_path / "dealers"
    write_extracts(serving, out, AS_OF, dealer_ids=[dealer_a], environ=ENV)
    day = out / dealer_a / AS_OF.isoformat()
    before = {p.name: _sha256(p) for p in day.iterdir()}
    (day / "marker").write_text("previous extract")

    def crash(path: Path) -> None:
        if path.name.endswith(".csv"):
            raise RuntimeError("simulated crash while writing")

    with pytest.raises(RuntimeError, match="simulated crash"):
        write_extracts(serving, out, AS_OF, dealer_ids=[dealer_a], environ=ENV, after_file=crash)
    assert (day / "marker").read_text() == "previous extract"
    assert {p.name: _sha256(p) for p in day.iterdir() if p.name != "marker"} == before
    assert [p.name for p in (out / dealer_a).iterdir()] == [AS_OF.isoformat()], "no temporary folder left"

    # a successful run replaces the old folder as a whole (the marker goes with it)
    write_extracts(serving, out, AS_OF, dealer_ids=[dealer_a], environ=ENV)
    assert not (day / "marker").exists()
    assert (day / "manifest.json").exists()
    assert [p.name for p in (out / dealer_a).iterdir()] == [AS_OF.isoformat()]


def test_a_crash_in_a_new_dealers_first_file_leaves_no_folder(planted: tuple[Path, str], tmp_path: Path) -> None:
    serving, dealer_a = planted
    out = tmp_path / "dealers"

    def crash(path: Path) -> None:
        raise RuntimeError("simulated crash while writing")

    with pytest.raises(RuntimeError, match="simulated crash"):
        write_extracts(serving, out, AS_OF, dealer_ids=[dealer_a], environ=ENV, after_file=crash)
    assert not out.exists(), "no empty dealer folder (nor extracts folder) is left behind"


def test_the_serving_file_is_only_read(planted: tuple[Path, str], tmp_path: Path) -> None:
    serving, dealer_a = planted
    current = (serving / publish.CURRENT).resolve()
    before = _sha256(current)
    write_extracts(serving, tmp_path / "dealers", AS_OF, dealer_ids=[dealer_a], environ=ENV)
    assert _sha256(current) == before
    for dataset in extracts.DATASETS:
        if dataset.per_dealer:
            assert "$dealer_id" in dataset.sql and "{" not in dataset.sql


def test_command_line_rejects_a_bad_id_and_writes_extracts(planted: tuple[Path, str], tmp_path: Path) -> None:
    serving, dealer_a = planted
    out = tmp_path / "dealers"
    env = {"PATH": "/usr/bin:/bin", **ENV}
    base = [sys.executable, "-m", "orchestration.extracts", "--as-of", AS_OF.isoformat(), "--serving-dir",
            str(serving), "--out", str(out)]
    bad = subprocess.run([*base, "--dealer", "../x"], cwd=REPO, env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and "invalid dealer id" in bad.stderr
    assert not out.exists()
    good = subprocess.run([*base, "--dealer", dealer_a], cwd=REPO, env=env, capture_output=True, text=True)
    assert good.returncode == 0, good.stderr
    assert (out / dealer_a / AS_OF.isoformat() / "manifest.json").exists()


# ------------------------------------------------------------------- only from what was published


def _cli(serving: Path, out: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "orchestration.extracts", "--as-of", AS_OF.isoformat(),
                           "--serving-dir", str(serving), "--out", str(out)],
                          cwd=REPO, env={"PATH": "/usr/bin:/bin", **env}, capture_output=True, text=True)


@pytest.mark.parametrize("env", [ENV, {}], ids=["prod-key", "dev"])
def test_command_line_without_a_publication_refuses_and_writes_nothing(tmp_path: Path,
                                                                      env: dict[str, str]) -> None:
    serving, out = tmp_path / "data" / "serving", tmp_path / "data" / "exports" / "dealers"
    serving.mkdir(parents=True)
    # a build warehouse next to it (even a good one) is not a publication
    (tmp_path / "data" / "warehouse.duckdb").write_bytes(b"")
    result = _cli(serving, out, env)
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: no successful publication"), result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data" / "exports").exists()
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["serving", "warehouse.duckdb"], \
        "nothing written, not even a dev key"
    # a dangling current.duckdb (its file pruned away) is no publication either
    os.symlink("gone.duckdb", serving / publish.CURRENT)
    assert "no successful publication" in _cli(serving, out, env).stderr
    assert not (tmp_path / "data" / "exports").exists()


def test_a_publication_without_its_lead_contact_snapshot_is_refused(planted: tuple[Path, str],
                                                                    tmp_path: Path) -> None:
    serving = _copy_publication(planted[0], tmp_path)
    for path in (serving / extracts.LEAD_CONTACTS_DIR).iterdir():
        path.unlink()
    out = tmp_path / "dealers"
    result = _cli(serving, out, ENV)
    assert result.returncode == 2 and "no lead-contact snapshot" in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_a_half_built_publication_is_refused_with_a_clear_message(planted: tuple[Path, str],
                                                                  tmp_path: Path) -> None:
    serving = _copy_publication(planted[0], tmp_path)
    with duckdb.connect(str(serving / publish.CURRENT)) as con:
        con.execute("drop table exports.export_dealer_lead_funnel")
    out = tmp_path / "dealers"
    result = _cli(serving, out, ENV)
    assert result.returncode == 2, result
    assert result.stderr.strip() == (f"error: the published serving file {(serving / publish.CURRENT).resolve()} "
                                     "lacks export_dealer_lead_funnel; publish again (make run); nothing was "
                                     "written")
    assert not out.exists(), "no empty dealer folder"


def test_extracts_read_the_publication_not_the_build_warehouse(ci_build: Build, tmp_path: Path) -> None:
    """The build warehouse changes after the publish (the next build rewrites it): extracts do not see it."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(ci_build.warehouse, warehouse)
    serving = tmp_path / "serving"
    publish_warehouse(warehouse, serving, "published")
    with duckdb.connect(str(warehouse)) as con:
        con.execute(f"update marts.rpt_campaign_results set campaign_name = '{CANARY}_unpublished'")
        con.execute(f"update exports.export_campaign_results set campaign_name = '{CANARY}_unpublished'")
        rows = con.execute(f"select count(*) from exports.export_campaign_results "
                           f"where campaign_name = '{CANARY}_unpublished'").fetchone()[0]
    assert rows > 0
    out = tmp_path / "dealers"
    result = write_extracts(serving, out, AS_OF, environ=ENV)
    assert result.written and result.source.serving_file == (serving / publish.CURRENT).resolve()
    files = sorted(out.rglob("campaign_results.parquet"))
    assert files, "some dealer receives campaign results"
    for path in files:
        names = set(pq.read_table(path).column("campaign_name").to_pylist())
        assert f"{CANARY}_unpublished" not in names, path
    warehouse.unlink()  # and they need no build warehouse at all
    assert write_extracts(serving, tmp_path / "again", AS_OF, environ=ENV).written


def test_lead_contact_snapshots_are_private_and_follow_their_serving_file(planted: tuple[Path, str],
                                                                          tmp_path: Path) -> None:
    serving = _copy_publication(planted[0], tmp_path)
    folder = serving / extracts.LEAD_CONTACTS_DIR
    snapshot = folder / "published.parquet"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(snapshot.stat().st_mode) == 0o600
    table = pq.read_table(snapshot)
    assert table.column_names == ["lead_id", "contact_name", "contact_email", "contact_phone"]
    assert table.num_rows == len(set(table.column("lead_id").to_pylist())) > 0
    (folder / "failed-run.parquet").write_bytes(b"left by a publish that failed")
    assert extracts.prune_lead_contacts(serving) == [folder / "failed-run.parquet"]
    assert [p.name for p in folder.iterdir()] == ["published.parquet"], "the current run's snapshot stays"
