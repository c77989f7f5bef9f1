"""One ingest asset per data contract: inbox/<source>/ files -> validated, pseudonymised raw.<source>.

The asset key is ["raw", <source>], which the dbt sources (generated from the same contracts) name
in their dagster meta, so lineage runs unbroken from the file to the published table.
"""

import re
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from observatory import config
from observatory.contracts import Contract, load_contracts
from observatory.ingest.load import FileResult, ensure_tables, load_files
from observatory.ingest.pseudonymise import MissingKeyError
from observatory.ingest.readers import ExtractError
from observatory.migrations import UpgradeError

SUPPORTED_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx"}
FRESHNESS_CHECK = "extract_fresh"
DATA_QUALITY_KEY = dg.AssetKey(["publish", "data_quality"])
LAST_GOOD = "The last good publication stays live until a refresh succeeds."


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
        # Where the time went (read, protect, validate, load; checksums of unchanged files too): `make bench`.
        **{
            f"seconds_{step}": round(sum(r.seconds.get(step, 0.0) for r in results), 3)
            for step in ("checksum", "read", "protect", "validate", "load")
        },
    }


def _inbox_path(contract: Contract, file: Path) -> str:
    return f"inbox/{contract.name}/{file.name}"


def _problem(
    contract: Contract, file: Path, problem: str, action: str, *, expected: str = "", where: str = ""
) -> dict:
    """One file's problem as the failure's metadata carries it (and the run report reads it)."""
    text = f"{file.name}: {problem}" + (f" (expected: {expected})" if expected else "")
    return {
        "file": _inbox_path(contract, file),
        "problem": text,
        "where": where or file.name,
        "action": action,
    }


def _extract_problem(contract: Contract, file: Path, exc: ExtractError) -> dict:
    """Where in the file (row, columns) when the reader said, and what to do about this kind of problem."""
    name, source = file.name, contract.name
    check = f"`observatory check --source {source} {_inbox_path(contract, file)}`"
    where = [name]
    if m := re.search(r"header was row (\d+)", exc.problem):
        where.append(f"header row {m.group(1)}")
    if m := re.search(r"near line (\d+)", exc.problem):
        where.append(f"row {m.group(1)}")
    if m := re.search(r"required column\(s\) missing: ([^;]+)", exc.problem):
        where.append(f"missing column(s) {m.group(1)}")
        fix = (
            f"Export {name} again with the column(s) {m.group(1)}, headed as docs/sources/{source}.md "
            "names them (any alias listed there is accepted)"
        )
    elif "no default authority" in exc.problem:
        fix = f"Set {config.AUTHORITY_ENV} to the council's ONS code, or add an authority column to {name}"
    elif "break the contract's rules" in exc.problem:
        fix = (
            f"Run {check}: it lists every row that breaks a rule, with its column, value and rule. "
            "Correct them in the source system and export the file again"
        )
    elif "unreadable" in exc.problem or "not a readable" in exc.problem or "empty" in exc.problem:
        fix = f"Export {name} again from the source system (as CSV or XLSX): this copy cannot be read"
    else:
        fix = f"Fix {name} (docs/sources/{source}.md describes the extract; {check} shows every problem)"
    action = (
        f"{fix}; put the corrected file in inbox/{source}/ in place of this one and run the refresh again. "
        f"To publish the other sources meanwhile, move {name} out of inbox/{source}/."
    )
    return _problem(contract, file, exc.problem, action, expected=exc.expected, where="; ".join(where))


def _unexpected_problem(contract: Contract, file: Path, exc: Exception) -> dict:
    action = (
        f"{file.name} broke the loader in a way the contract's checks did not foresee. Move it out of "
        f"inbox/{contract.name}/ to publish the rest, and report the run id and this error to whoever "
        "maintains the Observatory."
    )
    return _problem(contract, file, f"{type(exc).__name__}: {exc}", action)


def _action_text(problems: list[dict]) -> str:
    return " ".join(dict.fromkeys(p["action"] for p in problems))


def _files_failure(contract: Contract, problems: list[dict], summary: dict) -> dg.Failure:
    files = list(dict.fromkeys(p["file"] for p in problems))
    action = _action_text(problems)
    return dg.Failure(
        description=f"{len(files)} file(s) in inbox/{contract.name}/ could not be loaded:\n"
        + "\n".join(f"- {p['problem']}" for p in problems)
        + f"\n\nWhat to do: {action}\n\n{LAST_GOOD}",
        metadata={
            "source": contract.name,
            "files": dg.MetadataValue.json(files),
            "file": dg.MetadataValue.path(str(config.paths().data_dir / files[0])),
            "problems": dg.MetadataValue.json(problems),
            "action": dg.MetadataValue.text(action),
            **{k: v for k, v in summary.items() if k not in ("quarantined_by_rule", "unknown_columns")},
        },
    )


def _missing_key_failure(contract: Contract, file: Path, exc: MissingKeyError) -> dg.Failure:
    action = (
        f"Set {config.KEY_ENV} to the council's secret pseudonymisation key (from its secrets manager; "
        "always the same key, or records stop linking from one night to the next) in the environment of "
        "`observatory refresh` or of the Dagster daemon, then run the refresh again."
    )
    problem = _problem(contract, file, str(exc), action, where=f"{file.name} (not loaded)")
    return dg.Failure(
        description=f"{config.KEY_ENV} is not set, so person identifiers cannot be pseudonymised: "
        f"nothing new in inbox/{contract.name}/ was loaded (first file: {file.name}).\n\n"
        f"What to do: {action}\n\n{LAST_GOOD}",
        metadata={
            "source": contract.name,
            "files": dg.MetadataValue.json([problem["file"]]),
            "problems": dg.MetadataValue.json([problem]),
            "action": dg.MetadataValue.text(action),
        },
    )


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
        problems: list[dict] = [
            _problem(
                contract,
                f,
                f"unsupported file type (expected {', '.join(sorted(SUPPORTED_SUFFIXES))})",
                f"Export it as {', '.join(sorted(SUPPORTED_SUFFIXES))}, drop that in "
                f"inbox/{contract.name}/ and remove this one.",
            )
            for f in unsupported
        ]
        with duckdb.get_connection() as con:
            # The raw table exists even before a first file arrives, so the models build (empty).
            # An older warehouse is migrated first; one that cannot be (docs/upgrading.md) stops here.
            try:
                ensure_tables(con, contract)
            except UpgradeError as exc:
                raise dg.Failure(description=str(exc)) from exc
            for file, result in load_files(con, contract, files, demo=demo):
                if isinstance(result, ExtractError):
                    problems.append(_extract_problem(contract, file, result))
                    context.log.error(str(result))
                    continue
                if isinstance(result, MissingKeyError):
                    raise _missing_key_failure(contract, file, result) from result
                if isinstance(result, Exception):
                    # A file that breaks the loader is named, not a traceback alone.
                    problems.append(_unexpected_problem(contract, file, result))
                    context.log.error(f"{file.name}: {type(result).__name__}: {result}")
                    continue
                results.append(result)
                if result.status == "loaded":
                    context.log.info(
                        f"{file.name}: {result.rows_in} rows read, {result.rows_loaded} loaded, "
                        f"{result.rows_quarantined} quarantined"
                    )
        summary = _summary(results)
        if problems:
            raise _files_failure(contract, problems, summary)
        reconciled = summary["rows_read"] == summary["rows_loaded"] + summary["rows_quarantined"]
        yield dg.MaterializeResult(
            metadata={
                **summary,
                "quarantined_by_rule": dg.MetadataValue.json(summary["quarantined_by_rule"]),
                "files": dg.MetadataValue.md(
                    "\n".join(f"- {r.file.name}: {r.status}" for r in results) or "(no files)"
                ),
                "seconds_by_file": dg.MetadataValue.json(
                    {r.file.name: {k: round(v, 4) for k, v in r.seconds.items()} for r in results}
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


# Freshness is judged exactly as publish.data_quality judges it (the one definition of "as at": the
# build date or the dbt var data_quality_as_at; the extract's own file date; the contract's
# cadence_days), so the check reads that table, after dbt has rebuilt it on every refresh.
FRESHNESS_SQL = """
    select
        source_name,
        authority_code,
        bool_or(status = 'stale') as is_stale,
        bool_and(status = 'missing') as is_missing,
        max(cadence_days) as cadence_days,
        max(source_latest_file_date) as latest_file_date,
        max(source_latest_period_end) as latest_period_end,
        max(days_since_latest_extract) as days_old,
        max(as_at_date) as as_at_date
    from publish.data_quality
    group by source_name, authority_code
    order by source_name, authority_code nulls first
"""


def _freshness_text(contract: Contract, row: dict, many: bool) -> str:
    who = f"{contract.name} for {row['authority_code']}" if many and row["authority_code"] else contract.name
    period = f" (latest period ending {row['latest_period_end']})" if row["latest_period_end"] else ""
    cadence, days = row["cadence_days"], row["days_old"]
    if row["is_stale"]:
        return (
            f"{who}: the newest extract, dated {row['latest_file_date']}{period}, is {days} days old at "
            f"{row['as_at_date']}: {days - cadence} days overdue against its {cadence}-day cadence. Ask the "
            f"data owner for the current extract and drop it in inbox/{contract.name}/."
        )
    return (
        f"{who}: the newest extract, dated {row['latest_file_date']}{period}, is {days} days old at "
        f"{row['as_at_date']}, within its {cadence}-day cadence."
    )


def freshness_result(contract: Contract, rows: list[dict], key: dg.AssetCheckKey) -> dg.AssetCheckResult:
    """Pass or warn for one source from its publish.data_quality rows (one per authority)."""
    received = [r for r in rows if not r["is_missing"]]
    stale = [r for r in received if r["is_stale"]]
    if not received:
        description = (
            f"No extract of {contract.name} has been received, so there is nothing to judge "
            "(publish.data_quality lists it as missing)."
        )
    else:
        many = len(received) > 1
        description = " ".join(_freshness_text(contract, r, many) for r in (stale or received))
    return dg.AssetCheckResult(
        asset_key=key.asset_key,
        check_name=key.name,
        passed=not stale,
        severity=dg.AssetCheckSeverity.WARN,
        description=description,
        metadata={
            "cadence_days": contract.cadence_days,
            "latest_file_date": str(max((r["latest_file_date"] for r in received), default="") or ""),
            "days_overdue": max((r["days_old"] - r["cadence_days"] for r in stale), default=0),
            "stale_authorities": dg.MetadataValue.json([r["authority_code"] for r in stale]),
            "as_at": str(rows[0]["as_at_date"]) if rows else "",
        },
    )


def build_freshness_checks(contracts: list[Contract]) -> dg.AssetChecksDefinition:
    """`extract_fresh` on every ingest asset: warns when a source's newest extract is older than its
    contract's cadence. Evaluated after dbt rebuilds publish.data_quality, so on every refresh, new
    files or not."""
    by_key = {dg.AssetKey(["raw", c.name]): c for c in contracts}
    specs = [
        dg.AssetCheckSpec(
            FRESHNESS_CHECK,
            asset=key,
            additional_deps=[DATA_QUALITY_KEY],
            description=f"The newest extract in inbox/{c.name}/ is no older than the contract's cadence "
            f"({c.cadence_days} days), judged as publish.data_quality judges it.",
        )
        for key, c in by_key.items()
        if c.cadence_days
    ]

    @dg.multi_asset_check(specs=specs, can_subset=True, name="extract_freshness")
    def _freshness(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource):
        with duckdb.get_connection() as con:
            exists = con.execute(
                "select count(*) from information_schema.tables "
                "where table_schema = 'publish' and table_name = 'data_quality'"
            ).fetchone()[0]
            rows = []
            if exists:
                cursor = con.execute(FRESHNESS_SQL)
                names = [d[0] for d in cursor.description]
                rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
        for key in sorted(context.selected_asset_check_keys, key=lambda k: k.asset_key.to_user_string()):
            contract = by_key[key.asset_key]
            if not exists:
                yield dg.AssetCheckResult(
                    asset_key=key.asset_key,
                    check_name=key.name,
                    passed=False,
                    severity=dg.AssetCheckSeverity.WARN,
                    description="publish.data_quality has not been built yet: run the refresh.",
                )
                continue
            yield freshness_result(contract, [r for r in rows if r["source_name"] == contract.name], key)

    return _freshness


def freshness_checks() -> list[dg.AssetChecksDefinition]:
    return [build_freshness_checks(list(load_contracts().values()))]
