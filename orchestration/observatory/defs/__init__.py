"""Dagster definitions, one module per capability: ingest, dbt, publish, schedules."""
