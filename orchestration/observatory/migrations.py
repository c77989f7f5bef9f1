"""The warehouse's schema version and the migrations that bring an older warehouse up to date.

What can drift between releases is the private ``raw`` schema: the tables the ingest owns
(``raw.load_log``, ``raw.quarantine``) and one ``raw.<source>`` table per data contract. dbt's
schemas are rebuilt by every refresh and the Dagster instance has its own migrations
(``DagsterInstance.upgrade``, run by ``observatory upgrade``).

- ``raw.schema_version`` records every migration applied (version, description, when, code version).
  A warehouse without it was built before versions were recorded: version 0.
- ``MIGRATIONS`` is ordered and every step is idempotent (``create ... if not exists``, ``add column
  if not exists``, backfills of nulls only), so a step half-applied by an old release is finished,
  and running the list twice is running it once.
- The raw tables follow the contracts: a column a contract gained is added (earlier rows hold null).
  A change that cannot be migrated in place (a column's type changed, or a column the contract no
  longer has, which may be a rename) raises ``RebuildNeeded``, unless the table is empty (it is then
  recreated): ``observatory upgrade --rebuild`` re-ingests every inbox file (``observatory.rebuild``).
- A warehouse at a version above this code's is refused (``WarehouseTooNew``), never written.

``upgrade`` applies all of it in one transaction at the start of every ingest (``ensure_tables``),
refresh and ``observatory upgrade``: a failure leaves the warehouse exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from observatory import config
from observatory.contracts import Contract, load_contracts

# Columns every raw.<source> table holds besides the contract's (the ingest fills them).
META_COLUMNS = {
    "_source_file": "VARCHAR",
    "_source_row": "BIGINT",
    "_file_sha256": "VARCHAR",
    "_loaded_at": "TIMESTAMP",
}
SCHEMA_TABLE = "raw.schema_version"


class UpgradeError(RuntimeError):
    """The warehouse cannot be brought to this release's schema in place."""


class WarehouseTooNew(UpgradeError):
    pass


class RebuildNeeded(UpgradeError):
    def __init__(self, drift: list[Drift]):
        self.drift = drift
        listed = "\n".join(f"  - {d}" for d in drift)
        super().__init__(
            "The warehouse's raw tables differ from the data contracts in a way that cannot be "
            f"migrated in place:\n{listed}\nNothing was changed. Rebuild the raw tables from the files "
            "kept in the inbox with: observatory upgrade --rebuild (docs/upgrading.md)."
        )


@dataclass(frozen=True)
class Drift:
    table: str
    column: str
    found: str  # the warehouse's type, or "" when the contract has a column the table lacks
    expected: str  # the contract's type, or "" when the contract no longer has the column

    def __str__(self) -> str:
        if not self.expected:
            return (
                f"{self.table}.{self.column} ({self.found}) is no longer in the contract (renamed or removed)"
            )
        return f"{self.table}.{self.column} is {self.found}, the contract now says {self.expected}"


@dataclass
class Context:
    """What a migration may read besides the warehouse: the inbox (files are kept after loading)."""

    inbox: Path


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[duckdb.DuckDBPyConnection, Context], None]


@dataclass
class UpgradeReport:
    from_version: int
    to_version: int
    applied: list[Migration] = field(default_factory=list)
    tables_created: list[str] = field(default_factory=list)
    columns_added: list[str] = field(default_factory=list)
    tables_recreated: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.applied or self.tables_created or self.columns_added or self.tables_recreated)


def _v1_ingest_tables(con: duckdb.DuckDBPyConnection, ctx: Context) -> None:
    """The load log and quarantine as every release before schema versions made them."""
    con.execute("create schema if not exists raw")
    con.execute(
        """create table if not exists raw.load_log (
            source varchar, file_name varchar, file_sha256 varchar, authority_codes varchar,
            periods varchar, rows_in bigint, rows_loaded bigint, rows_quarantined bigint,
            loaded_at timestamp, superseded boolean)"""
    )
    con.execute(
        """create table if not exists raw.quarantine (
            source varchar, file_name varchar, file_sha256 varchar, source_row bigint,
            column_name varchar, value varchar, rule varchar, loaded_at timestamp)"""
    )


def _v2_file_modified_at(con: duckdb.DuckDBPyConnection, ctx: Context) -> None:
    """The extract's own date (its modification time in the inbox), by which freshness is judged.

    Files loaded before it was recorded get the date of the inbox file with the same checksum (files
    stay in the inbox after loading); where none is left it stays null (staging then uses the load
    time and says so)."""
    from observatory.ingest.load import sha256

    con.execute("alter table raw.load_log add column if not exists file_modified_at timestamp")
    missing = con.execute(
        "select distinct source, file_name, file_sha256 from raw.load_log where file_modified_at is null"
    ).fetchall()
    for source, file_name, digest in missing:
        file = ctx.inbox / source / file_name
        if file.is_file() and sha256(file) == digest:
            modified = datetime.fromtimestamp(file.stat().st_mtime, UTC).replace(tzinfo=None, microsecond=0)
            con.execute(
                """update raw.load_log set file_modified_at = ?
                   where source = ? and file_sha256 = ? and file_modified_at is null""",
                [modified, source, digest],
            )


MIGRATIONS: list[Migration] = [
    Migration(1, "raw.load_log and raw.quarantine", _v1_ingest_tables),
    Migration(2, "raw.load_log.file_modified_at, backfilled from the inbox", _v2_file_modified_at),
]
SCHEMA_VERSION = MIGRATIONS[-1].version
assert [m.version for m in MIGRATIONS] == list(range(1, SCHEMA_VERSION + 1)), "versions are 1, 2, 3..."


def schema_version(con: duckdb.DuckDBPyConnection, tables: dict | None = None) -> int:
    """The warehouse's schema version: 0 when it predates recorded versions (or is new)."""
    if "schema_version" not in (_raw_columns(con) if tables is None else tables):
        return 0
    return con.execute(f"select coalesce(max(version), 0) from {SCHEMA_TABLE}").fetchone()[0]


def refuse_if_too_new(version: int, where: str = "The warehouse") -> None:
    if version > SCHEMA_VERSION:
        raise WarehouseTooNew(
            f"{where} is at schema version {version}, but this release of the Observatory knows versions "
            f"up to {SCHEMA_VERSION}: a newer release wrote it. Run that release (or a newer one); an "
            "older release cannot read it safely, and nothing was changed."
        )


def expected_columns(contract: Contract) -> dict[str, str]:
    """The raw table's columns and DuckDB types: the contract's, then the ingest's META_COLUMNS."""
    return {c.name: c.duckdb_type for c in contract.raw_columns} | META_COLUMNS


def _raw_columns(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    """Every raw table's columns and types, in one query."""
    tables: dict[str, dict[str, str]] = {}
    for table, column, kind in con.execute(
        """select table_name, column_name, data_type from duckdb_columns()
           where database_name = current_database() and schema_name = 'raw'
           order by table_name, column_index"""
    ).fetchall():
        tables.setdefault(table, {})[column] = kind.upper()
    return tables


def _create_table(con: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    cols = ", ".join(f'"{name}" {kind}' for name, kind in expected_columns(contract).items())
    con.execute(f"create table if not exists {contract.raw_table} ({cols})")


def drift(existing: dict[str, str], contract: Contract) -> tuple[dict[str, str], list[Drift]]:
    """Columns to add, and differences that cannot be migrated, between a raw table and its contract."""
    expected = expected_columns(contract)
    to_add = {name: kind for name, kind in expected.items() if name not in existing}
    problems = [
        Drift(contract.raw_table, name, existing[name], kind)
        for name, kind in expected.items()
        if name in existing and existing[name] != kind
    ]
    problems += [
        Drift(contract.raw_table, name, kind, "") for name, kind in existing.items() if name not in expected
    ]
    return to_add, problems


def upgrade(
    con: duckdb.DuckDBPyConnection,
    contracts: Iterable[Contract] | None = None,
    *,
    inbox: Path | None = None,
) -> UpgradeReport:
    """Bring the warehouse to this release's schema, in one transaction (see the module's notes).

    ``contracts`` limits the raw tables checked (the ingest of one source passes its own); default:
    every contract. Raises ``WarehouseTooNew`` or ``RebuildNeeded`` without changing anything."""
    contracts = list(load_contracts().values() if contracts is None else contracts)
    tables = _raw_columns(con)
    version = schema_version(con, tables)
    refuse_if_too_new(version)
    report = UpgradeReport(from_version=version, to_version=version)
    if version == SCHEMA_VERSION and all(
        c.name in tables and drift(tables[c.name], c) == ({}, []) for c in contracts
    ):
        return report  # current: nothing to write (the common case, once per ingest asset)

    ctx = Context(inbox=inbox or config.paths().inbox)
    con.execute("begin transaction")
    try:
        version = schema_version(con)  # as seen inside the transaction
        refuse_if_too_new(version)
        con.execute("create schema if not exists raw")
        con.execute(
            f"""create table if not exists {SCHEMA_TABLE} (
                version integer primary key, description varchar, applied_at timestamp,
                code_version varchar)"""
        )
        now = datetime.now(UTC).replace(tzinfo=None)
        code = config.code_version()
        for migration in MIGRATIONS:
            if migration.version > version:
                migration.apply(con, ctx)
                con.execute(
                    f"insert into {SCHEMA_TABLE} values (?, ?, ?, ?)",
                    [migration.version, migration.description, now, code],
                )
                report.applied.append(migration)
        report.to_version = SCHEMA_VERSION
        blocking: list[Drift] = []
        tables = _raw_columns(con)
        for contract in contracts:
            if contract.name not in tables:
                _create_table(con, contract)
                report.tables_created.append(contract.raw_table)
                continue
            to_add, problems = drift(tables[contract.name], contract)
            if problems:
                rows = con.execute(f"select count(*) from {contract.raw_table}").fetchone()[0]
                if rows:
                    blocking += problems
                    continue
                # Nothing in it to lose: make it again as the contract says.
                con.execute(f"drop table {contract.raw_table}")
                _create_table(con, contract)
                report.tables_recreated.append(contract.raw_table)
                continue
            for name, kind in to_add.items():
                con.execute(f'alter table {contract.raw_table} add column if not exists "{name}" {kind}')
                report.columns_added.append(f"{contract.raw_table}.{name}")
        if blocking:
            raise RebuildNeeded(blocking)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return report


def upgrade_warehouse(
    paths: config.Paths | None = None, contracts: Iterable[Contract] | None = None
) -> UpgradeReport:
    """Open the data directory's warehouse (creating it if new) and ``upgrade`` it."""
    paths = paths or config.paths()
    paths.data_dir.mkdir(parents=True, exist_ok=True)
    with config.connect(paths.warehouse) as con:
        return upgrade(con, contracts, inbox=paths.inbox)


def describe(report: UpgradeReport) -> list[str]:
    """What ``upgrade`` did, a line each (``observatory upgrade`` prints them)."""
    if report.from_version == report.to_version and not report.changed:
        return [f"Warehouse schema version {report.to_version}: up to date, nothing to migrate."]
    lines = [f"Warehouse schema version {report.from_version} -> {report.to_version}:"]
    lines += [f"  applied {m.version}: {m.description}" for m in report.applied]
    lines += [f"  created {t}" for t in report.tables_created]
    lines += [f"  added column {c} (earlier rows hold null)" for c in report.columns_added]
    lines += [f"  recreated {t} (it was empty)" for t in report.tables_recreated]
    return lines
