"""Per-dealer data extracts: what each dealer's data-sharing agreement says we send it, and nothing else.

For every dealer with an agreement valid on the as-of date, writes
``<out>/<dealer_id>/<as_of_date>/`` holding, as Parquet and CSV, only the datasets the agreement covers
(its scorecard, its lead funnel and leads, its own sell-through, all campaign results), a ``manifest.json``
(files, row counts, SHA-256, as-of date, agreement id and version), a ``data_dictionary.md`` built from
the marts' column descriptions, and ``report.html``, a self-contained page charting those same datasets
(orchestration.dealer_report).

Safety rules, each covered by tests/python/test_extracts.py:
- the warehouse is opened read-only and the dealer id is always a bound query parameter;
- a dealer id is checked against a strict pattern before it names a folder (no '/', '..', spaces, control
  characters): a bad id stops the run before anything is written;
- lead ids leave only as a keyed hash (HMAC-SHA256 with the secret in DEALER_EXTRACT_HMAC_KEY; a missing
  secret is an error unless RW_ENV is 'dev', the default, where a fixed dev key is used with a warning);
- lead contact details leave only for leads that consented, to dealers whose agreement covers contacts;
- a dealer's folder is written in a temporary folder next to it and renamed into place, so a crash leaves the
  old extract or the new one, never half of one.

    python -m orchestration.extracts --as-of 2026-12-31 [--warehouse PATH] [--out DIR] [--dealer ID ...]
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import datetime as dt
import hashlib
import hmac
import json
import os
import re
import shutil
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import yaml

from orchestration import dealer_report

REPO = Path(__file__).resolve().parents[1]
DEALER_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
DEV_HMAC_KEY = "relationship-warehouse-dev-only-extract-key"
HMAC_KEY_ENV = "DEALER_EXTRACT_HMAC_KEY"
ENV_NAME_ENV = "RW_ENV"
TMP_PREFIX = ".tmp-"
OLD_PREFIX = ".old-"
CONTACT_COLUMNS = ("contact_name", "contact_email", "contact_phone")


class ExtractError(Exception):
    """A dealer extract cannot be written safely (bad id, missing secret, missing warehouse)."""


@dataclass(frozen=True)
class Dataset:
    """One file pair of an extract: which agreement flag allows it, and the query that reads it."""

    name: str
    agreement_flag: str
    source_model: str
    sql: str
    per_dealer: bool = True
    extra_columns: dict[str, str] = field(default_factory=dict)


# Every per-dealer query filters on `dealer_id = $dealer_id` (a bound parameter) and on the as-of date.
DATASETS: tuple[Dataset, ...] = (
    Dataset(
        name="scorecard",
        agreement_flag="receives_scorecard",
        source_model="rpt_dealer_scorecard",
        sql="""
            select dealer_id, period_month, metric_name, is_higher_better, peer_group_type, peer_group_value,
                   metric_value,
                   metric_weight, peer_dealer_count, is_benchmark_published, suppression_reason,
                   peer_weighted_mean, peer_percentile, percentile_band
            from marts.rpt_dealer_scorecard
            where dealer_id = $dealer_id and period_month <= $as_of
            order by period_month, metric_name, peer_group_type
        """,
    ),
    Dataset(
        name="lead_funnel",
        agreement_flag="receives_lead_funnel",
        source_model="rpt_lead_funnel",
        sql="""
            select *
            from marts.rpt_lead_funnel
            where dealer_id = $dealer_id and assigned_month <= $as_of
            order by assigned_month, region, lead_source
        """,
    ),
    Dataset(
        name="leads",
        agreement_flag="receives_lead_funnel",
        source_model="fct_leads",
        sql="""
            select lead_id, dealer_id, assignment_number, is_bounced, is_received_from_other_dealer,
                   is_passed_to_other_dealer, lead_source, campaign_id, country_code, region, created_at,
                   assigned_at, assigned_month, accepted_at, declined_at, first_contact_at, closed_at, lead_stage,
                   response_hours, first_contact_hours, is_won, is_lost, won_currency_code, won_amount,
                   won_amount_reporting, has_contact_consent,
                   case when $contacts_allowed and has_contact_consent then contact_name end as contact_name,
                   case when $contacts_allowed and has_contact_consent then contact_email end as contact_email,
                   case when $contacts_allowed and has_contact_consent then contact_phone end as contact_phone
            from marts.fct_leads
            where dealer_id = $dealer_id and assigned_month <= $as_of
            order by assigned_at, lead_id
        """,
        extra_columns={
            "lead_key": "The lead under a keyed hash (HMAC-SHA256 of the lead id with our extract secret); stable "
            "across extracts, so it joins this file to later ones, but it cannot be reversed to the lead id.",
        },
    ),
    Dataset(
        name="sell_through",
        agreement_flag="shares_sell_through",
        source_model="rpt_dealer_sell_through",
        sql="""
            select *
            from marts.rpt_dealer_sell_through
            where dealer_id = $dealer_id and period_month <= $as_of
            order by period_month, product_category
        """,
    ),
    Dataset(
        name="campaign_results",
        agreement_flag="receives_campaign_results",
        source_model="rpt_campaign_results",
        sql="""
            select *
            from marts.rpt_campaign_results
            where window_start_date <= $as_of
            order by campaign_id
        """,
        per_dealer=False,
    ),
)

AGREEMENT_FLAGS = ("shares_sell_through", "receives_scorecard", "receives_lead_funnel", "receives_lead_contacts",
                   "receives_campaign_results")


@dataclass(frozen=True)
class Agreement:
    """The agreement version a dealer has on the as-of date."""

    dealer_id: str
    agreement_id: str
    agreement_version: int
    flags: dict[str, bool]


@dataclass
class ExtractResult:
    """What one run wrote."""

    as_of: dt.date
    written: dict[str, Path]
    skipped: list[str]
    seconds: float


def validate_dealer_id(dealer_id: object) -> str:
    """Return `dealer_id` if it is safe to use as a folder name; raise ExtractError otherwise."""
    if not isinstance(dealer_id, str) or not DEALER_ID_PATTERN.fullmatch(dealer_id):
        raise ExtractError(
            f"invalid dealer id {dealer_id!r}: a dealer id must be 1-64 letters, digits, '_' or '-' starting with "
            "a letter or digit (no '/', '..', spaces or control characters); nothing was written"
        )
    return dealer_id


def resolve_hmac_key(environ: dict[str, str] | None = None, warn: Callable[[str], None] | None = None) -> bytes:
    """The HMAC secret from DEALER_EXTRACT_HMAC_KEY; outside RW_ENV=dev (the default) a missing one is an error."""
    env = os.environ if environ is None else environ
    key = env.get(HMAC_KEY_ENV, "")
    if key:
        return key.encode()
    env_name = env.get(ENV_NAME_ENV, "dev") or "dev"
    if env_name != "dev":
        raise ExtractError(
            f"{HMAC_KEY_ENV} is not set and {ENV_NAME_ENV}={env_name!r}: dealer extracts need the HMAC secret "
            "outside the dev environment; nothing was written"
        )
    (warn or _warn)(f"warning: {HMAC_KEY_ENV} is not set; using the fixed dev key ({ENV_NAME_ENV}=dev). "
                    "Never ship extracts made with it.")
    return DEV_HMAC_KEY.encode()


def pseudonymise(key: bytes, kind: str, value: str | None) -> str | None:
    """Keyed hash of an identifier (hex HMAC-SHA256 of '<kind>:<value>'); None stays None."""
    if value is None:
        return None
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def column_descriptions(models_dir: Path = REPO / "models" / "marts") -> dict[str, dict[str, str]]:
    """Model name -> column name -> description, read from the marts' models YAML."""
    out: dict[str, dict[str, str]] = {}
    for path in sorted(models_dir.rglob("_*__models.yml")):
        doc = yaml.safe_load(path.read_text()) or {}
        for model in doc.get("models", []) or []:
            cols = {c["name"]: " ".join(str(c.get("description", "")).split()) for c in model.get("columns", [])}
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
    """Each dealer's highest agreement version valid on `as_of` (dealers without one are left out)."""
    rows = con.execute(
        f"""
        select agreement_id, dealer_id, agreement_version, {", ".join(AGREEMENT_FLAGS)}
        from marts.dim_dealer_agreements
        where valid_from <= $as_of and (valid_to is null or valid_to >= $as_of)
        qualify row_number() over (partition by dealer_id order by agreement_version desc, agreement_id desc) = 1
        order by dealer_id
        """,
        {"as_of": as_of},
    ).fetchall()
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
    """Writes one dealer's folder; `fail_after` lets tests crash it part-way."""

    def __init__(self, key: bytes, descriptions: dict[str, dict[str, str]]) -> None:
        self.key = key
        self.descriptions = descriptions

    def dataset_table(self, con: duckdb.DuckDBPyConnection, dataset: Dataset, agreement: Agreement,
                      as_of: dt.date, shared: dict[str, pa.Table]) -> pa.Table:
        if not dataset.per_dealer:
            if dataset.name not in shared:
                shared[dataset.name] = con.sql(dataset.sql, params={"as_of": as_of}).to_arrow_table()
            return shared[dataset.name]
        params: dict[str, Any] = {"dealer_id": agreement.dealer_id, "as_of": as_of}
        if "$contacts_allowed" in dataset.sql:
            params["contacts_allowed"] = agreement.flags["receives_lead_contacts"]
        table = con.sql(dataset.sql, params=params).to_arrow_table()
        if "lead_id" in table.column_names:
            table = _hash_leads(table, self.key)
        return table

    def write(self, con: duckdb.DuckDBPyConnection, agreement: Agreement, as_of: dt.date, dealer_dir: Path,
              shared: dict[str, pa.Table], after_file: Callable[[Path], None] | None = None) -> Path:
        dealer_dir.mkdir(parents=True, exist_ok=True)
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
        described = self.descriptions.get(dataset.source_model, {})
        lines = [f"## {dataset.name} (`{dataset.name}.parquet`, `{dataset.name}.csv`)", "",
                 f"From the mart `{dataset.source_model}`.", "", "| column | type | description |",
                 "| --- | --- | --- |"]
        for name, col_type in zip(table.column_names, table.schema.types, strict=True):
            text = dataset.extra_columns.get(name) or described.get(name, "")
            if name in CONTACT_COLUMNS:
                text += " Given only for leads that consented, when the agreement covers lead contacts."
            lines.append(f"| {name} | {col_type} | {text.replace('|', '/')} |")
        guide = scorecard_metric_guide() if dataset.name == "scorecard" else []
        return [*lines, "", *guide]


def write_extracts(warehouse: Path, out_dir: Path, as_of: dt.date, dealer_ids: Iterable[str] | None = None,
                   environ: dict[str, str] | None = None,
                   after_file: Callable[[Path], None] | None = None) -> ExtractResult:
    """Write the extract of every dealer with an agreement valid on `as_of` (or of the listed dealers)."""
    started = time.perf_counter()
    requested = [validate_dealer_id(d) for d in dealer_ids] if dealer_ids is not None else None
    key = resolve_hmac_key(environ)
    if not warehouse.exists():
        raise ExtractError(f"warehouse {warehouse} does not exist; build it first")
    writer = _Writer(key, column_descriptions())
    written: dict[str, Path] = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
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
        for dealer_id in chosen:
            dealer_dir = out_dir / dealer_id
            if dealer_dir.resolve().parent != out_dir.resolve():
                raise ExtractError(f"dealer folder {dealer_dir} escapes {out_dir}; nothing more written")
            written[dealer_id] = writer.write(con, by_dealer[dealer_id], as_of, dealer_dir, shared, after_file)
    return ExtractResult(as_of=as_of, written=written, skipped=skipped, seconds=time.perf_counter() - started)


def main(argv: list[str] | None = None) -> int:
    """Command line: write the dealer extracts for an as-of date."""
    parser = argparse.ArgumentParser(prog="python -m orchestration.extracts", description=__doc__.split("\n")[0])
    parser.add_argument("--as-of", required=True, type=dt.date.fromisoformat, help="as-of date, YYYY-MM-DD")
    parser.add_argument("--warehouse", type=Path,
                        default=Path(os.environ.get("WAREHOUSE_PATH", REPO / "data" / "warehouse.duckdb")))
    parser.add_argument("--out", type=Path, default=REPO / "data" / "exports" / "dealers")
    parser.add_argument("--dealer", action="append", dest="dealers", help="only this dealer (repeatable)")
    args = parser.parse_args(argv)
    try:
        result = write_extracts(args.warehouse, args.out, args.as_of, args.dealers)
    except ExtractError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for dealer_id in result.skipped:
        print(f"skipped {dealer_id}: no data-sharing agreement valid on {args.as_of}")
    print(f"wrote {len(result.written)} dealer extracts for {args.as_of} into {args.out} "
          f"in {result.seconds:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
