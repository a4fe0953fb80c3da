"""The Dagster code location: assembles the assets, checks, jobs, schedule and sensors (no logic here)."""

from __future__ import annotations

from dagster import Definitions, colored_console_logger

from orchestration import audit, dbt_assets, freshness, progress, raw, schedules, serving

defs = Definitions(
    assets=[
        raw.raw_landing,
        dbt_assets.warehouse_incremental_models,
        dbt_assets.warehouse_dbt_models,
        audit.warehouse_built,
        serving.serving_warehouse,
        serving.dealer_extracts,
    ],
    asset_checks=[audit.gx_mart_suites, freshness.source_freshness],
    jobs=[schedules.warehouse_job, schedules.dealer_extracts_job],
    schedules=[schedules.daily_schedule],
    sensors=[raw.raw_files_sensor, schedules.extracts_after_publish],
    resources={"dbt": dbt_assets.dbt_resource()},
    # Dagster's default console logger, and the stage lines `python -m orchestration.run` attaches by run config.
    loggers={"console": colored_console_logger, "progress": progress.progress_logger},
)
