"""Resources shared by every asset: the warehouse (DuckDB) and dbt, both on the one data directory."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster_dbt import DbtCliResource, DbtProject
from dagster_duckdb import DuckDBResource

from observatory import config

DBT_TARGET_ENV = "OBSERVATORY_DBT_TARGET"

dbt_project = DbtProject(
    project_dir=config.DBT_PROJECT_DIR,
    profiles_dir=config.DBT_PROJECT_DIR,
)


class WarehouseResource(DuckDBResource):
    """dagster-duckdb's DuckDBResource, closing its connection however the block ends: its own
    `get_connection` closes only when the block ends normally, so a step that failed (a missing
    key) left the warehouse open in the process until garbage collection, and the next read-only
    connection to it failed ("different configuration")."""

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with super().get_connection() as con:
            config.limit_memory(con)
            try:
                yield con
            finally:
                con.close()


def dbt_executable() -> str:
    """The venv's dbt, so runs work whether or not the venv is activated."""
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def build_resources() -> dict:
    paths = config.export_environment()
    return {
        "duckdb": WarehouseResource(database=str(paths.warehouse)),
        "dbt": DbtCliResource(
            project_dir=dbt_project,
            dbt_executable=dbt_executable(),
        ),
    }
