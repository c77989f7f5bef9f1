"""The analysts' explorer's data: a copy of the published snapshot for Evidence (``bi/``).

Evidence reads one DuckDB file, ``bi/sources/observatory/observatory.duckdb``. It is a copy of the
published snapshot holding only its ``publish.*`` tables (never the warehouse), written in DuckDB's
v1.4 storage format because Evidence's DuckDB (1.4) cannot open files in Python DuckDB 2.0's own
format ("version number 999"). The copy is written beside the target and renamed over it, so an
Evidence process reading the old copy never sees half a file, and the live snapshot is opened
read-only, so publishing is never blocked by the explorer.

Run ``python -m observatory.bi_export`` (``make bi-evidence`` does); ``--snapshot`` and ``--out``
override the published snapshot of ``$OBSERVATORY_DATA_DIR`` and the path Evidence reads.
"""

from __future__ import annotations

import argparse
import os
import uuid
from pathlib import Path

import duckdb

from observatory import config

# The format Evidence's DuckDB (1.4) reads; the published snapshot uses the same one.
STORAGE_VERSION = "v1.4.0"
SCHEMA = "publish"
DEFAULT_TARGET = config.REPO_ROOT / "bi" / "sources" / "observatory" / "observatory.duckdb"


def publish_tables(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    """The base tables of ``<catalog>.publish``, sorted."""
    rows = con.execute(
        """select table_name from information_schema.tables
           where table_catalog = ? and table_schema = ? and table_type = 'BASE TABLE'
           order by table_name""",
        [catalog, SCHEMA],
    ).fetchall()
    return [r[0] for r in rows]


def export_snapshot(snapshot: Path, target: Path = DEFAULT_TARGET) -> dict[str, int]:
    """Copy every ``publish.*`` table of ``snapshot`` into ``target`` (v1.4 storage); rows per table.

    Raises FileNotFoundError when there is no snapshot yet (run ``make demo`` or a refresh first)
    and ValueError when it holds no publish tables; the previous copy then stays in place."""
    snapshot = Path(snapshot)
    target = Path(target)
    if not snapshot.is_file():
        raise FileNotFoundError(
            f"no published snapshot at {snapshot}: run `make demo` or `observatory refresh` first"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}-{uuid.uuid4().hex}.tmp")
    counts: dict[str, int] = {}
    con = config.connect()
    try:
        con.execute(f"attach '{_sql_path(snapshot)}' as src (read_only)")
        tables = publish_tables(con, "src")
        if not tables:
            raise ValueError(f"{snapshot} holds no {SCHEMA}.* tables")
        con.execute(f"attach '{_sql_path(tmp)}' as dst (storage_version '{STORAGE_VERSION}')")
        con.execute(f"create schema dst.{SCHEMA}")
        for table in tables:
            con.execute(f'create table dst.{SCHEMA}."{table}" as select * from src.{SCHEMA}."{table}"')
            counts[table] = con.execute(f'select count(*) from dst.{SCHEMA}."{table}"').fetchall()[0][0]
        con.execute("detach dst")
        con.execute("detach src")
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        tmp.with_name(tmp.name + ".wal").unlink(missing_ok=True)
        raise
    con.close()
    os.replace(tmp, target)
    # A reader's leftover write-ahead log must not be replayed onto the new copy.
    target.with_name(target.name + ".wal").unlink(missing_ok=True)
    return counts


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m observatory.bi_export",
        description="Copy the published snapshot's publish.* tables for the Evidence explorer (bi/).",
    )
    parser.add_argument("--snapshot", type=Path, help="published snapshot (default: the live one)")
    parser.add_argument("--out", type=Path, default=DEFAULT_TARGET, help=f"default: {DEFAULT_TARGET}")
    args = parser.parse_args(argv)
    snapshot = args.snapshot or config.paths().snapshot
    try:
        counts = export_snapshot(snapshot, args.out)
    except (FileNotFoundError, ValueError) as exc:
        parser.exit(1, f"bi_export: {exc}\n")
    rows = sum(counts.values())
    print(f"bi_export: {len(counts)} publish tables, {rows:,} rows from {snapshot} -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
