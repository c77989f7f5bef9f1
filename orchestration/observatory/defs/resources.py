"""Resources shared by every asset: the warehouse (DuckDB) and dbt, both on the one data directory."""

from __future__ import annotations

import sys
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject
from dagster_duckdb import DuckDBResource

from observatory import config

DBT_TARGET_ENV = "OBSERVATORY_DBT_TARGET"

dbt_project = DbtProject(
    project_dir=config.DBT_PROJECT_DIR,
    profiles_dir=config.DBT_PROJECT_DIR,
)


def dbt_executable() -> str:
    """The venv's dbt, so runs work whether or not the venv is activated."""
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def build_resources() -> dict:
    paths = config.export_environment()
    return {
        "duckdb": DuckDBResource(database=str(paths.warehouse)),
        "dbt": DbtCliResource(
            project_dir=dbt_project,
            dbt_executable=dbt_executable(),
        ),
    }
