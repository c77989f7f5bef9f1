"""Read-only access to the published snapshot: the site's only data source.

The site never touches the warehouse, so the board sees exactly what was published, and a
read-only connection guarantees that building the site cannot change the snapshot.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from observatory import config

SCHEMA = "publish"


def ident(name: str) -> str:
    """A SQL identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class Manifest:
    """What the publish step recorded about each table."""

    rows: tuple[dict[str, Any], ...]

    @property
    def published_at(self) -> datetime | None:
        stamps = [r["published_at"] for r in self.rows if r["published_at"] is not None]
        return max(stamps) if stamps else None

    @property
    def code_versions(self) -> tuple[str, ...]:
        return tuple(sorted({r["code_version"] for r in self.rows if r["code_version"]}))

    @property
    def source_periods(self) -> tuple[str, ...]:
        return tuple(sorted({r["source_periods"] for r in self.rows if r["source_periods"]}))


class Snapshot:
    """A read-only connection to the snapshot with the few queries pages need."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con

    @classmethod
    @contextmanager
    def open(cls, path: Path) -> Iterator[Snapshot]:
        if not Path(path).is_file():
            raise FileNotFoundError(f"published snapshot not found: {path}")
        con = config.connect(path, read_only=True)
        try:
            snapshot = cls(con)
            if "manifest" not in snapshot.tables():
                # Refuse a file the publish step did not write rather than swap in an empty site.
                raise ValueError(f"not a published snapshot (no {SCHEMA}.manifest): {path}")
            yield snapshot
        finally:
            con.close()

    def tables(self) -> frozenset[str]:
        """Names of the tables in the publish schema (pages are built only if theirs exist)."""
        rows = self._con.execute(
            "select table_name from duckdb_tables() where schema_name = ?", [SCHEMA]
        ).fetchall()
        return frozenset(r[0] for r in rows)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cur = self._con.execute(sql, list(params))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor of its own on the snapshot (read-only), for a long read beside other queries."""
        return self._con.cursor()

    def stream(self, sql: str, params: Sequence[Any] = (), batch: int = 20_000) -> Iterator[dict[str, Any]]:
        """A query's rows as dicts, made a batch at a time (on a cursor of its own, so other queries
        may run meanwhile): a page that works through a table row by row holds a batch of them as
        Python objects, not the whole result (at England scale, gigabytes)."""
        cur = self.cursor()
        try:
            cur.execute(sql, list(params))
            names = [d[0] for d in cur.description]
            while rows := cur.fetchmany(batch):
                yield from (dict(zip(names, row, strict=True)) for row in rows)
        finally:
            cur.close()

    def arrow(self, sql: str) -> pa.Table:
        """A query's result as an Arrow table: for comparing whole tables without Python objects."""
        return self._con.sql(sql).to_arrow_table()

    def table(self, name: str, order_by: Sequence[str]) -> list[dict[str, Any]]:
        """Every row of publish.<name>, in an explicit order (the site must be deterministic)."""
        order = ", ".join(ident(c) for c in order_by)
        return self.rows(f"select * from {SCHEMA}.{ident(name)} order by {order}")

    def manifest(self) -> Manifest:
        return Manifest(tuple(self.table("manifest", ["table_name", "published_at"])))

    def export(self, name: str, order_by: Sequence[str]) -> tuple[list[str], list[tuple]]:
        """publish.<name> as (header, rows): all rows and columns, ordered by ``order_by`` then every
        column, as the exports order it (``exports.ordered_select``)."""
        from observatory.exports import ordered_select

        cur = self._con.execute(ordered_select(name, order_by))
        return [d[0] for d in cur.description], cur.fetchall()

    def readme(self, *, demo: bool) -> tuple[list[tuple[str, str]], datetime | None]:
        """The README every download carries (the exports' ``readme_rows``) and the publication time
        that stamps its XLSX."""
        from observatory.exports import readme_rows

        manifest = self.manifest()
        stamp = [(manifest.published_at, ", ".join(manifest.code_versions))] if manifest.published_at else []
        return readme_rows(stamp, demo=demo), manifest.published_at

    def write_download(
        self, name: str, order_by: Sequence[str], csv_path: Path, xlsx_path: Path, *, demo: bool
    ) -> None:
        """Write publish.<name> as a CSV and an XLSX download, with the exports' own writers (UTF-8
        with BOM, README sheet of symbols, formula-like text neutralised), so the two never differ."""
        from observatory.site.downloads import write_download

        write_download(self, name, order_by, csv_path, xlsx_path, demo=demo)
