"""`serving_warehouse` (publish the audited marts) and `dealer_extracts` (one partition per dealer) assets."""

import datetime as dt
from pathlib import Path

import duckdb
from dagster import (
    AssetExecutionContext,
    AssetKey,
    BackfillPolicy,
    Config,
    DynamicPartitionsDefinition,
    Failure,
    MaterializeResult,
    MetadataValue,
    RetryRequested,
    asset,
)

from orchestration import extracts, landing, publish, settings
from orchestration.dbt_assets import (
    MAX_TRANSIENT_RETRIES,
    is_transient,
    load_manifest,
    mart_nodes,
    pii_columns,
    semantic_layer_nodes,
)

dealer_partitions = DynamicPartitionsDefinition(name="dealers")
_MARTS = mart_nodes(load_manifest())
_SEMANTIC_LAYER = semantic_layer_nodes(load_manifest())


class PublishConfig(Config):
    """Serving files other than the current one are deleted once this many seconds old (grace for readers)."""

    grace_seconds: int = publish.DEFAULT_GRACE_SECONDS


def marts_to_publish() -> list[publish.MartToPublish]:
    """Every mart from the manifest, with its `pii` columns (dropped on publish), the semantic layer's calendar
    (models/semantic/, schema `semantic`), which metrics read, and the datasets dealer extracts read
    (models/exports/, schema `exports`)."""
    return [
        publish.MartToPublish(node["name"], node.get("schema") or "marts", frozenset(pii_columns(node)))
        for node in [*_MARTS, *_SEMANTIC_LAYER, *extracts.export_nodes(load_manifest())]
    ]


def dealers_in(serving_file: Path) -> list[str]:
    """Dealer ids present in a serving file (dim_dealers when published, else any mart with dealer_id)."""
    with duckdb.connect(str(serving_file), read_only=True) as con:
        tables = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.columns "
                "where table_schema = 'marts' and column_name = 'dealer_id' order by table_name"
            ).fetchall()
        ]
        if not tables:
            return []
        source = "dim_dealers" if "dim_dealers" in tables else tables[0]
        rows = con.execute(f'select distinct dealer_id from marts."{source}" where dealer_id is not null order by 1')
        return [str(dealer_id) for (dealer_id,) in rows.fetchall()]


@asset(
    key=AssetKey("serving_warehouse"),
    deps=[AssetKey("warehouse_built")],
    group_name="serving",
    kinds={"duckdb"},
    description="The audited marts, with their table and column comments, copied into "
    "data/serving/<run id>/current.duckdb (storage format SERVING_STORAGE_VERSION, default v1.4.0, so DuckDB 1.4+ "
    "clients open it); current.duckdb repointed atomically. PII columns are dropped. Runs only after every dbt test "
    "and GX suite on the marts passed.",
)
def serving_warehouse(context: AssetExecutionContext, config: PublishConfig) -> MaterializeResult:
    try:
        domains = landing.active_domains(landing.recorded_table_rows())
        # the consented lead contacts dealer extracts may carry, taken before current.duckdb moves
        extracts.snapshot_lead_contacts(settings.warehouse_path(), settings.serving_dir(), context.run_id)
        publication = publish.publish(
            settings.warehouse_path(),
            settings.serving_dir(),
            context.run_id,
            marts_to_publish(),
            config.grace_seconds,
            domains,
            settings.serving_storage_version(),
        )
        extracts.prune_lead_contacts(settings.serving_dir())
    except duckdb.IOException as error:
        if is_transient(str(error)):
            raise RetryRequested(max_retries=MAX_TRANSIENT_RETRIES, seconds_to_wait=5) from error
        raise
    except LookupError as error:
        raise Failure(str(error), allow_retries=False) from error
    dealers = dealers_in(publication.path)
    known = set(context.instance.get_dynamic_partitions(dealer_partitions.name))
    new = [dealer for dealer in dealers if dealer not in known]
    if new:
        context.instance.add_dynamic_partitions(dealer_partitions.name, new)
    return MaterializeResult(
        metadata={
            "serving_file": MetadataValue.path(str(publication.path)),
            "current": MetadataValue.path(str(settings.serving_current())),
            "publish_seconds": round(publication.seconds, 2),
            "storage_version": publication.storage_version,
            "row_counts": publication.row_counts,
            "pii_columns_dropped": {k: v for k, v in publication.dropped_pii_columns.items() if v},
            "pruned_files": [path.name for path in publication.pruned],
            "dealers": len(dealers),
            "active_domains": ", ".join(name for name, active in domains.items() if active),
            "empty_domains": ", ".join(name for name, active in domains.items() if not active) or "none",
        }
    )


# ------------------------------------------------------------------------------------------ dealer extracts


class ExtractsConfig(Config):
    """`as_of` (YYYY-MM-DD): agreements valid on this day decide what each dealer receives; empty: today (UTC)."""

    as_of: str = ""


@asset(
    key=AssetKey("dealer_extracts"),
    deps=[AssetKey("serving_warehouse")],
    partitions_def=dealer_partitions,
    backfill_policy=BackfillPolicy.single_run(),
    group_name="serving",
    kinds={"parquet", "csv"},
    description="Per dealer, what its data-sharing agreement covers (orchestration.extracts.write_extracts), "
    "under data/exports/dealers/<dealer_id>/<as_of>/. Read from what was published: the serving file "
    "current.duckdb points at, and the lead-contact snapshot taken at the same publish (consented contacts, for "
    "dealers whose agreement covers them); never from the build warehouse.",
)
def dealer_extracts(context: AssetExecutionContext, config: ExtractsConfig) -> MaterializeResult:
    as_of = dt.date.fromisoformat(config.as_of) if config.as_of else dt.datetime.now(dt.UTC).date()
    try:
        result = extracts.write_extracts(
            settings.serving_dir(), settings.exports_dir(), as_of, dealer_ids=list(context.partition_keys)
        )
    except extracts.ExtractError as error:
        raise Failure(str(error), allow_retries=False) from error
    except duckdb.IOException as error:
        if is_transient(str(error)):
            raise RetryRequested(max_retries=MAX_TRANSIENT_RETRIES, seconds_to_wait=5) from error
        raise
    return MaterializeResult(
        metadata={
            "as_of": as_of.isoformat(),
            "dealers_written": len(result.written),
            "dealers_without_valid_agreement": len(result.skipped),
            "exports": MetadataValue.path(str(settings.exports_dir())),
            "published_run": result.source.run_id if result.source else "",
            "hmac_key_fingerprint": result.key.fingerprint if result.key else "",
            "is_dev_key": bool(result.key and result.key.is_dev_key),
            "seconds": round(result.seconds, 2),
        }
    )
