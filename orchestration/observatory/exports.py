"""Exports: every published table as CSV and XLSX, for analysts who live in Excel.

Read from the published snapshot only (never the warehouse), after every publish. Each table becomes
``<table>.csv`` (UTF-8 with a byte-order mark, so Excel reads the accents) and ``<table>.xlsx`` (the
table, then a README sheet: the GSS symbols' meanings beside every table, methods reference §7), and
the folder holds ``README.csv`` with the same notes. Demo data directories say the data are synthetic.

Spreadsheet formula injection (OWASP "CSV injection"): a text cell beginning with = + - @, a tab or a
carriage return would run as a formula in Excel or LibreOffice, so it is written with a single quote in
front. Only text is touched: numbers, dates and booleans keep their types.

A set is written to a fresh directory and made live by swapping the ``exports`` link in one rename
(the site's publication mechanism), so a reader sees the old set or the new one, never half of one.
The set's index (``.export-set.json``) records the writer's version and each table's row order and
file checksums, so the site's downloads can be these files without writing them again.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import re
import time
import zipfile
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from importlib import metadata
from itertools import islice
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from observatory import config
from observatory.contracts import GSS_SYMBOLS
from observatory.parallel import map_in_processes
from observatory.site.publish import publish
from observatory.site.snapshot import ident

SCHEMA = "publish"
BUILDS_DIRNAME = "export-builds"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAX_ROWS = 1_048_576  # Excel's limit, header included: longer tables continue on further sheets
XLSX_MAX_TEXT = 32_767  # Excel's limit on a cell's text: longer text is cut there
DATETIME_FORMAT, DATE_FORMAT = "yyyy-mm-dd hh:mm:ss", "yyyy-mm-dd"
SYNTHETIC_LABEL = "SYNTHETIC DEMO DATA: the authorities, people and figures are fictional."
# Above about this many cells, the files are written in a process per core (starting one costs 2-3 s;
# XLSX is written at about 1.3 million cells a second, CSV at about 1 million).
PARALLEL_ABOVE_CELLS = 2_000_000
FETCH_ROWS = 50_000  # rows read from the snapshot at a time while a file is written
SET_INDEX = ".export-set.json"  # the writer's version, each table's order and file checksums
CORE_PROPERTIES = "docProps/core.xml"  # an XLSX's document times


@dataclass
class ExportResult:
    directory: Path
    tables: dict[str, int] = field(default_factory=dict)  # rows per table
    seconds: dict[str, float] = field(default_factory=dict)  # CSV + XLSX time per table


def neutralise(value: Any) -> Any:
    """Text a spreadsheet would run as a formula, with a single quote in front; anything else as is."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def csv_value(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, int | float | Decimal):
        return str(value)  # numbers, DECIMAL columns included, are never quoted
    return neutralise(str(value))  # lists, intervals: their text


def xlsx_value(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool | int | float | Decimal | datetime | date):
        return value  # Decimal is written as a number
    text = value if isinstance(value, str) else str(value)
    # Control characters XML cannot hold would make the workbook unreadable.
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", text))


def readme_rows(manifest: list[tuple], *, demo: bool) -> list[tuple[str, str]]:
    """What every export says about itself: synthetic or not, when published, the symbols."""
    rows: list[tuple[str, str]] = []
    if demo:
        rows.append(("data", SYNTHETIC_LABEL))
    if manifest:
        published_at, version = manifest[0]
        rows.append(("published_at", f"{published_at:%Y-%m-%d %H:%M:%S} UTC"))
        rows.append(("code_version", str(version)))
    rows.append(
        (
            "source",
            "Race Equality Observatory, published snapshot (publish.* tables); every column is "
            "described in dbt_project/models/publish/, and the manifest lists each table's sources",
        )
    )
    for symbol, meaning in GSS_SYMBOLS.items():
        rows.append((f"symbol {symbol}", meaning))
    rows.append(("symbol (none)", "a number is given; 0 only for a true zero"))
    rows.append(
        (
            "text cells",
            "text beginning with = + - @, a tab or a carriage return starts with a ' added so that "
            "spreadsheets never run it as a formula",
        )
    )
    return rows


def export_snapshot(snapshot: Path, target: Path, *, demo: bool, workers: int | None = None) -> ExportResult:
    """Export every table of the snapshot's publish schema into a new set made live at ``target``.

    Each file is written by one task (a table's CSV, its XLSX), largest first, in up to ``workers``
    processes (default: one per core, when the snapshot is big enough to repay starting them): at
    London scale one table's XLSX is most of the time, and the rest fits beside it."""
    target = Path(target)
    if target.is_dir() and not target.is_symlink():
        # Never adopt (and later prune) a folder of someone's files: only an empty one is replaced.
        if any(target.iterdir()):
            raise FileExistsError(
                f"{target} is a folder with files in it; exports go to a new or empty folder "
                "(they are kept as a link to a complete set)"
            )
        target.rmdir()
    result = ExportResult(directory=target)
    with config.connect(snapshot, read_only=True) as con:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = ? order by 1",
                [SCHEMA],
            ).fetchall()
        ]
        manifest = (
            con.execute(f"select published_at, code_version from {SCHEMA}.manifest limit 1").fetchall()
            if "manifest" in tables
            else []
        )
        readme = readme_rows(manifest, demo=demo)
        stamp = manifest[0][0] if manifest else None  # XLSX times: the publication's, not the clock's
        from observatory.site.downloads import table_orders  # the site imports this module

        orders = table_orders()  # the site's downloads are these files (site/downloads.py)

        sizes = {t: _size(con, t) for t in tables}
        if workers is None:
            workers = (
                config.cores() if sum(cells for _, cells in sizes.values()) > PARALLEL_ABOVE_CELLS else 1
            )
        tasks = sorted(
            ((t, kind) for t in tables for kind in ("xlsx", "csv")), key=lambda tk: -sizes[tk[0]][1]
        )

        def write(out: Path) -> None:
            write_readme_csv(out / "README.csv", readme)
            args = (snapshot, out, orders, readme, stamp)
            done = dict(zip(tasks, map_in_processes(_export_file, tasks, args, workers), strict=True))
            for table in tables:
                result.tables[table] = sizes[table][0]
                result.seconds[table] = round(done[table, "csv"][0] + done[table, "xlsx"][0], 2)
            index = {
                "writer": writer_version(),
                "tables": {
                    t: {"order_by": list(orders.get(t, ())), **{k: done[t, k][1] for k in ("csv", "xlsx")}}
                    for t in tables
                },
            }
            (out / SET_INDEX).write_text(json.dumps(index, indent=1, sort_keys=True) + "\n")

        result.directory = publish(
            target, write, builds=target.parent / BUILDS_DIRNAME, crash_point="exports.written"
        )
    return result


def _size(con: duckdb.DuckDBPyConnection, table: str) -> tuple[int, int]:
    """A table's rows and cells."""
    rows = con.execute(f'select count(*) from {SCHEMA}."{table}"').fetchone()[0]
    return rows, rows * len(con.execute(f'select * from {SCHEMA}."{table}" limit 0').description)


def _export_file(
    task: tuple[str, str], snapshot: Path, out: Path, orders: dict, readme, stamp: datetime | None
) -> tuple[float, str]:
    """Write one table's CSV or XLSX from the snapshot (read-only, so workers may read it at once),
    streamed in batches: memory stays at a batch, however long the table. Returns its seconds and
    the file's checksum."""
    started = time.perf_counter()
    table, kind = task
    path = out / f"{table}.{kind}"
    with config.connect(snapshot, read_only=True) as con:
        write_table_file(con, table, kind, path, orders.get(table, ()), readme, stamp)
    return time.perf_counter() - started, file_sha256(path)


def write_table_file(
    con: duckdb.DuckDBPyConnection,
    table: str,
    kind: str,
    path: Path,
    first: Sequence[str],
    readme,
    stamp: datetime | None,
) -> None:
    """publish.<table> of the snapshot ``con`` reads as ``path``, a CSV or an XLSX (``kind``), in
    ``ordered_select``'s order, fetched a batch at a time: memory stays at a batch however long the
    table (the site's downloads write theirs with it too). DATE columns are formatted as dates."""
    # The XLSX writer lays its sheets out before it reads a row, so it is told the count first.
    count = (
        con.execute(f"select count(*) from {SCHEMA}.{ident(table)}").fetchall()[0][0]
        if kind == "xlsx"
        else None
    )
    cur = con.execute(ordered_select(table, first))
    header = [d[0] for d in cur.description]
    dates = [d[0] for d in cur.description if str(d[1]) == "DATE"]
    rows = (row for batch in iter(lambda: cur.fetchmany(FETCH_ROWS), []) for row in batch)
    if kind == "csv":
        write_csv(path, header, rows)
    else:
        write_xlsx(path, table, header, rows, readme, stamp=stamp, count=count, dates=dates)


def file_sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


XLSX_LIBRARY = "rustpy-xlsxwriter"  # the distribution; its module is rustpy_xlsxwriter


@cache
def writer_version() -> str:
    """This module's code and the XLSX library's version, as a digest: files written by another
    version of either may differ byte for byte."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update(f"{XLSX_LIBRARY} {metadata.version(XLSX_LIBRARY)}".encode())
    return digest.hexdigest()[:16]


def ordered_select(table: str, first: Sequence[str] = ()) -> str:
    """``select *`` from publish.<table> in one order: the ``first`` columns (the order a page reads the
    table in), then every column, so rows tied on ``first`` are never reordered between runs."""
    if not first:
        return f'select * from {SCHEMA}."{table}" order by all'
    columns = ", ".join(ident(c) for c in first)
    return f'select * from {SCHEMA}."{table}" order by {columns}, columns(*)'


def write_readme_csv(path: Path, readme: list[tuple[str, str]]) -> None:
    write_csv(path, ["topic", "note"], readme)


def write_csv(path: Path, header: list[str], rows: Iterable[tuple]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow([csv_value(h) for h in header])
        writer.writerows([csv_value(v) for v in row] for row in rows)


def write_xlsx(
    path: Path,
    table: str,
    header: list[str],
    rows: Iterable[tuple],
    readme,
    *,
    stamp: datetime | None = None,
    count: int | None = None,
    dates: Collection[str] | None = None,
) -> None:
    """The table (on as many sheets as Excel's row limit needs), then the README sheet.

    rustpy-xlsxwriter (Rust's rust_xlsxwriter) streams the rows into the file at about 1.3 million
    cells a second, 6x XlsxWriter's pure-Python writer (London's outcome table: 33 s, was 210 s).
    Text is only ever a text cell (never a formula, number or link); formula-like text is neutralised
    and characters XML cannot hold removed. ``count`` is the number of rows (the writer reads them
    only when it saves, so the sheets are laid out first; without it the rows are listed), ``dates``
    the columns of dates without a time (found in the rows when not given). With ``stamp`` (the
    publication time) the file is byte-identical for the same data: the workbook's times are the
    stamp, not the clock (every zip entry's is rust_xlsxwriter's fixed 1980-01-01)."""
    from rustpy_xlsxwriter import FastExcel, Format  # a worker imports it only if it writes XLSX

    if count is None:
        rows = list(rows)
        count = len(rows)
    if dates is None:
        dates = _date_columns(header, rows) if isinstance(rows, list) else ()
    book = FastExcel(str(path)).format(datetime_format=DATETIME_FORMAT, bold_headers=False)
    date_format = {c: Format().set_num_format(DATE_FORMAT) for c in dates}
    rows = iter(rows)
    for part in range(max(1, -(-count // (XLSX_MAX_ROWS - 1)))):
        name = table[:31] if part == 0 else f"{table[:26]} ({part + 1})"
        body = islice(rows, XLSX_MAX_ROWS - 1)
        # An empty table still has its header, which the writer takes from a frame's columns.
        data = (dict(zip(header, map(_xlsx_cell, row), strict=True)) for row in body) if count else None
        book.sheet(name, data if count else pd.DataFrame(columns=header), column_formats=date_format or None)
    book.sheet("README", [{"topic": _xlsx_cell(t), "note": _xlsx_cell(n)} for t, n in readme])
    book.save()
    if stamp is not None:
        _pin_times(path, stamp)


def _xlsx_cell(value: Any) -> Any:
    """A value as the workbook holds it: plain numbers, text and booleans as they are (the fast
    path: tens of millions of cells at London scale), null and NaN empty, dates as dates, Decimal as
    a number, anything else (lists, intervals) as its text."""
    kind = type(value)
    if kind is int or kind is bool or kind is datetime or kind is date:
        return value
    if kind is float:
        return value if value == value else None
    if kind is str:
        # isprintable() is a fast test that there is no control character to remove.
        text = value if value.isprintable() else ILLEGAL_CHARACTERS_RE.sub("", value)
        return neutralise(text)[:XLSX_MAX_TEXT]
    value = xlsx_value(value)
    if isinstance(value, Decimal):
        return float(value)
    return value[:XLSX_MAX_TEXT] if isinstance(value, str) else value


def _date_columns(header: Sequence[str], rows: list[tuple]) -> list[str]:
    """Columns whose first value that is not null is a date without a time."""
    found = []
    for c, name in enumerate(header):
        first = next((row[c] for row in rows if row[c] is not None), None)
        if isinstance(first, date) and not isinstance(first, datetime):
            found.append(name)
    return found


def _pin_times(path: Path, stamp: datetime) -> None:
    """Set the workbook's created and modified times (``docProps/core.xml``) to ``stamp``.

    rust_xlsxwriter gives every zip entry one fixed time (1980-01-01) and the document the clock's,
    so core.xml is all that differs between two writes of the same rows. It and the small entries
    after it are written again; the sheets before it keep their compressed bytes where they are
    (re-deflating every entry took as long as writing the workbook: gigabytes of sheet XML at London
    scale). zipfile's append mode writes from ``start_dir`` and truncates what is left."""
    stamp = max(stamp.replace(tzinfo=None, microsecond=0), datetime(1980, 1, 1))
    w3c = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(path, "a") as book:
        entries = sorted(book.infolist(), key=lambda info: info.header_offset)
        first = next((n for n, info in enumerate(entries) if info.filename == CORE_PROPERTIES), None)
        if first is None:
            return  # no document times to pin
        tail = [(info, book.read(info)) for info in entries[first:]]
        for info, _ in tail:
            book.filelist.remove(info)
            del book.NameToInfo[info.filename]
        book.start_dir = entries[first].header_offset
        for info, data in tail:
            if info.filename == CORE_PROPERTIES:
                data = re.sub(
                    rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)",
                    lambda m: m.group(1) + w3c + m.group(3),
                    data,
                )
            entry = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            entry.external_attr = info.external_attr
            book.writestr(entry, data, compress_type=zipfile.ZIP_DEFLATED)
