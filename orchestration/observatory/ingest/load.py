"""Load validated extracts into the warehouse's private ``raw`` schema, idempotently.

Each file is recorded in ``raw.load_log`` with its checksum: the same file twice changes nothing,
and a corrected file for a period replaces that period's rows for its authority. Quarantined rows
go to ``raw.quarantine`` with the file, row, column, value and rule.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TypeVar

import duckdb
import pandas as pd

from observatory import config, crashpoints
from observatory.contracts import Contract
from observatory.ingest.parsing import excel_error
from observatory.ingest.pseudonymise import protect, resolve_key
from observatory.ingest.readers import ROW_COLUMN, ExtractError, RawExtract, read_extract
from observatory.ingest.validate import Validated, validate, validate_together
from observatory.migrations import META_COLUMNS, upgrade
from observatory.parallel import process_pool

T = TypeVar("T")


def sha256(file: Path) -> str:
    h = hashlib.sha256()
    with file.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass
class FileResult:
    file: Path
    sha256: str
    status: str  # loaded | skipped (already loaded) | rejected
    rows_in: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rule_counts: dict[str, int] = field(default_factory=dict)
    periods: list[str] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)
    skipped_rows: int = 0
    error: str = ""
    quarantine: pd.DataFrame | None = None
    # Seconds spent per step (checksum, read, protect, validate, load): `make bench` reads them from the
    # ingest asset's metadata to compare validation with reading (benchmarks/README.md).
    seconds: dict[str, float] = field(default_factory=dict)


def check_file(
    contract: Contract, file: Path, *, demo: bool, digest: str | None = None
) -> tuple[Validated, FileResult]:
    """Read, protect and validate one file without loading it (``observatory check`` uses this);
    ``digest``: its checksum, when the caller has it already."""
    ((_, outcome),) = check_files(contract, [(file, digest)], demo=demo)
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


Checked = tuple[Validated, FileResult] | Exception


def check_files(
    contract: Contract, files: list[tuple[Path, str | None]], *, demo: bool
) -> list[tuple[Path, Checked]]:
    """``check_file`` for each of ``files`` (with its checksum, or None), in order: each read and
    protected on its own, all validated in one pass (``validate_together``: a file's result is what it
    would be alone, and a small file's validation is mostly the fixed cost of a pass). A file's
    outcome is its result or the exception that kept it out."""
    read = [_attempt(partial(_read, contract, file, demo, digest)) for file, digest in files]
    ok = [r for r in read if not isinstance(r, Exception)]
    clock = time.perf_counter()
    try:
        together: list[Validated | Exception] = list(validate_together(contract, [e for e, _ in ok]))
    except Exception:  # a file that breaks validation itself: each alone, so the error is its own
        together = [_attempt(partial(validate, contract, extract)) for extract, _ in ok]
    seconds = time.perf_counter() - clock
    rows = sum(len(extract.frame) for extract, _ in ok)
    checked = iter(together)
    outcomes: list[tuple[Path, Checked]] = []
    for (file, _), was_read in zip(files, read, strict=True):
        if isinstance(was_read, Exception):
            outcomes.append((file, was_read))
            continue
        extract, result = was_read
        validated = next(checked)
        # The pass's seconds shared by rows, so `make bench` can still compare a source's validation
        # with its reading.
        share = len(extract.frame) / rows if rows else 1 / len(ok)
        result.seconds["validate"] = seconds * share
        outcomes.append(
            (
                file,
                validated
                if isinstance(validated, Exception)
                else _attempt(partial(_checked, contract, extract, validated, result)),
            )
        )
    return outcomes


def _attempt(step: Callable[[], T]) -> T | Exception:
    try:
        return step()
    except Exception as exc:  # the file's outcome: the caller names the file and goes on, or stops
        return exc


def _read(contract: Contract, file: Path, demo: bool, digest: str | None) -> tuple[RawExtract, FileResult]:
    """Read and pseudonymise one file."""
    clock = time.perf_counter()
    result = FileResult(file=file, sha256=digest or sha256(file), status="checked")
    result.seconds["checksum"] = time.perf_counter() - clock
    clock = time.perf_counter()
    extract = read_extract(file, contract)
    result.seconds["read"] = time.perf_counter() - clock
    clock = time.perf_counter()
    raw = extract.frame
    extract.frame = protect(raw, contract, resolve_key(demo=demo))
    for name in contract.identifiers:  # an Excel error (#N/A) is no one's id: kept, so it is quarantined
        extract.frame[name] = extract.frame[name].mask(excel_error(raw[name]), raw[name])
    result.seconds["protect"] = time.perf_counter() - clock
    return extract, result


def _checked(
    contract: Contract, extract: RawExtract, validated: Validated, result: FileResult
) -> tuple[Validated, FileResult]:
    """A validated file's result, or ExtractError when it cannot load: no authority to give its rows,
    or too many of them broken."""
    file = extract.file
    if _has(contract, "authority_code"):
        default = config.authority_code()
        auth = validated.loaded["authority_code"]
        if auth.isna().any():
            if default is None:
                raise ExtractError(
                    file,
                    "no authority_code column and no default authority configured",
                    f"an authority_code column, or {config.AUTHORITY_ENV} set to the council's code",
                )
            validated.loaded["authority_code"] = auth.fillna(default)
    result.rows_in = validated.rows_in
    result.rows_loaded = validated.rows_loaded
    result.rows_quarantined = validated.rows_quarantined
    result.rule_counts = validated.rule_counts
    result.unknown_columns = extract.unknown_columns
    result.skipped_rows = len(extract.skipped_rows)
    result.quarantine = validated.quarantine
    period = validated.loaded[contract.period_column]
    result.periods = sorted({_period_text(p) for p in period.dropna().unique()})
    share = result.rows_quarantined / result.rows_in if result.rows_in else 0.0
    if share > contract.max_quarantine_share:
        raise ExtractError(
            file,
            f"{result.rows_quarantined} of {result.rows_in} rows ({share:.0%}) break the contract's "
            f"rules, above the {contract.max_quarantine_share:.0%} limit; the file was not loaded. "
            f"Most common: {_top_rule(result.rule_counts)}",
            "a file mostly matching the contract (see docs/sources)",
        )
    return validated, result


def _period_text(value) -> str:
    """A period as load_log records it: ISO date for snapshot dates, else as given ('202324')."""
    return str(value.date()) if isinstance(value, pd.Timestamp) else str(value)


def _has(contract: Contract, name: str) -> bool:
    return any(c.name == name for c in contract.columns)


def _top_rule(rule_counts: dict[str, int]) -> str:
    if not rule_counts:
        return "-"
    rule, n = max(rule_counts.items(), key=lambda kv: kv[1])
    return f"{rule} ({n} rows)"


def ensure_tables(con: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    """The contract's raw table, the load log and the quarantine, at this release's schema version.

    Applies pending migrations and adds columns the contract gained (``observatory.migrations``);
    raises ``WarehouseTooNew`` or ``RebuildNeeded`` (nothing changed) when that cannot be done."""
    upgrade(con, [contract])


def already_loaded(con: duckdb.DuckDBPyConnection, source: str, digest: str) -> bool:
    """Whether this file (by checksum) was ever loaded, even if a later file has replaced it since.

    A replaced file left in the inbox must not be loaded again: every night it would replace its own
    replacement, and the two would take turns."""
    rows = con.execute(
        "select count(*) from raw.load_log where source = ? and file_sha256 = ?", [source, digest]
    ).fetchall()
    return rows[0][0] > 0


def load_file(con: duckdb.DuckDBPyConnection, contract: Contract, file: Path, *, demo: bool) -> FileResult:
    """Load one file in a single transaction; return what happened. ExtractError for a bad file."""
    ((_, outcome),) = load_files(con, contract, [file], demo=demo, workers=1)
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


# Above about this many seconds of reading and validating, files are checked in parallel processes:
# starting a worker (importing pandas and pandera) costs 2-3 s. Measured at London scale (`make
# bench`): about 0.1 s a file whatever its size, plus about 0.4 s a megabyte.
PARALLEL_ABOVE_SECONDS = 10.0
# DuckDB's WAL size that triggers a checkpoint, while a source loads (`_one_checkpoint`).
LOAD_CHECKPOINT_THRESHOLD = "1GB"


def _estimated_seconds(files: list[Path]) -> float:
    return sum(0.1 + 0.4 * f.stat().st_size / 1e6 for f in files)


def load_files(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    files: list[Path],
    *,
    demo: bool,
    workers: int | None = None,
) -> Iterator[tuple[Path, FileResult | Exception]]:
    """Load files in the order given, yielding each file with its result, or the exception that kept
    it out (an ExtractError names the file and the problem). The caller decides whether to go on.

    Reading, pseudonymising and validating (``check_files``, in batches of consecutive files up to
    ``BATCH_BYTES``) need no warehouse, so they run in up to ``workers`` processes (default: one per
    core, when the files are big enough to repay starting them), a few batches ahead of the one
    writer, this process: each file still loads in its own transaction and in order, so a later file
    for a period replaces an earlier one as before."""
    ensure_tables(con, contract)
    with _one_checkpoint(con):
        yield from _load_files(con, contract, files, demo=demo, workers=workers)


@contextmanager
def _one_checkpoint(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Checkpoint once, after the source's files, not at every file's commit: with DuckDB's default
    threshold (16 MiB of WAL) most commits rewrote the table's changed blocks, about half of the
    writer's time (``make bench``: 60 school census files, writer 21.7 s -> 12.4 s). Each file is
    still its own committed transaction, in the WAL until then, and a crash replays it."""
    (threshold,) = con.execute("select current_setting('checkpoint_threshold')").fetchone()
    con.execute(f"set checkpoint_threshold = '{LOAD_CHECKPOINT_THRESHOLD}'")
    try:
        yield
    finally:
        con.execute(f"set checkpoint_threshold = '{threshold}'")
        con.execute("checkpoint")


def _load_files(
    con: duckdb.DuckDBPyConnection, contract: Contract, files: list[Path], *, demo: bool, workers: int | None
) -> Iterator[tuple[Path, FileResult | Exception]]:
    # Each file with its checksum and, if already decided, its outcome: skipped (loaded before), or
    # the error that kept it from being read at all.
    todo: list[tuple[Path, str, FileResult | Exception | None]] = []
    hashing: dict[Path, float] = {}  # seconds, reported with the file's other steps
    for file in files:
        clock = time.perf_counter()
        try:
            digest = sha256(file)
        except OSError as exc:  # gone or unreadable since the inbox was listed
            todo.append((file, "", exc))
            continue
        skipped = already_loaded(con, contract.name, digest)
        hashing[file] = time.perf_counter() - clock
        seconds = {"checksum": hashing[file]}
        todo.append((file, digest, FileResult(file, digest, "skipped", seconds=seconds) if skipped else None))
    new = [(file, digest) for file, digest, decided in todo if decided is None]
    if workers is None:
        workers = config.cores() if _estimated_seconds([f for f, _ in new]) > PARALLEL_ABOVE_SECONDS else 1
    workers = max(1, min(workers, len(new)))
    batches = _batches(new)

    def outcome(file: Path, digest: str, checked: Checked) -> FileResult | Exception:
        if isinstance(checked, Exception):
            return checked
        validated, result = checked
        result.seconds["checksum"] = hashing[file]  # check_file was given the digest
        return _attempt(partial(_write, con, contract, file, digest, validated, result))

    with process_pool(workers) if workers > 1 else nullcontext() as pool:
        # A batch's outcomes, by batch number: checked in a worker (a Future) or here, when needed.
        checking: dict[int, Future | list[tuple[Path, Checked]]] = {}
        submitted = 0
        try:
            position = 0  # the next undecided file's place in ``new``, and so in its batch
            for file, digest, decided in todo:
                if decided is not None:
                    yield file, decided
                    continue
                number, index = batches.where[position]
                position += 1
                # At most two batches a worker in flight: checked files wait in memory for the writer.
                while pool is not None and submitted < min(number + 2 * workers, len(batches.files)):
                    checking[submitted] = pool.submit(
                        check_files, contract, batches.files[submitted], demo=demo
                    )
                    submitted += 1
                if number not in checking:
                    checking[number] = check_files(contract, batches.files[number], demo=demo)
                if isinstance(checking[number], Future):
                    checking[number] = _attempt(checking[number].result)
                outcomes = checking[number]
                if index == len(batches.files[number]) - 1:
                    del checking[number]  # the batch's last file: its frames can go
                if isinstance(outcomes, Exception):  # the worker died: each of its files says so
                    yield file, outcomes
                    continue
                yield file, outcome(file, digest, outcomes[index][1])
        finally:
            for checked in checking.values():  # the caller stopped (a missing key): drop what is queued
                if isinstance(checked, Future):
                    checked.cancel()


# Files are validated in batches of up to about this many bytes (``validate_together``): a pass
# over a batch costs a fixed ~50 ms however few its rows, and a batch of big files would hold back
# the writer and the other worker.
BATCH_BYTES = 4_000_000


@dataclass
class _Batches:
    files: list[list[tuple[Path, str]]]  # each batch's files with their checksums, in load order
    where: list[tuple[int, int]]  # for each file, its batch and its place in it


def _batches(files: list[tuple[Path, str]]) -> _Batches:
    """Consecutive files in batches of up to ``BATCH_BYTES`` (a bigger file alone)."""
    batches = _Batches([], [])
    size = 0
    for file, digest in files:
        try:
            bytes_ = file.stat().st_size
        except OSError:  # gone since it was hashed: its read says so
            bytes_ = 0
        if not batches.files or (size and size + bytes_ > BATCH_BYTES):
            batches.files.append([])
            size = 0
        batches.files[-1].append((file, digest))
        batches.where.append((len(batches.files) - 1, len(batches.files[-1]) - 1))
        size += bytes_
    return batches


def _write(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    file: Path,
    digest: str,
    validated: Validated,
    result: FileResult,
) -> FileResult:
    """Write one checked file in a single transaction: its rows replace those of the same period."""
    if already_loaded(con, contract.name, digest):  # the same bytes under another name, loaded just now
        return FileResult(file, digest, "skipped", seconds={"checksum": result.seconds["checksum"]})
    clock = time.perf_counter()
    now = config.now()
    modified = datetime.fromtimestamp(file.stat().st_mtime, UTC).replace(tzinfo=None, microsecond=0)
    rows = validated.loaded.rename(columns={ROW_COLUMN: "_source_row"})
    rows["_source_file"] = file.name
    rows["_file_sha256"] = digest
    rows["_loaded_at"] = now
    rows = rows[[c.name for c in contract.raw_columns] + list(META_COLUMNS)]
    quarantine = validated.quarantine.assign(
        source=contract.name, file_name=file.name, file_sha256=digest, loaded_at=now
    )
    by_authority = _has(contract, "authority_code")
    authorities = sorted(rows["authority_code"].dropna().unique()) if by_authority else []
    if contract.replaces == "file_name":
        same_period = "_source_file = (select any_value(_source_file) from incoming)"
    else:
        # A corrected file for a period replaces that period's rows (for the same authority).
        same_period = (
            f'''"{contract.period_column}" in (select distinct "{contract.period_column}" from incoming)'''
        )
        if by_authority:
            same_period += " and authority_code in (select distinct authority_code from incoming)"

    con.register("incoming", rows)
    con.register("incoming_quarantine", quarantine)
    con.execute("begin transaction")
    try:
        replaced = con.execute(
            f"select distinct _file_sha256 from {contract.raw_table} where {same_period}"
        ).fetchall()
        replaced_shas = [r[0] for r in replaced] + [digest]
        con.execute(f"delete from {contract.raw_table} where {same_period}")
        con.execute(
            """update raw.load_log set superseded = true
               where source = ? and (file_sha256 in (select unnest(?)) or file_name = ?)""",
            [contract.name, replaced_shas, file.name],
        )
        con.execute(
            """delete from raw.quarantine
               where source = ? and (file_sha256 in (select unnest(?)) or file_name = ?)""",
            [contract.name, replaced_shas, file.name],
        )
        con.execute(f"insert into {contract.raw_table} by name select * from incoming")
        con.execute(
            """insert into raw.quarantine by name
               select source, file_name, file_sha256, source_row, column_name, value, rule, loaded_at
               from incoming_quarantine"""
        )
        con.execute(
            """insert into raw.load_log (source, file_name, file_sha256, authority_codes, periods, rows_in,
                   rows_loaded, rows_quarantined, loaded_at, superseded, file_modified_at)
               values (?, ?, ?, ?, ?, ?, ?, ?, ?, false, ?)""",
            [
                contract.name,
                file.name,
                digest,
                ",".join(authorities),
                ",".join(result.periods),
                result.rows_in,
                result.rows_loaded,
                result.rows_quarantined,
                now,
                modified,
            ],
        )
        crashpoints.reached("ingest.load")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    finally:
        con.unregister("incoming")
        con.unregister("incoming_quarantine")
    result.status = "loaded"
    result.seconds["load"] = time.perf_counter() - clock
    return result
