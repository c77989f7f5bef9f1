"""Publish the snapshot, then build the board site and the CSV/XLSX exports from it, after every
successful dbt build."""

from datetime import UTC, datetime

import dagster as dg
from dagster_duckdb import DuckDBResource

from observatory import config
from observatory.defs.dbt import published_model_keys
from observatory.defs.resources import dbt_project
from observatory.disclosure_audit import audit_snapshot
from observatory.publish import publish_snapshot, table_sources

SNAPSHOT_KEY = dg.AssetKey(["published", "snapshot"])
DISCLOSURE_AUDIT = "disclosure_audit"


def _built_at(instance: dg.DagsterInstance, keys: list[dg.AssetKey]) -> dict[str, datetime | None]:
    """When each published model was last materialised (dbt built it), UTC (SOURCE_DATE_EPOCH's when set)."""
    built = {}
    for key in keys:
        event = instance.get_latest_materialization_event(key)
        if event is None:
            built[key.path[-1]] = None
            continue
        when = datetime.fromtimestamp(event.timestamp, UTC).replace(tzinfo=None, microsecond=0)
        built[key.path[-1]] = config.pinned_now() or when
    return built


@dg.asset(
    key=SNAPSHOT_KEY,
    deps=published_model_keys(),
    group_name="publish",
    kinds={"duckdb"},
    description="publish.* tables copied into data/published/observatory.duckdb (atomic swap, "
    "DuckDB v1.4 storage) with a manifest. The only thing readers open. The disclosure audit attacks "
    "the new snapshot before the swap: a leak fails the publish and the previous snapshot stays live.",
    check_specs=[
        dg.AssetCheckSpec(
            DISCLOSURE_AUDIT,
            asset=SNAPSHOT_KEY,
            blocking=True,
            description="Differencing attack on the published tables (rows, columns, ethnicity levels, "
            "linked breakdowns): no count from 1 to k-1 can be recovered (methods reference §7).",
        )
    ],
)
def published_snapshot(context: dg.AssetExecutionContext, duckdb: DuckDBResource) -> dg.MaterializeResult:
    keys = published_model_keys()
    tables = [k.path[-1] for k in keys]
    sources = table_sources(dbt_project.manifest_path)
    built_at = _built_at(context.instance, keys)
    with duckdb.get_connection() as con:
        reports = []

        def audit(snapshot):
            report = audit_snapshot(snapshot, con, memo=config.paths().audit_memo)
            reports.append(report)
            if not report.passed:
                raise dg.Failure(
                    description=report.summary(),
                    metadata={"leaks": len(report.leaks), "first_leak": str(report.leaks[0])},
                )

        result = publish_snapshot(con, tables, sources=sources, built_at=built_at, audit=audit)
    report = reports[0]
    context.log.info(report.summary())
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(config.paths().snapshot)),
            "tables": dg.MetadataValue.json(result.tables),
            "source_periods": result.source_periods,
            "code_version": result.code_version,
        },
        check_results=[
            dg.AssetCheckResult(
                check_name=DISCLOSURE_AUDIT,
                passed=report.passed,
                description=report.summary(),
                metadata={
                    "threshold_k": report.k,
                    "cells_attacked": dg.MetadataValue.json(report.tables),
                    "cells_suppressed": dg.MetadataValue.json(report.suppressed),
                    "cells_unchanged_since_passed": dg.MetadataValue.json(report.reused),
                    "leaks": len(report.leaks),
                },
            )
        ],
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
    build = build_site(
        paths.snapshot,
        paths.site,
        demo=paths.is_demo,
        previous=paths.previous_snapshot,
        exports=paths.exports,  # downloads take the exports' XLSX files when they are of this snapshot
    )
    return dg.MaterializeResult(
        metadata={
            "site": dg.MetadataValue.path(str(paths.site)),
            "build": dg.MetadataValue.path(str(build)),
            "pages": len(list(build.glob("*.html"))),
        }
    )


@dg.asset(
    key=dg.AssetKey(["published", "board_pack"]),
    deps=[dg.AssetKey(["published", "board_site"])],
    group_name="publish",
    kinds={"pdf", "html"},
    description="The board pack: both scorecards and the action-plan summary, dated, with the data's "
    "periods and caveats, as printable HTML (board-pack.html, part of the site) and an A4 PDF "
    "(board-pack.pdf) printed beside it by headless Chromium. Without Chromium only the HTML is "
    "there and the run log says how to get the PDF (`make chromium`).",
)
def board_pack(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    from observatory.site.boardpack import board_pack_for

    paths = config.paths()
    result = board_pack_for(paths.snapshot, paths.site, demo=paths.is_demo)
    if result.pdf is None:
        context.log.warning(result.message)
    metadata = {"html": dg.MetadataValue.path(str(paths.site / result.html.name))}
    if result.pdf is not None:
        metadata["pdf"] = dg.MetadataValue.path(str(paths.site / result.pdf.name))
        metadata["pages"] = result.pages
    else:
        metadata["pdf"] = dg.MetadataValue.text(result.message)
    return dg.MaterializeResult(metadata=metadata)


@dg.asset(
    key=dg.AssetKey(["published", "exports"]),
    deps=[SNAPSHOT_KEY],
    group_name="publish",
    kinds={"csv", "excel"},
    description="Every published table (and the manifest) as CSV (UTF-8 with BOM) and XLSX in "
    "data/published/exports/, with a README of the GSS symbols; formula-like text neutralised; "
    "built from the published snapshot only and swapped in atomically.",
    # Run before the board site (both follow the snapshot; no dependency, so neither blocks the other):
    # the site's downloads then take these XLSX files instead of writing them again.
    op_tags={"dagster/priority": "1"},
)
def published_exports() -> dg.MaterializeResult:
    from observatory.exports import export_snapshot

    paths = config.paths()
    result = export_snapshot(paths.snapshot, paths.exports, demo=paths.is_demo)
    return dg.MaterializeResult(
        metadata={
            "exports": dg.MetadataValue.path(str(paths.exports)),
            "build": dg.MetadataValue.path(str(result.directory)),
            "rows": dg.MetadataValue.json(result.tables),
            "seconds": dg.MetadataValue.json(result.seconds),
        }
    )
