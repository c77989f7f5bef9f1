"""A full rebuild of the raw tables from the files kept in the inbox, for a schema change that cannot
be migrated in place (``migrations.RebuildNeeded``): ``observatory upgrade --rebuild``.

Files stay in ``inbox/<source>/`` after loading, so the warehouse's raw data can be made again from
them. The rebuild refuses to start if any file whose rows the warehouse holds (loaded or
quarantined) is no longer in the inbox, matched by checksum: those rows would be lost. It replays
every inbox file, source by source, in the order the warehouse last loaded them (files it never
loaded last, by name, as the ingest reads them), into a new file beside the warehouse, then
reconciles it against the old one before swapping it in:

- every file the old ``raw.load_log`` records must load again, with the same rows in, and rows in =
  loaded + quarantined for each;
- per raw table and file, the rows held (and quarantined) must be the old counts, or differ by
  exactly the change in that file's loaded (quarantined) rows when the contract now judges rows
  differently;
- person identifiers must still match (the same pseudonymisation key).

Then the old warehouse is kept as ``warehouse.before-rebuild-<UTC time>.duckdb`` and the new one
renamed into place. dbt's schemas are made by the next ``observatory refresh``.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from observatory import config
from observatory.contracts import Contract, load_contracts
from observatory.migrations import UpgradeError, refuse_if_too_new, schema_version, upgrade

INGEST_TABLES = {"load_log", "quarantine", "schema_version"}


class RebuildRefused(UpgradeError):
    def __init__(self, summary: str, problems: list[str], after: str):
        self.problems = problems
        listed = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{summary}:\n{listed}\n{after}")


@dataclass
class Replayed:
    source: str
    file: Path
    sha256: str
    status: str  # loaded | skipped (same checksum as a file before it) | rejected
    rows_in: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    error: str = ""


@dataclass
class RebuildReport:
    backup: Path
    files: list[Replayed]
    # raw table (and "quarantine") -> rows before, rows after
    tables: dict[str, tuple[int, int]]
    rows_in_before: int
    rows_in_after: int
    differences: list[str] = field(default_factory=list)  # accepted: the contract judges rows differently
    notes: list[str] = field(default_factory=list)


@dataclass
class _Inventory:
    # (source, sha) -> the last load_log entry: rows in, loaded, quarantined, loaded_at, superseded, file_name
    log: dict[tuple[str, str], tuple[int, int, int, datetime, bool, str]]
    held: dict[tuple[str, str], int]  # (source, sha) -> rows in raw.<source>
    quarantined: dict[tuple[str, str], int]  # (source, sha) -> rows in raw.quarantine
    tables: dict[str, int]  # raw table -> rows


def _inventory(con: duckdb.DuckDBPyConnection) -> _Inventory:
    """What a warehouse holds, per source and file checksum."""
    columns = dict(
        con.execute(
            """select table_name, list(column_name) from information_schema.columns
               where table_schema = 'raw' and table_catalog = current_database() group by 1"""
        ).fetchall()
    )
    schema = "raw"
    inv = _Inventory({}, {}, {}, {})
    if "load_log" in columns:
        for source, name, sha, rows_in, loaded, quarantined, at, superseded in con.execute(
            f"""select source, file_name, file_sha256, rows_in, rows_loaded, rows_quarantined, loaded_at,
                       superseded
                from {schema}.load_log order by loaded_at"""
        ).fetchall():
            inv.log[(source, sha)] = (rows_in, loaded, quarantined, at, superseded, name)
    if "quarantine" in columns:
        for source, sha, n in con.execute(
            f"select source, file_sha256, count(*) from {schema}.quarantine group by 1, 2"
        ).fetchall():
            inv.quarantined[(source, sha)] = n
        inv.tables["quarantine"] = sum(v for v in inv.quarantined.values())
    for table, cols in sorted(columns.items()):
        if table in INGEST_TABLES or "_file_sha256" not in cols:
            continue
        counts = con.execute(f"select _file_sha256, count(*) from {schema}.{table} group by 1").fetchall()
        for sha, n in counts:
            inv.held[(table, sha)] = n
        inv.tables[f"raw.{table}"] = sum(n for _, n in counts)
    return inv


def replay_order(source: str, files: dict[str, Path], before: _Inventory) -> list[str]:
    """Checksums of a source's inbox files in the order to load them: as the warehouse last did."""
    never = datetime.max

    def key(sha: str):
        entry = before.log.get((source, sha))
        return (entry[3] if entry else never, files[sha].name)

    return sorted(files, key=key)


def _inbox(paths: config.Paths, contracts: dict[str, Contract]) -> dict[str, dict[str, Path]]:
    """Per source, its inbox files by checksum (the first file by name when two are identical)."""
    from observatory.defs.ingest import SUPPORTED_SUFFIXES
    from observatory.ingest.load import sha256

    found: dict[str, dict[str, Path]] = {}
    for source in contracts:
        folder = paths.inbox_for(source)
        files = sorted(folder.iterdir()) if folder.is_dir() else []
        by_sha: dict[str, Path] = {}
        for f in files:
            if f.is_file() and not f.name.startswith(".") and f.suffix.lower() in SUPPORTED_SUFFIXES:
                by_sha.setdefault(sha256(f), f)
        found[source] = by_sha
    return found


def _missing(before: _Inventory, inbox: dict[str, dict[str, Path]]) -> list[str]:
    """Files whose rows the warehouse holds (or that it counts as loaded) and the inbox lacks."""
    needed: dict[tuple[str, str], int] = defaultdict(int)
    for key, n in before.held.items():
        needed[key] += n
    for key, n in before.quarantined.items():
        needed[key] += n
    for key, entry in before.log.items():
        if not entry[4]:  # not superseded
            needed.setdefault(key, 0)
    problems = []
    for (source, sha), n in sorted(needed.items()):
        if sha not in inbox.get(source, {}):
            name = before.log.get((source, sha), (0, 0, 0, None, False, "(not in the load log)"))[5]
            problems.append(
                f"inbox/{source}/{name} (sha256 {sha[:12]}…): {n} rows held, file no longer in the inbox"
            )
    return problems


def _reconcile(
    before: _Inventory, after: _Inventory, files: list[Replayed]
) -> tuple[list[str], list[str], list[str]]:
    """(problems never accepted, problems --accept-differences accepts, explained differences)."""
    hard, soft, differences = [], [], []
    replayed = {(r.source, r.sha256): r for r in files}
    for (source, _sha), (rows_in, loaded, quarantined, _at, _sup, name) in after.log.items():
        if rows_in != loaded + quarantined:
            hard.append(
                f"inbox/{source}/{name}: {rows_in} rows in != {loaded} loaded + {quarantined} quarantined"
            )
    for key, (rows_in, loaded, quarantined, _at, _sup, name) in before.log.items():
        source = key[0]
        label = f"inbox/{source}/{name}"
        r = replayed.get(key)
        if r is None:
            continue  # gone from the inbox and holding nothing (checked before the rebuild)
        if r.status == "rejected":
            hard.append(f"{label} was loaded before ({rows_in} rows) but is refused now: {r.error}")
            continue
        new = after.log.get(key)
        if new is None:
            continue
        if new[0] != rows_in:
            soft.append(f"{label}: {new[0]} rows read now, {rows_in} before")
        for what, old_map, new_map, old_n, new_n in (
            ("loaded", before.held, after.held, loaded, new[1]),
            ("quarantined", before.quarantined, after.quarantined, quarantined, new[2]),
        ):
            held_before, held_after = old_map.get(key, 0), new_map.get(key, 0)
            if held_before == held_after:
                if old_n != new_n:
                    differences.append(
                        f"{label}: {old_n} rows {what} before, {new_n} now (none held: superseded)"
                    )
            elif new_n != old_n and held_after - held_before == new_n - old_n:
                differences.append(f"{label}: {old_n} rows {what} before, {new_n} now (the contract changed)")
            else:
                soft.append(f"{label}: {held_before} rows {what} held before, {held_after} after the rebuild")
    return hard, soft, differences


def _same_people(con: duckdb.DuckDBPyConnection, contracts: dict[str, Contract]) -> list[str]:
    """Identifier columns whose hashes share no value with the old warehouse's: a different key."""
    problems = []
    current = con.execute("select current_database()").fetchone()[0]
    cols = set(
        con.execute(
            """select table_catalog, table_name, column_name from information_schema.columns
               where table_schema = 'raw'"""
        ).fetchall()
    )
    for name, contract in contracts.items():
        for col in contract.identifiers:
            if ("old", name, col) not in cols or (current, name, col) not in cols:
                continue
            new_n, shared = con.execute(
                f'''select count(distinct "{col}"),
                           count(distinct "{col}")
                               filter (where "{col}" in (select "{col}" from old.raw.{name}))
                    from raw.{name}'''
            ).fetchone()
            old_n = con.execute(f'select count("{col}") from old.raw.{name}').fetchone()[0]
            if new_n and old_n and not shared:
                problems.append(
                    f"raw.{name}.{col}: no person hash matches the old warehouse's: "
                    f"{config.KEY_ENV} is not the key the warehouse was built with"
                )
    return problems


def rebuild(
    paths: config.Paths | None = None,
    contracts: Iterable[Contract] | None = None,
    *,
    accept_differences: bool = False,
) -> RebuildReport:
    """Rebuild the raw tables from the inbox into a new warehouse, reconcile it, and swap it in.

    Raises ``RebuildRefused`` (the warehouse unchanged) when a file is missing from the inbox or the
    rebuilt warehouse does not reconcile; ``accept_differences`` accepts different row counts, never
    a file that cannot be loaded or is missing."""
    from observatory.ingest.load import load_file
    from observatory.ingest.readers import ExtractError

    paths = paths or config.paths()
    contracts = {c.name: c for c in (load_contracts().values() if contracts is None else contracts)}
    old = paths.warehouse
    if not old.exists():
        raise RebuildRefused("Nothing to rebuild", [f"no warehouse at {old}"], "Run: observatory refresh")
    with config.connect(old, read_only=True) as con:
        refuse_if_too_new(schema_version(con))
        before = _inventory(con)
    inbox = _inbox(paths, contracts)
    missing = _missing(before, inbox)
    if missing:
        raise RebuildRefused(
            "The rebuild would lose rows: these files are no longer in the inbox",
            missing,
            "Put each file back in its inbox folder (the same file: it is matched by checksum) and run "
            "it again. Nothing was changed.",
        )
    notes = [
        f"{table}: {n} rows and no data contract now; they stay in the backup only"
        for table, n in before.tables.items()
        if table != "quarantine" and table.removeprefix("raw.") not in contracts and n
    ]

    work = old.with_name("warehouse.rebuild.duckdb")
    for leftover in (work, work.with_name(work.name + ".wal")):
        leftover.unlink(missing_ok=True)
    replayed: list[Replayed] = []
    with config.connect(work) as con:
        upgrade(con, contracts.values(), inbox=paths.inbox)
        for source, contract in contracts.items():
            files = inbox[source]
            for sha in replay_order(source, files, before):
                file = files[sha]
                try:
                    result = load_file(con, contract, file, demo=paths.is_demo)
                except ExtractError as exc:
                    replayed.append(Replayed(source, file, sha, "rejected", error=exc.problem))
                    continue
                counts = (result.rows_in, result.rows_loaded, result.rows_quarantined)
                replayed.append(Replayed(source, file, sha, result.status, *counts))
        after = _inventory(con)
        hard, soft, differences = _reconcile(before, after, replayed)
        con.execute(f"attach '{old}' as old (read_only)")
        hard += _same_people(con, contracts)
        con.execute("detach old")
        con.execute("checkpoint")
    if hard or (soft and not accept_differences):
        hint = (
            ""
            if hard
            else (
                " If the contracts or readers now read these files differently on purpose, run it again with "
                "--accept-differences."
            )
        )
        raise RebuildRefused(
            "The rebuilt warehouse does not reconcile with the old one",
            hard + soft,
            f"The warehouse is unchanged; the attempt is kept in {work} for inspection.{hint}",
        )
    differences += soft  # accepted
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    backup = old.with_name(f"warehouse.before-rebuild-{stamp}.duckdb")
    os.replace(old, backup)
    old_wal = old.with_name(old.name + ".wal")
    if old_wal.exists():
        os.replace(old_wal, backup.with_name(backup.name + ".wal"))
    os.replace(work, old)
    return RebuildReport(
        backup=backup,
        files=replayed,
        tables={
            t: (before.tables.get(t, 0), after.tables.get(t, 0))
            for t in sorted({*before.tables, *after.tables})
        },
        rows_in_before=sum(e[0] for e in before.log.values() if not e[4]),
        rows_in_after=sum(e[0] for e in after.log.values() if not e[4]),
        differences=differences,
        notes=notes,
    )


def describe(report: RebuildReport) -> list[str]:
    """What ``rebuild`` did, a line each (``observatory upgrade --rebuild`` prints them)."""
    loaded = [f for f in report.files if f.status == "loaded"]
    lines = [
        f"Rebuilt the raw tables from {len(loaded)} inbox files "
        f"({sum(f.status == 'skipped' for f in report.files)} duplicates skipped, "
        f"{sum(f.status == 'rejected' for f in report.files)} refused as before).",
        f"Rows in (current files): {report.rows_in_before} before, {report.rows_in_after} after; "
        "rows in = loaded + quarantined for every file.",
    ]
    lines += [
        f"  {table}: {before} rows before, {after} after"
        for table, (before, after) in report.tables.items()
        if before or after
    ]
    lines += [f"  accepted: {d}" for d in report.differences]
    lines += [f"  note: {n}" for n in report.notes]
    lines += [
        f"The old warehouse is kept as {report.backup} (delete it once the next refresh is good).",
        "Now run: observatory refresh (it rebuilds the models and publishes).",
    ]
    return lines
