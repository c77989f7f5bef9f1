"""Publish the snapshot and build the board site from it, after every successful dbt build."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from observatory import config
from observatory.defs.dbt import published_model_keys
from observatory.publish import publish_snapshot

SNAPSHOT_KEY = dg.AssetKey(["published", "snapshot"])


@dg.asset(
    key=SNAPSHOT_KEY,
    deps=published_model_keys(),
    group_name="publish",
    kinds={"duckdb"},
    description="publish.* tables copied into data/published/observatory.duckdb (atomic swap, "
    "DuckDB v1.4 storage) with a manifest. The only thing readers open.",
)
def published_snapshot(duckdb: DuckDBResource) -> dg.MaterializeResult:
    tables = [k.path[-1] for k in published_model_keys()]
    with duckdb.get_connection() as con:
        result = publish_snapshot(con, tables)
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(config.paths().snapshot)),
            "tables": dg.MetadataValue.json(result.tables),
            "source_periods": result.source_periods,
            "code_version": result.code_version,
        }
    )


@dg.asset(
    key=dg.AssetKey(["published", "board_site"]),
    deps=[SNAPSHOT_KEY],
    group_name="publish",
    kinds={"html"},
    description="The static board site, built from the published snapshot only.",
)
def board_site() -> dg.MaterializeResult:
    from observatory.site import build_site

    paths = config.paths()
    build = build_site(paths.snapshot, paths.site, demo=paths.is_demo)
    return dg.MaterializeResult(
        metadata={
            "site": dg.MetadataValue.path(str(paths.site)),
            "build": dg.MetadataValue.path(str(build)),
            "pages": len(list(build.glob("*.html"))),
        }
    )
