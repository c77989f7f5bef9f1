"""One ingest asset per data contract: inbox/<source>/ files -> validated, pseudonymised raw.<source>.

The asset key is ["raw", <source>], which the dbt sources (generated from the same contracts) name
in their dagster meta, so lineage runs unbroken from the file to the published table.
"""

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from observatory import config
from observatory.contracts import Contract, load_contracts
from observatory.ingest.load import FileResult, ensure_tables, load_file
from observatory.ingest.readers import ExtractError

SUPPORTED_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx"}


def inbox_files(source: str) -> list[Path]:
    folder = config.paths().inbox_for(source)
    if not folder.exists():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def _summary(results: list[FileResult]) -> dict:
    loaded = [r for r in results if r.status == "loaded"]
    rules: dict[str, int] = {}
    for r in loaded:
        for rule, n in r.rule_counts.items():
            rules[rule] = rules.get(rule, 0) + n
    return {
        "files_loaded": len(loaded),
        "files_unchanged": sum(r.status == "skipped" for r in results),
        "rows_read": sum(r.rows_in for r in loaded),
        "rows_loaded": sum(r.rows_loaded for r in loaded),
        "rows_quarantined": sum(r.rows_quarantined for r in loaded),
        "quarantined_by_rule": rules,
        "unknown_columns": sorted({c for r in loaded for c in r.unknown_columns}),
    }


def build_ingest_asset(contract: Contract) -> dg.AssetsDefinition:
    key = dg.AssetKey(["raw", contract.name])

    @dg.asset(
        key=key,
        group_name="ingest",
        kinds={"python", "duckdb", "pandera"},
        description=f"{contract.title}: files in inbox/{contract.name}/ validated against "
        f"sources/{contract.name}.yml and loaded to {contract.raw_table}.",
        check_specs=[
            dg.AssetCheckSpec("rows_reconcile", asset=key, description="rows in = loaded + quarantined"),
            dg.AssetCheckSpec(
                "no_quarantined_rows", asset=key, description="no row of the new files broke a rule"
            ),
        ],
    )
    def _ingest(context: dg.AssetExecutionContext, duckdb: DuckDBResource):
        dropped = inbox_files(contract.name)
        files = [f for f in dropped if f.suffix.lower() in SUPPORTED_SUFFIXES]
        unsupported = [f for f in dropped if f.suffix.lower() not in SUPPORTED_SUFFIXES]
        demo = config.paths().is_demo
        results: list[FileResult] = []
        problems: list[str] = [
            f"{f.name}: unsupported file type (expected {', '.join(sorted(SUPPORTED_SUFFIXES))})"
            for f in unsupported
        ]
        with duckdb.get_connection() as con:
            # The raw table exists even before a first file arrives, so the models build (empty).
            ensure_tables(con, contract)
            for file in files:
                try:
                    result = load_file(con, contract, file, demo=demo)
                except ExtractError as exc:
                    problems.append(str(exc))
                    context.log.error(str(exc))
                    continue
                results.append(result)
                if result.status == "loaded":
                    context.log.info(
                        f"{file.name}: {result.rows_in} rows read, {result.rows_loaded} loaded, "
                        f"{result.rows_quarantined} quarantined"
                    )
        summary = _summary(results)
        if problems:
            raise dg.Failure(
                description=f"{len(problems)} file(s) in inbox/{contract.name}/ could not be loaded:\n"
                + "\n".join(f"- {p}" for p in problems),
                metadata={
                    "problems": problems,
                    **{k: v for k, v in summary.items() if k != "quarantined_by_rule"},
                },
            )
        reconciled = summary["rows_read"] == summary["rows_loaded"] + summary["rows_quarantined"]
        yield dg.MaterializeResult(
            metadata={
                **summary,
                "quarantined_by_rule": dg.MetadataValue.json(summary["quarantined_by_rule"]),
                "files": dg.MetadataValue.md(
                    "\n".join(f"- {r.file.name}: {r.status}" for r in results) or "(no files)"
                ),
            },
            check_results=[
                dg.AssetCheckResult(
                    check_name="rows_reconcile",
                    passed=reconciled,
                    metadata={k: summary[k] for k in ("rows_read", "rows_loaded", "rows_quarantined")},
                ),
                dg.AssetCheckResult(
                    check_name="no_quarantined_rows",
                    passed=summary["rows_quarantined"] == 0,
                    severity=dg.AssetCheckSeverity.WARN,
                    metadata={"rows_quarantined": summary["rows_quarantined"]},
                    description="See raw.quarantine for the file, row, column, value and rule of each.",
                ),
            ],
        )

    return _ingest


def ingest_assets() -> list[dg.AssetsDefinition]:
    return [build_ingest_asset(c) for c in load_contracts().values()]
