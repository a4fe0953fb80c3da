"""Per-dealer data extracts: what each dealer's data-sharing agreement says we send it, and nothing else.

Extracts are written only from what was published: the serving file `current.duckdb` points at (audited marts
and export datasets, PII columns dropped, free text scrubbed in staging) and the lead-contact snapshot taken at the
same publish (`<serving>/lead_contacts/<run id>.parquet`, consented contacts only, mode 0600). Never from the build
warehouse, which the next build rewrites. Without a successful publication nothing is written.

What each dealer receives is defined in dbt, in models/exports/ (schema `exports`, declared as the exposure
`dealer_extracts`): one model per dataset holding every dealer's rows and exactly the columns of its files, and
`export_dealer_agreement_periods`, the agreement version in force for each dealer from when to when. This module
only picks the agreement period holding the as-of date, reads each covered dataset's rows of the dealer up to the
as-of date, and writes the files. Two things are done here and not in the warehouse, because they need what must
never be stored in it: lead ids are replaced by a keyed hash under the extract secret, and lead contact details
come from the publication's lead-contact snapshot.

For every dealer with an agreement in force on the as-of date, writes
``<out>/<dealer_id>/<as_of_date>/`` holding, as Parquet and CSV, only the datasets the agreement covers
(its scorecard, its lead funnel and leads, its own sell-through, all campaign results), a ``manifest.json``
(files, row counts, SHA-256, as-of date, agreement id and version), a ``data_dictionary.md`` built from
the export models' column descriptions, and ``report.html``, a self-contained page charting those same datasets
(orchestration.dealer_report).

Safety rules, each covered by tests/python/test_extracts.py:
- the warehouse is opened read-only and the dealer id is always a bound query parameter;
- a dealer id is checked against a strict pattern before it names a folder (no '/', '..', spaces, control
  characters): a bad id stops the run before anything is written;
- lead ids leave only as a keyed hash (HMAC-SHA256 with the secret in DEALER_EXTRACT_HMAC_KEY, at least 32
  bytes). Without it, RW_ENV=dev (the default) uses a random 32-byte dev key generated once per data directory
  (`.dealer_extract_dev.key` next to the serving folder, mode 0600) and says so; any other RW_ENV is an error.
  The manifest records the key's fingerprint and whether it was a dev key;
- lead contact details leave only for leads that consented, to dealers whose agreement covers contacts;
- a dealer's folder is written in a temporary folder next to it and renamed into place, so a crash leaves the
  old extract or the new one, never half of one.

    python -m orchestration.extracts --as-of 2026-12-31 [--serving-dir DIR] [--out DIR] [--dealer ID ...]
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import datetime as dt
import glob
import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
import stat
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import yaml

from orchestration import dealer_report, publish, settings

REPO = Path(__file__).resolve().parents[1]
DEALER_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
HMAC_KEY_ENV = "DEALER_EXTRACT_HMAC_KEY"
MIN_KEY_BYTES = 32
DEV_KEY_FILE = ".dealer_extract_dev.key"  # in the data directory: the folder holding the serving folder
FINGERPRINT_LABEL = b"relationship-warehouse dealer extract key fingerprint"
CURRENT = "current.duckdb"  # as in orchestration.publish
LEAD_CONTACTS_DIR = "lead_contacts"
ENV_NAME_ENV = "RW_ENV"
TMP_PREFIX = ".tmp-"
OLD_PREFIX = ".old-"
CONTACT_COLUMNS = ("contact_name", "contact_email", "contact_phone")
EXPORTS_SCHEMA = "exports"  # where the models of models/exports/ are built and published
EXPORTS_MODELS_DIR = REPO / "models" / "exports"
AGREEMENT_PERIODS_MODEL = "export_dealer_agreement_periods"


class ExtractError(Exception):
    """A dealer extract cannot be written safely (bad id, missing or weak secret, nothing published)."""


@dataclass(frozen=True)
class Dataset:
    """One file pair of an extract: the agreement flag that allows it, the export model it is read from (every
    dealer's rows, exactly the file's columns), the date column the as-of date bounds, and the row order."""

    name: str
    agreement_flag: str
    model: str
    as_of_column: str
    order_by: tuple[str, ...]
    per_dealer: bool = True
    with_contacts: bool = False
    extra_columns: dict[str, str] = field(default_factory=dict)

    @property
    def sql(self) -> str:
        """The query of the dataset's rows up to `$as_of` (and of the dealer `$dealer_id` when per dealer): both
        bound parameters. With contacts, the consented contacts of the snapshot `$contacts_file` are added where
        `$contacts_allowed`."""
        columns = ["dataset.*"]
        joins = ""
        if self.with_contacts:
            columns += [f"case when $contacts_allowed and dataset.has_contact_consent then contacts.{column} end "
                        f"as {column}" for column in CONTACT_COLUMNS]
            joins = "left join read_parquet($contacts_file) as contacts on dataset.lead_id = contacts.lead_id"
        conditions = [f"dataset.{self.as_of_column} <= $as_of"]
        if self.per_dealer:
            conditions.insert(0, "dataset.dealer_id = $dealer_id")
        return (f"select {', '.join(columns)} from {EXPORTS_SCHEMA}.{self.model} as dataset {joins} "
                f"where {' and '.join(conditions)} order by {', '.join(f'dataset.{c}' for c in self.order_by)}")


DATASETS: tuple[Dataset, ...] = (
    Dataset(
        name="scorecard",
        agreement_flag="receives_scorecard",
        model="export_dealer_scorecard",
        as_of_column="period_month",
        order_by=("period_month", "metric_name", "peer_group_type"),
    ),
    Dataset(
        name="lead_funnel",
        agreement_flag="receives_lead_funnel",
        model="export_dealer_lead_funnel",
        as_of_column="assigned_month",
        order_by=("assigned_month", "region", "lead_source"),
    ),
    Dataset(
        name="leads",
        agreement_flag="receives_lead_funnel",
        model="export_dealer_leads",
        as_of_column="assigned_month",
        order_by=("assigned_at", "lead_id"),
        with_contacts=True,
        extra_columns={  # the columns added here, outside the warehouse
            "lead_key": "The lead under a keyed hash (HMAC-SHA256 of the lead id with our extract secret); stable "
            "across extracts, so it joins this file to later ones, but it cannot be reversed to the lead id.",
            "contact_name": "Lead contact's name. PII.",
            "contact_email": "Lead contact's e-mail (null when malformed). PII.",
            "contact_phone": "Lead contact's phone. PII.",
        },
    ),
    Dataset(
        name="sell_through",
        agreement_flag="shares_sell_through",
        model="export_dealer_sell_through",
        as_of_column="period_month",
        order_by=("period_month", "product_category"),
    ),
    Dataset(
        name="campaign_results",
        agreement_flag="receives_campaign_results",
        model="export_campaign_results",
        as_of_column="window_start_date",
        order_by=("campaign_id",),
        per_dealer=False,
    ),
)

AGREEMENT_FLAGS = ("shares_sell_through", "receives_scorecard", "receives_lead_funnel", "receives_lead_contacts",
                   "receives_campaign_results")


@dataclass(frozen=True)
class Agreement:
    """The agreement version in force for a dealer on the as-of date."""

    dealer_id: str
    agreement_id: str
    agreement_version: int
    flags: dict[str, bool]


@dataclass(frozen=True)
class HmacKey:
    """The secret lead ids are hashed under, where it came from, and its fingerprint (safe to publish)."""

    secret: bytes = field(repr=False)
    is_dev_key: bool
    origin: str

    @property
    def fingerprint(self) -> str:
        """First 16 hex digits of an HMAC of a fixed label: tells keys apart without revealing them."""
        return hmac.new(self.secret, FINGERPRINT_LABEL, hashlib.sha256).hexdigest()[:16]


@dataclass(frozen=True)
class PublishedSource:
    """What extracts read: the serving file current.duckdb points at and its lead-contact snapshot."""

    serving_file: Path
    lead_contacts: Path
    run_id: str


@dataclass
class ExtractResult:
    """What one run wrote."""

    as_of: dt.date
    written: dict[str, Path]
    skipped: list[str]
    seconds: float
    source: PublishedSource | None = None
    key: HmacKey | None = None


def validate_dealer_id(dealer_id: object) -> str:
    """Return `dealer_id` if it is safe to use as a folder name; raise ExtractError otherwise."""
    if not isinstance(dealer_id, str) or not DEALER_ID_PATTERN.fullmatch(dealer_id):
        raise ExtractError(
            f"invalid dealer id {dealer_id!r}: a dealer id must be 1-64 letters, digits, '_' or '-' starting with "
            "a letter or digit (no '/', '..', spaces or control characters); nothing was written"
        )
    return dealer_id


def resolve_hmac_key(environ: dict[str, str] | None = None, dev_key_file: Path | None = None,
                     warn: Callable[[str], None] | None = None) -> HmacKey:
    """The HMAC secret: DEALER_EXTRACT_HMAC_KEY (at least 32 bytes) when set; otherwise, with RW_ENV=dev (the
    default), the dev key in `dev_key_file` (generated on first use); otherwise an error."""
    env = os.environ if environ is None else environ
    value = env.get(HMAC_KEY_ENV, "")
    if value:
        secret = value.encode()
        if len(secret) < MIN_KEY_BYTES:
            raise ExtractError(
                f"{HMAC_KEY_ENV} holds {len(secret)} bytes; the extract key needs at least {MIN_KEY_BYTES} (make one "
                "with: python -c 'import secrets; print(secrets.token_urlsafe(32))'); nothing was written"
            )
        return HmacKey(secret, is_dev_key=False, origin=HMAC_KEY_ENV)
    env_name = env.get(ENV_NAME_ENV, "dev") or "dev"
    if env_name != "dev":
        raise ExtractError(
            f"{HMAC_KEY_ENV} is not set and {ENV_NAME_ENV}={env_name!r}: dealer extracts need the HMAC secret "
            "outside the dev environment; nothing was written"
        )
    if dev_key_file is None:
        raise ExtractError(f"{HMAC_KEY_ENV} is not set and no dev key file was given; nothing was written")
    secret, created = _dev_key(dev_key_file)
    (warn or _warn)(
        f"warning: {HMAC_KEY_ENV} is not set ({ENV_NAME_ENV}=dev): "
        + (f"generated a random dev key in {dev_key_file} (mode 0600)" if created
           else f"using the dev key in {dev_key_file}")
        + "; the manifests say is_dev_key: true. Never ship extracts made with it."
    )
    return HmacKey(secret, is_dev_key=True, origin=str(dev_key_file))


def _dev_key(path: Path) -> tuple[bytes, bool]:
    """The 32-byte dev key stored (hex) in `path`, created there with mode 0600 on first use; True if created.
    A key file that others may read, or that is not one, is an error."""
    if not path.exists() and not path.is_symlink():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{uuid.uuid4().hex}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, (secrets.token_bytes(MIN_KEY_BYTES).hex() + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # atomic; loses to a concurrent run that created the key first
            created = True
        except FileExistsError:
            created = False
        finally:
            tmp.unlink()
        if created:
            return _read_dev_key(path), True
    return _read_dev_key(path), False


def _read_dev_key(path: Path) -> bytes:
    info = os.lstat(path)
    if not stat.S_ISREG(info.st_mode):
        raise ExtractError(f"dev key {path} is not a regular file; remove it; nothing was written")
    if info.st_mode & 0o077:
        raise ExtractError(f"dev key {path} may be read by others (mode {stat.S_IMODE(info.st_mode):04o}); "
                           f"chmod 600 it or delete it to generate a new one; nothing was written")
    try:
        secret = bytes.fromhex(path.read_text().strip())
    except ValueError:
        secret = b""
    if len(secret) != MIN_KEY_BYTES:
        raise ExtractError(f"dev key {path} does not hold {MIN_KEY_BYTES} hex-encoded bytes; delete it to generate a "
                           "new one; nothing was written")
    return secret


def dev_key_file(serving_dir: Path) -> Path:
    """Where the dev key of a data directory lives: next to its serving folder (data/ by default)."""
    return serving_dir.resolve().parent / DEV_KEY_FILE


def lead_contacts_path(serving_dir: Path, run_id: str) -> Path:
    return serving_dir / LEAD_CONTACTS_DIR / f"{run_id}.parquet"


def snapshot_lead_contacts(warehouse: Path, serving_dir: Path, run_id: str) -> Path:
    """Taken at publish, before current.duckdb moves: the consented lead contacts (PII, dropped from the serving
    file) extracts may carry to dealers whose agreement covers them, one row per lead, in
    `<serving_dir>/lead_contacts/<run_id>.parquet` (folder 0700, file 0600). LookupError when the warehouse
    holds no fct_leads."""
    folder = serving_dir / LEAD_CONTACTS_DIR
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    final = lead_contacts_path(serving_dir, run_id)
    tmp = folder / f".{final.name}.{uuid.uuid4().hex}.tmp"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        try:
            table = con.sql(
                """
                select lead_id, contact_name, contact_email, contact_phone
                from marts.fct_leads
                where has_contact_consent
                qualify row_number() over (partition by lead_id order by lead_assignment_id) = 1
                order by lead_id
                """
            ).to_arrow_table()
        except duckdb.CatalogException as error:
            raise LookupError(f"mart marts.fct_leads is not in the warehouse {warehouse}: {error}") from error
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            pq.write_table(table, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)
    return final


def prune_lead_contacts(serving_dir: Path) -> list[Path]:
    """Delete lead-contact snapshots (and leftovers) whose serving file is gone (pruned, or never published)."""
    folder = serving_dir / LEAD_CONTACTS_DIR
    if not folder.is_dir():
        return []
    removed = []
    for path in folder.iterdir():
        run_id = path.name.lstrip(".").split(".parquet")[0]
        # a run's serving file: <run id>/current.duckdb, <run id>-<n>/ when the run published again
        if not any((folder_of_run / publish.CURRENT).exists() for folder_of_run in _run_folders(serving_dir, run_id)):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _run_folders(serving_dir: Path, run_id: str) -> list[Path]:
    return [serving_dir / run_id, *serving_dir.glob(f"{glob.escape(run_id)}-*")]


def published_run_id(serving_file: Path) -> str:
    """The run that published a serving file, from its publication record."""
    try:
        with duckdb.connect(str(serving_file), read_only=True) as con:
            row = con.execute("select run_id from main.publication").fetchone()
    except duckdb.Error as error:
        raise ExtractError(
            f"the published serving file {serving_file} cannot be read ({error}); nothing was written"
        ) from error
    if row is None:
        raise ExtractError(f"the published serving file {serving_file} has no publication record; nothing was written")
    return row[0]


def published_source(serving_dir: Path) -> PublishedSource:
    """The publication extracts read; ExtractError when there is none (nothing published, or a serving file
    without its lead-contact snapshot)."""
    current = serving_dir / CURRENT
    if not current.exists():
        raise ExtractError(
            f"no successful publication in {serving_dir} ({CURRENT} is missing): dealer extracts are written only "
            "from published data, after the build passed its audit; run the job (make run) until it publishes; "
            "nothing was written"
        )
    serving_file = current.resolve()
    run_id = published_run_id(serving_file)
    contacts = lead_contacts_path(serving_dir, run_id)
    if not contacts.is_file():
        raise ExtractError(
            f"the serving file published by run {run_id} has no lead-contact snapshot ({contacts}): publish "
            "again (make run); nothing was written"
        )
    return PublishedSource(serving_file, contacts, run_id)


def pseudonymise(key: bytes, kind: str, value: str | None) -> str | None:
    """Keyed hash of an identifier (hex HMAC-SHA256 of '<kind>:<value>'); None stays None."""
    if value is None:
        return None
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def export_nodes(manifest: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every enabled model under models/exports/ (schema `exports`), from a dbt manifest: published with the marts,
    since dealer extracts read them from the serving file."""
    return sorted(
        (node for node in manifest["nodes"].values()
         if node["resource_type"] == "model" and node["original_file_path"].startswith("models/exports/")
         and node["config"].get("enabled", True)),
        key=lambda node: node["name"],
    )


_DOC_CALL = re.compile(r"""\{\{\s*doc\(\s*['"]([\w.]+)['"]\s*\)\s*\}\}""")
_DOC_BLOCK = re.compile(r"\{%-?\s*docs\s+(\w+)\s*-?%\}(.*?)\{%-?\s*enddocs\s*-?%\}", re.DOTALL)


def _doc_blocks(models_root: Path) -> dict[str, str]:
    return {name: text.strip() for path in sorted(models_root.rglob("*.md"))
            for name, text in _DOC_BLOCK.findall(path.read_text(encoding="utf-8"))}


def column_descriptions(models_dir: Path = EXPORTS_MODELS_DIR) -> dict[str, dict[str, str]]:
    """Model name -> column name -> description, read from the export models' YAML (doc blocks resolved)."""
    blocks = _doc_blocks(REPO / "models")
    out: dict[str, dict[str, str]] = {}
    for path in sorted(models_dir.rglob("_*__models.yml")):
        doc = yaml.safe_load(path.read_text()) or {}
        for model in doc.get("models", []) or []:
            cols = {}
            for column in model.get("columns", []) or []:
                text = str(column.get("description", ""))
                text = _DOC_CALL.sub(lambda call: blocks.get(call.group(1).split(".")[-1], ""), text)
                cols[column["name"]] = " ".join(text.split())
            out[model["name"]] = cols
    return out


def scorecard_metric_guide(seed: Path = REPO / "seeds" / "scorecard_metrics.csv") -> list[str]:
    """Data-dictionary lines saying, for each scorecard metric, what it measures and which way is better."""
    lines = ["### How to read each scorecard metric", "",
             "Your percentile is the share of peer dealers you did at least as well as; dealers with the same value "
             "share the better band, so wherever a benchmark is published the best value of your group is in the top "
             "quartile.", "",
             "| metric_name | better when | what it measures |", "| --- | --- | --- |"]
    for row in pa_csv.read_csv(seed).to_pylist():
        better = "higher is better" if row["is_higher_better"] else "lower is better"
        lines.append(f"| {row['metric_name']} | {better} | {str(row['dealer_description']).replace('|', '/')} |")
    return [*lines, ""]


def valid_agreements(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> list[Agreement]:
    """The agreement version in force for each dealer on `as_of` (export_dealer_agreement_periods: the dealer's
    highest version valid that day); dealers without one are left out."""
    rows = con.execute(
        f"""
        select agreement_id, dealer_id, agreement_version, {", ".join(AGREEMENT_FLAGS)}
        from {EXPORTS_SCHEMA}.{AGREEMENT_PERIODS_MODEL}
        where in_force_from_date <= $as_of and (in_force_to_date is null or in_force_to_date >= $as_of)
        order by dealer_id
        """,
        {"as_of": as_of},
    ).fetchall()
    dealers = [r[1] for r in rows]
    if len(dealers) != len(set(dealers)):
        raise ExtractError(f"{AGREEMENT_PERIODS_MODEL} gives a dealer two agreements in force on {as_of}; "
                           "nothing was written")
    return [Agreement(dealer_id=r[1], agreement_id=r[0], agreement_version=int(r[2]),
                      flags={f: bool(v) for f, v in zip(AGREEMENT_FLAGS, r[3:], strict=True)}) for r in rows]


def _warn(message: str) -> None:
    print(message, file=sys.stderr)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write_csv(table: pa.Table, path: Path) -> None:
    pa_csv.write_csv(table, path)


def _hash_leads(table: pa.Table, key: bytes) -> pa.Table:
    keys = pa.array([pseudonymise(key, "lead", v) for v in table.column("lead_id").to_pylist()], pa.string())
    table = table.drop_columns(["lead_id"])
    return table.add_column(0, "lead_key", keys)


_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2 RENAME_EXCHANGE); False where the system cannot."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name or not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    if not hasattr(libc, "renameat2"):
        return False
    at_fdcwd = -100
    rc = libc.renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return rc == 0


def publish_folder(tmp: Path, final: Path) -> None:
    """Move the finished temporary folder into place; an existing folder is swapped out in one step."""
    if not final.exists():
        os.rename(tmp, final)
        return
    if _exchange(tmp, final):
        shutil.rmtree(tmp)  # tmp now holds the previous extract
        return
    aside = final.parent / f"{OLD_PREFIX}{final.name}-{uuid.uuid4().hex}"
    os.rename(final, aside)
    os.rename(tmp, final)
    shutil.rmtree(aside)


class _Writer:
    """Writes one dealer's folder; `after_file` lets tests crash it part-way."""

    def __init__(self, key: HmacKey, descriptions: dict[str, dict[str, str]], source: PublishedSource) -> None:
        self.key = key
        self.descriptions = descriptions
        self.source = source

    def dataset_table(self, con: duckdb.DuckDBPyConnection, dataset: Dataset, agreement: Agreement,
                      as_of: dt.date, shared: dict[str, pa.Table]) -> pa.Table:
        if not dataset.per_dealer:
            if dataset.name not in shared:
                shared[dataset.name] = con.sql(dataset.sql, params={"as_of": as_of}).to_arrow_table()
            return shared[dataset.name]
        params: dict[str, Any] = {"dealer_id": agreement.dealer_id, "as_of": as_of}
        if dataset.with_contacts:
            params["contacts_allowed"] = agreement.flags["receives_lead_contacts"]
            params["contacts_file"] = str(self.source.lead_contacts)
        table = con.sql(dataset.sql, params=params).to_arrow_table()
        if "lead_id" in table.column_names:
            table = _hash_leads(table, self.key.secret)
        return table

    def write(self, con: duckdb.DuckDBPyConnection, agreement: Agreement, as_of: dt.date, dealer_dir: Path,
              shared: dict[str, pa.Table], after_file: Callable[[Path], None] | None = None) -> Path:
        dealer_dir.mkdir(exist_ok=True)
        for stale in dealer_dir.glob(f"{TMP_PREFIX}*"):
            shutil.rmtree(stale, ignore_errors=True)
        tmp = dealer_dir / f"{TMP_PREFIX}{as_of.isoformat()}-{uuid.uuid4().hex}"
        tmp.mkdir()
        try:
            files: list[dict[str, Any]] = []
            dictionary: list[str] = [f"# Data dictionary — extract for dealer {agreement.dealer_id}, "
                                     f"as of {as_of.isoformat()}", ""]
            covered = [d for d in DATASETS if agreement.flags[d.agreement_flag]]
            tables: dict[str, pa.Table] = {}
            for dataset in covered:
                table = tables[dataset.name] = self.dataset_table(con, dataset, agreement, as_of, shared)
                for fmt in ("parquet", "csv"):
                    path = tmp / f"{dataset.name}.{fmt}"
                    if fmt == "parquet":
                        pq.write_table(table, path)
                    else:
                        _write_csv(table, path)
                    files.append({"file": path.name, "dataset": dataset.name, "format": fmt,
                                  "rows": table.num_rows, "bytes": path.stat().st_size, "sha256": _sha256(path)})
                    if after_file is not None:
                        after_file(path)
                dictionary += self._dictionary_section(dataset, table)
            report = dealer_report.write_report(tmp / "report.html", agreement.dealer_id, as_of,
                                                agreement.agreement_id, agreement.agreement_version, tables)
            files.append({"file": report.name, "dataset": "report", "format": "html",
                          "bytes": report.stat().st_size, "sha256": _sha256(report)})
            manifest = {
                "dealer_id": agreement.dealer_id,
                "as_of_date": as_of.isoformat(),
                "agreement_id": agreement.agreement_id,
                "agreement_version": agreement.agreement_version,
                "agreement_covers": {f: v for f, v in agreement.flags.items()},
                "datasets": [d.name for d in covered],
                "lead_contacts_included": agreement.flags["receives_lead_contacts"]
                and agreement.flags["receives_lead_funnel"],
                "published_run": self.source.run_id,
                "hmac_key": {"fingerprint": self.key.fingerprint, "is_dev_key": self.key.is_dev_key},
                "files": files,
            }
            (tmp / "data_dictionary.md").write_text("\n".join(dictionary) + "\n", encoding="utf-8")
            (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
            final = dealer_dir / as_of.isoformat()
            publish_folder(tmp, final)
            return final
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    def _dictionary_section(self, dataset: Dataset, table: pa.Table) -> list[str]:
        described = self.descriptions.get(dataset.model, {})
        lines = [f"## {dataset.name} (`{dataset.name}.parquet`, `{dataset.name}.csv`)", "",
                 f"From the model `{dataset.model}`.", "", "| column | type | description |",
                 "| --- | --- | --- |"]
        for name, col_type in zip(table.column_names, table.schema.types, strict=True):
            text = dataset.extra_columns.get(name) or described.get(name, "")
            if name in CONTACT_COLUMNS:
                text += " Given only for leads that consented, when the agreement covers lead contacts."
            lines.append(f"| {name} | {col_type} | {text.replace('|', '/')} |")
        guide = scorecard_metric_guide() if dataset.name == "scorecard" else []
        return [*lines, "", *guide]


def _check_published(con: duckdb.DuckDBPyConnection, serving_file: Path) -> None:
    needed = {AGREEMENT_PERIODS_MODEL, *(d.model for d in DATASETS)}
    present = {name for (name,) in con.execute(
        "select table_name from information_schema.tables where table_schema = ?", [EXPORTS_SCHEMA]).fetchall()}
    missing = sorted(needed - present)
    if missing:
        raise ExtractError(f"the published serving file {serving_file} lacks {', '.join(missing)}; publish again "
                           "(make run); nothing was written")


def write_extracts(serving_dir: Path, out_dir: Path, as_of: dt.date, dealer_ids: Iterable[str] | None = None,
                   environ: dict[str, str] | None = None,
                   after_file: Callable[[Path], None] | None = None) -> ExtractResult:
    """Write the extract of every dealer with an agreement in force on `as_of` (or of the listed dealers), from the
    current publication in `serving_dir`."""
    started = time.perf_counter()
    requested = [validate_dealer_id(d) for d in dealer_ids] if dealer_ids is not None else None
    source = published_source(serving_dir)
    key = resolve_hmac_key(environ, dev_key_file(serving_dir))
    writer = _Writer(key, column_descriptions(), source)
    written: dict[str, Path] = {}
    with duckdb.connect(str(source.serving_file), read_only=True) as con:
        _check_published(con, source.serving_file)
        agreements = valid_agreements(con, as_of)
        for agreement in agreements:  # validate every id before writing anything
            validate_dealer_id(agreement.dealer_id)
        by_dealer = {a.dealer_id: a for a in agreements}
        if requested is not None:
            chosen = [d for d in requested if d in by_dealer]
        else:
            chosen = sorted(by_dealer)
        skipped = sorted(set(requested or []) - set(chosen))
        shared: dict[str, pa.Table] = {}
        created = [] if out_dir.exists() else [out_dir]
        for dealer_id in chosen:
            dealer_dir = out_dir / dealer_id
            if dealer_dir.resolve().parent != out_dir.resolve():
                raise ExtractError(f"dealer folder {dealer_dir} escapes {out_dir}; nothing more written")
            out_dir.mkdir(parents=True, exist_ok=True)
            new_dir = not dealer_dir.exists()
            try:
                written[dealer_id] = writer.write(con, by_dealer[dealer_id], as_of, dealer_dir, shared, after_file)
            except BaseException:
                for folder in ([dealer_dir] if new_dir else []) + created:
                    if folder.is_dir() and not any(folder.iterdir()):
                        folder.rmdir()  # no empty folder is left behind
                raise
    return ExtractResult(as_of=as_of, written=written, skipped=skipped, seconds=time.perf_counter() - started,
                         source=source, key=key)


def main(argv: list[str] | None = None) -> int:
    """Command line: write the dealer extracts for an as-of date."""
    parser = argparse.ArgumentParser(prog="python -m orchestration.extracts", description=__doc__.split("\n")[0])
    parser.add_argument("--as-of", required=True, type=dt.date.fromisoformat, help="as-of date, YYYY-MM-DD")
    parser.add_argument("--serving-dir", type=Path, default=settings.serving_dir(),
                        help="folder of the published serving files (SERVING_DIR, default data/serving)")
    parser.add_argument("--out", type=Path, default=settings.exports_dir(),
                        help="extracts folder (EXPORTS_DIR, default data/exports/dealers)")
    parser.add_argument("--dealer", action="append", dest="dealers", help="only this dealer (repeatable)")
    args = parser.parse_args(argv)
    try:
        result = write_extracts(args.serving_dir, args.out, args.as_of, args.dealers)
    except ExtractError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for dealer_id in result.skipped:
        print(f"skipped {dealer_id}: no data-sharing agreement valid on {args.as_of}")
    key = result.key
    print(f"wrote {len(result.written)} dealer extracts for {args.as_of} into {args.out} from the publication "
          f"{result.source.run_id if result.source else '?'} in {result.seconds:.1f} s"
          + (f" (key {key.fingerprint}{', a dev key' if key.is_dev_key else ''})" if key else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
