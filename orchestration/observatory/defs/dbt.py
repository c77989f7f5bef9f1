"""Every dbt model and seed as a Dagster asset; dbt tests appear as asset checks.

Asset keys mirror the warehouse: [schema, model], e.g. ["publish", "pay_gap"], so the name a board
member sees on the site is the name in the Dagster UI and in the warehouse.
"""

import json
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from observatory import config, crashpoints
from observatory.defs.resources import dbt_project

DBT_CRASH_AFTER_EVENTS = 20  # the crash-safety tests kill dbt here: some models built, most not


class ObservatoryTranslator(DagsterDbtTranslator):
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] in ("model", "seed", "snapshot"):
            return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        return dbt_resource_props["fqn"][1] if len(dbt_resource_props["fqn"]) > 2 else "dbt"


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    # Source tests (generated from the contracts) show as checks on the ingest assets.
    dagster_dbt_translator=ObservatoryTranslator(
        settings=DagsterDbtTranslatorSettings(enable_source_tests_as_checks=True)
    ),
)
def observatory_dbt_assets(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    # One dbt invocation for the whole selection: dbt start-up costs seconds, models milliseconds.
    for n, event in enumerate(dbt.cli(["build", *pinned_date_vars()], context=context).stream()):
        yield event
        if n == DBT_CRASH_AFTER_EVENTS:
            crashpoints.reached("dbt.build")


def pinned_date_vars() -> list[str]:
    """With SOURCE_DATE_EPOCH set, "today" in the models (data quality's as-at date) is its date too."""
    pinned = config.pinned_now()
    return ["--vars", json.dumps({"data_quality_as_at": pinned.date().isoformat()})] if pinned else []


def published_model_keys() -> list[dg.AssetKey]:
    """The dbt models in the publish schema: what the snapshot carries."""
    return sorted(
        (k for k in observatory_dbt_assets.keys if k.path[0] == "publish"),
        key=lambda k: k.to_user_string(),
    )
