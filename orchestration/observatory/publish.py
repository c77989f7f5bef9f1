"""Publish: copy the publish.* tables into a snapshot file that replaces the previous one atomically.

Readers (the board site, Evidence, analysts) never open the warehouse: DuckDB allows one writer or
many readers, never both. The snapshot is written beside the live one, then renamed over it, so a
reader sees the old snapshot or the new, never a mix. It is written in DuckDB's v1.4 storage format
so older readers (Evidence's DuckDB 1.4) can open it. The previous snapshot is kept for rollback
(``rollback`` swaps it back, as atomically). The manifest states, per table, its row count, when dbt
built it, the sources it draws on and their periods, and the code version.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from observatory import config, crashpoints
from observatory.contracts import load_contracts
from observatory.site.publish import directory_lock

STORAGE_VERSION = "v1.4.0"


@dataclass
class PublishResult:
    tables: dict[str, int]
    source_periods: str
    code_version: str


def source_period_ranges(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """'source: first to last period' for every source holding rows, by source."""
    loaded = {
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw'"
        ).fetchall()
    }
    ranges = {}
    for name, contract in sorted(load_contracts().items()):
        if name not in loaded:
            continue
        first, last = con.execute(
            f'select min("{contract.period_column}"), max("{contract.period_column}") from raw.{name}'
        ).fetchall()[0]
        if first is not None:
            ranges[name] = f"{name}: {first} to {last}"
    return ranges


def table_sources(dbt_manifest: Path | Mapping) -> dict[str, list[str]]:
    """The data contracts each publish.* model draws on, from dbt's lineage (manifest.json)."""
    if isinstance(dbt_manifest, Mapping):
        manifest = dbt_manifest
    else:
        manifest = json.loads(Path(dbt_manifest).read_text())
    nodes = {**manifest["nodes"], **manifest["sources"]}
    contracts = set(load_contracts())
    found: dict[str, set[str]] = {}

    def sources_of(unique_id: str) -> set[str]:
        if unique_id not in found:
            found[unique_id] = set()  # a cycle cannot occur in dbt; this guards the recursion anyway
            node = nodes.get(unique_id, {})
            if node.get("resource_type") == "source":
                found[unique_id] = {node["name"]} & contracts
            else:
                upstream = node.get("depends_on", {}).get("nodes", [])
                found[unique_id] = set().union(*(sources_of(u) for u in upstream))
        return found[unique_id]

    return {
        node["name"]: sorted(sources_of(uid))
        for uid, node in manifest["nodes"].items()
        if node.get("resource_type") == "model" and node.get("schema") == "publish"
    }


def publish_snapshot(
    con: duckdb.DuckDBPyConnection,
    tables: list[str],
    *,
    sources: Mapping[str, Sequence[str]] | None = None,
    built_at: Mapping[str, datetime | None] | None = None,
    audit: Callable[[Path], None] | None = None,
) -> PublishResult:
    """Write publish.<table> for each table into a new snapshot and swap it in.

    ``sources`` names the data contracts each table draws on (``table_sources``): the manifest then
    states only their periods (without it, every loaded source's). ``built_at`` is when dbt built
    each table (Dagster's materialisation time), null when not known. ``audit`` is called with the
    finished snapshot file before it is swapped in; raising keeps the previous one live."""
    paths = config.paths()
    paths.published.mkdir(parents=True, exist_ok=True)
    # One publication at a time; whatever an earlier, killed one left beside the snapshot goes first.
    with directory_lock(paths.published):
        _remove_leftovers(paths.published)
        return _publish(con, tables, sources=sources, built_at=built_at, audit=audit, paths=paths)


def _publish(
    con: duckdb.DuckDBPyConnection,
    tables: list[str],
    *,
    sources: Mapping[str, Sequence[str]] | None,
    built_at: Mapping[str, datetime | None] | None,
    audit: Callable[[Path], None] | None,
    paths: config.Paths,
) -> PublishResult:
    tmp = paths.published / f".observatory-{uuid.uuid4().hex}.duckdb.tmp"
    alias = "snapshot_" + uuid.uuid4().hex[:8]
    counts: dict[str, int] = {}
    ranges = source_period_ranges(con)
    periods = "; ".join(ranges.values())
    version = config.code_version()
    con.execute(f"attach '{tmp}' as {alias} (storage_version '{STORAGE_VERSION}')")
    try:
        con.execute(f"create schema {alias}.publish")
        for table in sorted(tables):
            # order by all: identical inputs give byte-comparable tables and stable exports.
            con.execute(f"create table {alias}.publish.{table} as select * from publish.{table} order by all")
            counts[table] = con.execute(f"select count(*) from {alias}.publish.{table}").fetchall()[0][0]
            crashpoints.reached("publish.copy")
        con.execute(
            f"""create table {alias}.publish.manifest (table_name varchar, row_count bigint,
                published_at timestamp, code_version varchar, source_periods varchar,
                sources varchar, built_at timestamp)"""
        )
        now = config.now()
        for table, n in counts.items():
            drawn = None if sources is None else list(sources.get(table, []))
            table_periods = periods if drawn is None else "; ".join(ranges[s] for s in drawn if s in ranges)
            con.execute(
                f"insert into {alias}.publish.manifest values (?, ?, ?, ?, ?, ?, ?)",
                [
                    table,
                    n,
                    now,
                    version,
                    table_periods,
                    None if drawn is None else ", ".join(drawn),
                    (built_at or {}).get(table),
                ],
            )
    finally:
        con.execute(f"detach {alias}")
    if audit is not None:
        # The disclosure audit attacks the new snapshot before anyone can read it: if it raises, the
        # snapshot is discarded and the last good publication stays live.
        try:
            audit(tmp)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    _swap_in(tmp)
    crashpoints.reached("publish.swapped")
    return PublishResult(counts, periods, version)


# Manifest columns that record when, not what: two publications that differ only here are the same.
VOLATILE_COLUMNS = {"manifest": ("published_at", "built_at")}

# Files a publication or rollback writes beside the live snapshot before renaming them into place.
# Under the lock, any left over belong to a refresh that was killed mid-way.
_LEFTOVER_PATTERNS = (
    ".observatory-*.duckdb.tmp*",
    ".previous-*.tmp",
    ".rollback-*.tmp",
    ".rolled-back-*.tmp",
)


def same_content(a: Path, b: Path) -> bool:
    """Whether two snapshots hold the same tables with the same rows in the same order (times aside)."""
    try:
        with config.connect() as con:
            con.execute(f"attach '{a}' as a (read_only)")
            con.execute(f"attach '{b}' as b (read_only)")
            listing = "select table_name from information_schema.tables where table_catalog = ? order by 1"
            tables = [r[0] for r in con.execute(listing, ["a"]).fetchall()]
            if tables != [r[0] for r in con.execute(listing, ["b"]).fetchall()]:
                return False
            for table in tables:
                skip = ", ".join(f'"{c}"' for c in VOLATILE_COLUMNS.get(table, ()))
                cols = f"* exclude ({skip})" if skip else "*"
                numbered = "select row_number() over () as _n, {cols} from {db}.publish.{t}"
                a_rows, b_rows = (numbered.format(cols=cols, db=db, t=table) for db in "ab")
                differing = con.execute(
                    f"select count(*) from (({a_rows}) except all ({b_rows})) "
                    f"union all select count(*) from (({b_rows}) except all ({a_rows}))"
                ).fetchall()
                if any(n for (n,) in differing):
                    return False
            return True
    except duckdb.Error:
        return False  # an unreadable live snapshot is never "the same"


def _remove_leftovers(published: Path) -> None:
    for pattern in _LEFTOVER_PATTERNS:
        for leftover in published.glob(pattern):
            leftover.unlink(missing_ok=True)


def _swap_in(tmp: Path) -> None:
    paths = config.paths()
    if paths.snapshot.exists() and not same_content(paths.snapshot, tmp):
        # Hard-link the live snapshot as the previous one first, so the live name never disappears.
        # A publication with the same content (a rerun, e.g. after a crash between this swap and the
        # site build) keeps the previous one: rollback and "what changed" still reach the last
        # different publication.
        keep = paths.published / f".previous-{uuid.uuid4().hex}.tmp"
        os.link(paths.snapshot, keep)
        os.replace(keep, paths.previous_snapshot)
    os.replace(tmp, paths.snapshot)
    wal = tmp.with_name(tmp.name + ".wal")
    if wal.exists():
        wal.unlink()


def rollback() -> Path:
    """Swap the previous snapshot back in; the one it replaces becomes the previous (so a second
    rollback undoes the first). Both names always exist: each is replaced by a rename, never deleted."""
    paths = config.paths()
    if not paths.previous_snapshot.exists():
        raise FileNotFoundError(f"no previous snapshot to roll back to ({paths.previous_snapshot})")
    with directory_lock(paths.published):
        _rollback(paths)
    return paths.snapshot


def _rollback(paths: config.Paths) -> None:
    token = uuid.uuid4().hex
    restore = paths.published / f".rollback-{token}.duckdb.tmp"
    os.link(paths.previous_snapshot, restore)
    if paths.snapshot.exists():
        keep = paths.published / f".rolled-back-{token}.duckdb.tmp"
        os.link(paths.snapshot, keep)
        os.replace(restore, paths.snapshot)  # readers now open the previous snapshot
        os.replace(keep, paths.previous_snapshot)
    else:
        os.replace(restore, paths.snapshot)
