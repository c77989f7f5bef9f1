"""The Observatory's Dagster code location: ingest -> dbt -> publish -> site, refreshed nightly."""

from __future__ import annotations

import dagster as dg

from observatory.defs.dbt import observatory_dbt_assets
from observatory.defs.ingest import freshness_checks, ingest_assets
from observatory.defs.publish import board_pack, board_site, published_exports, published_snapshot
from observatory.defs.resources import build_resources, dbt_project
from observatory.defs.schedules import nightly_refresh, nightly_schedule
from observatory.defs.sensors import inbox_sensor, run_failure_report, run_success_report

dbt_project.prepare_if_dev()


def build_defs(loggers: dict[str, dg.LoggerDefinition] | None = None) -> dg.Definitions:
    """Definitions bound to the data directory in the environment now (tests use many)."""
    return dg.Definitions(
        assets=[
            *ingest_assets(),
            observatory_dbt_assets,
            published_snapshot,
            board_site,
            board_pack,
            published_exports,
        ],
        asset_checks=freshness_checks(),
        jobs=[nightly_refresh],
        schedules=[nightly_schedule],
        sensors=[inbox_sensor, run_failure_report, run_success_report],
        resources=build_resources(),
        loggers=loggers,
        # In-process: half the wall time of multiprocess on two cores, and one DuckDB writer at a time.
        executor=dg.in_process_executor,
    )


defs = build_defs()
