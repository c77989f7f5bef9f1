"""Publish: copy the publish.* tables into a snapshot file that replaces the previous one atomically.

Readers (the board site, Evidence, analysts) never open the warehouse: DuckDB allows one writer or
many readers, never both. The snapshot is written beside the live one, then renamed over it, so a
reader sees the old snapshot or the new, never a mix. It is written in DuckDB's v1.4 storage format
so older readers (Evidence's DuckDB 1.4) can open it. The previous snapshot is kept for rollback.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from observatory import __version__, config
from observatory.contracts import load_contracts

STORAGE_VERSION = "v1.4.0"


@dataclass
class PublishResult:
    tables: dict[str, int]
    source_periods: str
    code_version: str


def code_version() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(config.REPO_ROOT), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        )
        return f"{__version__}+{out.stdout.strip()}"
    except (OSError, subprocess.SubprocessError):
        return __version__


def source_periods(con: duckdb.DuckDBPyConnection) -> str:
    """'source: first to last period' for every source loaded, as the manifest states it."""
    loaded = {
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw'"
        ).fetchall()
    }
    parts = []
    for name, contract in sorted(load_contracts().items()):
        if name not in loaded:
            continue
        first, last = con.execute(
            f'select min("{contract.period_column}"), max("{contract.period_column}") from raw.{name}'
        ).fetchall()[0]
        if first is not None:
            parts.append(f"{name}: {first} to {last}")
    return "; ".join(parts)


def publish_snapshot(con: duckdb.DuckDBPyConnection, tables: list[str]) -> PublishResult:
    """Write publish.<table> for each table into a new snapshot and swap it in."""
    paths = config.paths()
    paths.published.mkdir(parents=True, exist_ok=True)
    tmp = paths.published / f".observatory-{uuid.uuid4().hex}.duckdb.tmp"
    alias = "snapshot_" + uuid.uuid4().hex[:8]
    counts: dict[str, int] = {}
    periods = source_periods(con)
    version = code_version()
    con.execute(f"attach '{tmp}' as {alias} (storage_version '{STORAGE_VERSION}')")
    try:
        con.execute(f"create schema {alias}.publish")
        for table in sorted(tables):
            # order by all: identical inputs give byte-comparable tables and stable exports.
            con.execute(f"create table {alias}.publish.{table} as select * from publish.{table} order by all")
            counts[table] = con.execute(f"select count(*) from {alias}.publish.{table}").fetchall()[0][0]
        con.execute(
            f"""create table {alias}.publish.manifest (table_name varchar, row_count bigint,
                published_at timestamp, code_version varchar, source_periods varchar)"""
        )
        now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        for table, n in counts.items():
            con.execute(
                f"insert into {alias}.publish.manifest values (?, ?, ?, ?, ?)",
                [table, n, now, version, periods],
            )
    finally:
        con.execute(f"detach {alias}")
    _swap_in(tmp)
    return PublishResult(counts, periods, version)


def _swap_in(tmp) -> None:
    paths = config.paths()
    if paths.snapshot.exists():
        # Hard-link the live snapshot as the previous one first, so the live name never disappears.
        keep = paths.published / f".previous-{uuid.uuid4().hex}.tmp"
        os.link(paths.snapshot, keep)
        os.replace(keep, paths.previous_snapshot)
    os.replace(tmp, paths.snapshot)
    wal = tmp.with_name(tmp.name + ".wal")
    if wal.exists():
        wal.unlink()
