"""The scale-out configuration (docs/scaling.md) is valid for the tools that will read it.

Neither runs here (no PostgreSQL in CI), so each is checked by its own tool's parser: dbt-duckdb's
credentials for the `shared` target, Dagster's instance schema for deploy/dagster.yaml. A typo or a
field renamed by an upgrade fails here, not on the day a council moves to a shared warehouse.
"""

from __future__ import annotations

import os
from argparse import Namespace

import pytest
import yaml
from dagster._config import validate_config
from dagster._core.instance.config import dagster_instance_config_schema
from dbt.adapters.factory import load_plugin
from dbt.config.profile import Profile
from dbt.config.renderer import ProfileRenderer
from dbt.exceptions import DbtProfileError
from dbt.flags import set_from_args
from dbt_common.context import set_invocation_context
from observatory import config

PROFILES = config.REPO_ROOT / "dbt_project" / "profiles.yml"
DAGSTER_INSTANCE = config.REPO_ROOT / "deploy" / "dagster.yaml"


def dbt_target(raw: dict, target: str):
    """The target's credentials as dbt renders and validates them (env_var included)."""
    set_from_args(Namespace(), {})
    set_invocation_context(os.environ)
    load_plugin("duckdb")
    profile = Profile.from_raw_profiles(raw, "observatory", ProfileRenderer({}), target_override=target)
    return profile.credentials


def test_the_shared_target_computes_in_duckdb_and_writes_to_the_attached_warehouse(monkeypatch):
    monkeypatch.setenv(
        "OBSERVATORY_SHARED_WAREHOUSE", "postgresql://observatory@db.council.example/warehouse"
    )
    credentials = dbt_target(yaml.safe_load(PROFILES.read_text()), "shared")
    (attached,) = credentials.attach
    assert credentials.database == attached.alias == "shared"  # models land in PostgreSQL
    assert attached.type == "postgres"
    assert attached.path == "postgresql://observatory@db.council.example/warehouse"
    # The statistics functions run in DuckDB, so every model keeps them.
    assert [p.module for p in credentials.plugins] == ["observatory.duckdb_functions"]


def test_dbt_refuses_a_shared_target_whose_database_is_not_the_attached_one():
    raw = yaml.safe_load(PROFILES.read_text())
    raw["observatory"]["outputs"]["shared"]["database"] = "warehouse"
    with pytest.raises(DbtProfileError, match="Inconsistency detected between 'path' and 'database'"):
        dbt_target(raw, "shared")


def test_the_dagster_instance_keeps_its_storage_in_postgres_and_runs_one_refresh_at_a_time():
    instance = yaml.safe_load(DAGSTER_INSTANCE.read_text())
    result = validate_config(dagster_instance_config_schema(), instance)
    assert result.success, [e.message for e in result.errors]
    assert set(instance["storage"]) == {"postgres"}
    assert instance["run_coordinator"]["config"]["max_concurrent_runs"] == 1
    assert instance["telemetry"] == {"enabled": False}


def test_a_misspelt_instance_setting_is_refused():
    instance = yaml.safe_load(DAGSTER_INSTANCE.read_text())
    instance["storage"]["postgres"]["postgres_db"]["host"] = "db.council.example"  # it is `hostname`
    result = validate_config(dagster_instance_config_schema(), instance)
    assert not result.success


@pytest.mark.parametrize("target", ["dev", "shared"])
def test_dbt_caps_duckdbs_memory_as_every_other_connection_does(monkeypatch, tmp_path, target):
    raw = yaml.safe_load(PROFILES.read_text())
    monkeypatch.delenv(config.DUCKDB_MEMORY_ENV, raising=False)
    # By hand (no variable) dbt falls back to the profile's default, which must be config's.
    assert dbt_target(raw, target).settings["memory_limit"] == config.duckdb_memory_limit() == "25%"
    monkeypatch.setenv(config.DUCKDB_MEMORY_ENV, "3GiB")
    assert dbt_target(raw, target).settings["memory_limit"] == "3GiB"
    with config.connect(tmp_path / "w.duckdb") as con:
        assert con.execute("select current_setting('memory_limit')").fetchall() == [("3.0 GiB",)]


@pytest.mark.parametrize("value", ["lots", "3 GiB'; drop table x; --", "-1GB"])
def test_a_memory_cap_duckdb_cannot_read_is_refused_naming_the_setting(monkeypatch, value):
    monkeypatch.setenv(config.DUCKDB_MEMORY_ENV, value)
    with pytest.raises(ValueError, match=r"OBSERVATORY_DUCKDB_MEMORY_LIMIT=.* is not a memory size"):
        config.duckdb_memory_limit()
