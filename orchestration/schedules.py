"""Jobs, the daily schedule and the sensors.

Automation is off until someone turns it on (README, "Schedule and sensors"): the schedule and both sensors start
STOPPED, so `make dev` opens the UI without starting a build; each is switched on in the UI (Automation) or with
`dagster schedule start` / `dagster sensor start`, and Dagster remembers the choice in DAGSTER_HOME.
"""

from collections.abc import Iterator

from dagster import (
    AssetKey,
    AssetSelection,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    EventLogEntry,
    RunRequest,
    SensorEvaluationContext,
    SkipReason,
    asset_sensor,
    build_schedule_from_partitioned_job,
    define_asset_job,
    in_process_executor,
)

from orchestration.serving import dealer_partitions

# DuckDB allows one writer: the build runs its steps one after another in one process.
warehouse_job = define_asset_job(
    name="warehouse_job",
    description="Land → dbt build (models, seeds, snapshots, dbt tests) → GX audit → publish the serving file.",
    selection=(AssetSelection.all() | AssetSelection.all_asset_checks()) - AssetSelection.assets("dealer_extracts"),
    executor_def=in_process_executor,
)

dealer_extracts_job = define_asset_job(
    name="dealer_extracts_job",
    description="Write one extract per dealer from the published serving file.",
    selection=AssetSelection.assets("dealer_extracts"),
    executor_def=in_process_executor,
)

# 05:00 UTC each day, for the previous day's partition of the incremental facts.
daily_schedule = build_schedule_from_partitioned_job(
    warehouse_job,
    hour_of_day=5,
    minute_of_hour=0,
    name="daily_build",
    default_status=DefaultScheduleStatus.STOPPED,
)


@asset_sensor(
    asset_key=AssetKey("serving_warehouse"),
    job=dealer_extracts_job,
    name="extracts_after_publish",
    default_status=DefaultSensorStatus.STOPPED,
)
def extracts_after_publish(
    context: SensorEvaluationContext, asset_event: EventLogEntry
) -> Iterator[RunRequest | SkipReason]:
    """After each publish, write the extracts of every dealer in one run (a range over the dealer partitions)."""
    dealers = context.instance.get_dynamic_partitions(dealer_partitions.name)
    if not dealers:
        yield SkipReason("no dealers published")
        return
    yield RunRequest(
        run_key=f"extracts-{asset_event.run_id}",
        tags={
            "dagster/asset_partition_range_start": dealers[0],
            "dagster/asset_partition_range_end": dealers[-1],
        },
    )
