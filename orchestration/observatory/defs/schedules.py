"""The nightly refresh: every asset, in one process, at 02:00 UK time."""

from __future__ import annotations

import dagster as dg

nightly_refresh = dg.define_asset_job(
    "nightly_refresh",
    selection=dg.AssetSelection.all(),
    description="Ingest every inbox, build every dbt model and test, publish the snapshot, build the site.",
)

nightly_schedule = dg.ScheduleDefinition(
    name="nightly_refresh_schedule",
    job=nightly_refresh,
    cron_schedule="0 2 * * *",
    execution_timezone="Europe/London",
)
