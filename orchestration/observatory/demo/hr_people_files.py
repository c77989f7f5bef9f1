"""Writing the HR people-process extracts as council systems export them, and recording exactly what
was written (shared by recruitment, casework, leavers and training).

A source module describes its columns (``SourceSpec.kinds``), the systems councils use for it
(``System``: header names, value spellings, CSV or XLSX, where the synthetic marker sits) and which
columns its dirty-mode faults hit (``FaultTargets``). ``write_extract`` renders a canonical frame
through the authority's system, injects the planned faults, writes the file and returns the file
record, the fault records and the clean rows that stay in the expected statistics.

Every file says it is synthetic inside: XLSX reports carry two title rows; a CSV carries either a
title line above its header (which ingest skips as a title row) or a ``Data Status`` column holding
``SYNTHETIC`` in every row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from observatory.demo import faults as F
from observatory.demo import writers as W
from observatory.demo.authorities import Authority
from observatory.demo.context import DemoContext
from observatory.demo.ethnicity import load_labels

KINDS = ("text", "date", "number", "money", "category")
SYNTHETIC = "SYNTHETIC"
DATA_STATUS = "data_status"  # canonical name of the optional synthetic-marker column
FILE_FAULT = "missing_required_column"
FAULT_NAMES = {
    F.UNKNOWN_LABEL: "unknown_ethnicity_label",
    F.DUPLICATE_ROW: "duplicate_row",
    F.IMPOSSIBLE_DATE: "impossible_date",
    F.NEGATIVE_NUMBER: "negative_number",
    F.TEXT_IN_NUMERIC: "text_in_numeric",
    F.OUT_OF_RANGE: "out_of_range",
}


@dataclass(frozen=True)
class System:
    """How one council system exports one source.

    ``spellings`` maps each category column's canonical values to the spellings the system writes
    (several spellings = a field holding legacy values, chosen at random per row)."""

    name: str
    headers: tuple[tuple[str, str], ...]  # (canonical column, header in the file), in file order
    fmt: str  # "csv" or "xlsx"
    spellings: Mapping[str, Mapping[str, tuple[str, ...]]]
    title_line: bool = False  # CSV: a title line above the header
    total_row: bool = False  # CSV: a "Total" line below the data (XLSX reports always have one)
    pound: bool = False  # CSV money as "£1,234.00" rather than "1234.00"
    sheet: str = "Report"
    # XLSX only from the year ending 31 March ``xlsx_from``; earlier years the same report came as
    # CSV with a title line (as the payroll's latest snapshot alone is XLSX). Keeps the big
    # sources' England-scale runs quick: XLSX costs several times what CSV does to write.
    xlsx_from: int | None = None

    def __post_init__(self) -> None:
        if self.fmt not in ("csv", "xlsx"):
            raise ValueError(f"{self.name}: format must be csv or xlsx")
        canonical = [c for c, _ in self.headers]
        if self.fmt == "csv" and not self.title_line and DATA_STATUS not in canonical:
            raise ValueError(f"{self.name}: a CSV needs a title line or a data status column")

    def for_year(self, year: int) -> System:
        if self.fmt == "xlsx" and self.xlsx_from is not None and year < self.xlsx_from:
            return replace(self, fmt="csv", title_line=True, xlsx_from=None)
        return self

    @property
    def marker(self) -> str:
        if self.fmt == "xlsx":
            return "title rows"
        return "title line" if self.title_line else "data status column"


@dataclass(frozen=True)
class FaultTargets:
    """Which columns the generic dirty-mode faults hit (row faults; the missing column is separate)."""

    date: str
    number: str
    out_of_range: tuple[str, ...]  # values outside the column's plausible range, as written
    text_in_numeric: tuple[str, ...] = ("n/a", "TBC")
    label: str = "ethnicity"


@dataclass(frozen=True)
class SourceSpec:
    source: str
    title: str  # what the report is, for its title row
    kinds: Mapping[str, str]  # canonical column -> one of KINDS
    required: tuple[str, ...]  # columns a contract should require (one is dropped in dirty mode)
    id_column: str  # identifies a row in fault records
    systems: tuple[System, ...]
    faults: FaultTargets
    missing_column: str  # the required column missing from one dirty file
    missing_year: int  # that file's year (the first authority's), or the last year if not generated

    def system_for(self, authority: Authority) -> System:
        """Authorities rotate through the systems; the first authority (Northbrook) uses system 0."""
        return self.systems[(authority.index - 1) % len(self.systems)]


@dataclass
class Written:
    record: dict
    faults: list[dict]
    include: np.ndarray  # clean rows that stay in the expected statistics


def financial_year(year: int) -> str:
    """The financial year ending 31 March ``year``: 2024 -> '2023-24'."""
    return f"{year - 1}-{year % 100:02d}"


def fy_bounds(year: int) -> tuple[np.datetime64, np.datetime64]:
    return np.datetime64(f"{year - 1}-04-01", "D"), np.datetime64(f"{year}-03-31", "D")


def file_name(source: str, authority: Authority, year: int, fmt: str) -> str:
    return f"{source}_{authority.code}_{financial_year(year)}_synthetic.{fmt}"


def sequence_ids(template: str, year: int, n: int) -> np.ndarray:
    """Record ids 1..n in a system's style: template 'ER-{yy}-' + width, e.g. ('ER-{yy}-', 4)."""
    prefix, width = template.rsplit("|", 1)
    digits = np.strings.zfill(np.arange(1, n + 1).astype(np.str_), int(width))
    return (prefix.format(yy=f"{year % 100:02d}") + digits).astype(object)


def clean_folder(folder: Path, source: str) -> None:
    """Delete this source's own earlier files only, so a rerun at another scale leaves no strays."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob(f"{source}_X09*_synthetic.*"):
        old.unlink()


# --- rendering ------------------------------------------------------------------------------


def spell(
    values: np.ndarray, spellings: Mapping[str, tuple[str, ...]], rng: np.random.Generator
) -> np.ndarray:
    """Canonical category values -> the system's spellings; '' (not recorded) stays ''."""
    out = np.full(values.size, "", dtype=object)
    for value, options in spellings.items():
        rows = np.flatnonzero(values == value)
        if rows.size == 0:
            continue
        if len(options) == 1:
            out[rows] = options[0]
        else:
            out[rows] = np.array(options, dtype=object)[rng.integers(0, len(options), rows.size)]
    unspelled = (out == "") & (values != "")
    if unspelled.any():
        raise ValueError(f"no spelling for {sorted(set(values[unspelled]))}")
    return out


def _dates(values: np.ndarray, xlsx: bool) -> W.Cells:
    days = np.asarray(values, dtype="datetime64[D]")
    missing = np.isnat(days)
    safe = np.where(missing, np.datetime64("2000-01-01", "D"), days)
    if xlsx:
        return W.Cells.of_numbers(np.where(missing, "", W.excel_serial(safe)), W.STYLE_DATE)
    return W.Cells.of_text(np.where(missing, "", W.uk_dates(safe)))


def _numbers(values: np.ndarray, kind: str, system: System) -> W.Cells:
    x = np.asarray(values, dtype=np.float64)
    missing = np.isnan(x)
    safe = np.where(missing, 0.0, x)
    if system.fmt == "xlsx":
        style = W.STYLE_MONEY if kind == "money" else W.STYLE_GENERAL
        return W.Cells.of_numbers(np.where(missing, "", W.decimal(safe)), style)
    text = W.money(safe, pound=system.pound) if kind == "money" else W.decimal(safe)
    return W.Cells.of_text(np.where(missing, "", text))


def render(
    frame: pd.DataFrame, spec: SourceSpec, system: System, rng: np.random.Generator
) -> dict[str, W.Cells]:
    """Canonical values -> the cells the system writes, per canonical column (UK dates; XLSX keeps
    dates and numbers as numbers with a display format, as a report saved from Excel does)."""
    out: dict[str, W.Cells] = {}
    for canonical, _ in system.headers:
        kind = spec.kinds[canonical]
        if canonical == DATA_STATUS:
            out[canonical] = W.Cells.of_text(np.full(len(frame), SYNTHETIC, dtype=object))
        elif kind == "date":
            out[canonical] = _dates(frame[canonical].to_numpy(), system.fmt == "xlsx")
        elif kind in ("number", "money"):
            out[canonical] = _numbers(frame[canonical].to_numpy(), kind, system)
        elif kind == "category":
            values = frame[canonical].to_numpy(dtype=object)
            out[canonical] = W.Cells.of_text(spell(values, system.spellings[canonical], rng))
        else:
            out[canonical] = W.Cells.of_text(frame[canonical].fillna("").to_numpy(dtype=object))
    return out


# --- faults ---------------------------------------------------------------------------------


def _fault_cell(
    kind: str,
    j: int,
    row: int,
    frame: pd.DataFrame,
    cells: dict[str, W.Cells],
    spec: SourceSpec,
    system: System,
    year: int,
) -> tuple[str, str, bool]:
    """(canonical column, text, numeric) of the j-th fault of this kind, planted at clean row ``row``."""
    t = spec.faults
    csv_file = system.fmt == "csv"
    if kind == F.UNKNOWN_LABEL:
        unmapped = load_labels().unmapped()
        return t.label, unmapped[j % len(unmapped)], False
    if kind == F.IMPOSSIBLE_DATE:
        return t.date, f"{('31/02', '30/02', '31/04', '31/09')[j % 4]}/{year}", False
    if kind == F.NEGATIVE_NUMBER:
        value = float(frame.at[row, t.number])
        amount = np.array([-max(abs(value) if np.isfinite(value) else 1.0, 1.0)])
        if not csv_file:
            return t.number, str(W.decimal(amount)[0]), True
        money = spec.kinds[t.number] == "money"
        return t.number, str((W.money(amount, pound=system.pound) if money else W.decimal(amount))[0]), False
    if kind == F.TEXT_IN_NUMERIC:
        return t.number, t.text_in_numeric[j % len(t.text_in_numeric)], False
    if kind == F.OUT_OF_RANGE:
        return t.number, t.out_of_range[j % len(t.out_of_range)], not csv_file
    if kind == F.DUPLICATE_ROW:
        return spec.id_column, str(cells[spec.id_column].text[row]), False
    raise ValueError(kind)  # pragma: no cover - a kind no source plants


def inject(
    cells: dict[str, W.Cells],
    frame: pd.DataFrame,
    plan: F.FaultPlan,
    spec: SourceSpec,
    system: System,
    year: int,
) -> dict[int, tuple[str, str, bool, str]]:
    """Overwrite the planned cells; clean row -> (canonical column, text, numeric, fault name).
    Loops over the ~1% faulty rows only."""
    done: dict[int, tuple[str, str, bool, str]] = {}
    seen: dict[str, int] = {}
    for row, kind in zip(plan.rows.tolist(), plan.kinds.tolist(), strict=True):
        j = seen[kind] = seen.get(kind, -1) + 1  # faults of this kind so far: rotates the variants
        column, text, numeric = _fault_cell(kind, j, row, frame, cells, spec, system, year)
        if kind != F.DUPLICATE_ROW:
            cells[column].set(row, text, numeric=numeric)
        done[row] = (column, text, numeric, FAULT_NAMES[kind])
    return done


# --- writing --------------------------------------------------------------------------------


def _write_csv(
    path: Path,
    preamble: Sequence[str],
    header: Sequence[str],
    columns: Sequence[W.Cells],
    footer: Sequence[Sequence[str]],
) -> None:
    """Like writers.write_csv (cp1252, CRLF, minimal quoting) with title lines and a totals line."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerows([line] for line in preamble)
    writer.writerow(header)
    writer.writerows(zip(*(c.text.tolist() for c in columns), strict=True))
    writer.writerows(footer)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue().encode("cp1252"))


def _titles(spec: SourceSpec, authority: Authority, year: int, seed: int) -> list[str]:
    start, end = (pd.Timestamp(d).strftime("%d/%m/%Y") for d in fy_bounds(year))
    return [
        f"SYNTHETIC DEMO DATA - {authority.name} {spec.title} {start} to {end}",
        f"Fictional council generated by observatory.demo (seed {seed}); not real people.",
    ]


def _drops_column(spec: SourceSpec, authority: Authority, year: int, ctx: DemoContext) -> bool:
    """Dirty mode: the first authority's file for the spec's year (else the last year) lacks a column."""
    if ctx.dirty is None or authority != ctx.authorities[0]:
        return False
    return year == (spec.missing_year if spec.missing_year in ctx.years else max(ctx.years))


def write_extract(
    folder: Path,
    spec: SourceSpec,
    authority: Authority,
    year: int,
    frame: pd.DataFrame,
    ctx: DemoContext,
    rng: np.random.Generator,
) -> Written:
    """Write one authority-year extract; ``rng`` picks spellings (faults use their own stream)."""
    system = spec.system_for(authority).for_year(year)
    name = file_name(spec.source, authority, year, system.fmt)
    cells = render(frame, spec, system, rng)
    n = len(frame)
    drop = _drops_column(spec, authority, year, ctx)
    if ctx.dirty is not None and not drop:
        plan = F.plan(ctx.rng(spec.source, authority.index, year, 1), n, ctx.dirty)
        injected = inject(cells, frame, plan, spec, system, year)
    else:
        plan = F.FaultPlan(rows=np.empty(0, np.int64), kinds=np.empty(0, object), order=np.arange(n))
        injected = {}
    headers = tuple((c, h) for c, h in system.headers if not (drop and c == spec.missing_column))
    order = plan.order
    columns = [cells[c] if order.size == n else cells[c].take(order) for c, _ in headers]
    header = [h for _, h in headers]

    titles = _titles(spec, authority, year, ctx.seed)
    footer_rows: list[int] = []
    if system.fmt == "xlsx":
        title_rows = titles
        total = [W.Cells.of_text(np.array([""], dtype=object)) for _ in header]
        total[0] = W.Cells.of_text(np.array(["Total"], dtype=object))
        total[1] = W.Cells.of_numbers(np.array([str(order.size)], dtype=object))
        W.write_xlsx(
            folder / name,
            sheet=system.sheet,
            title_rows=title_rows,
            header=header,
            columns=columns,
            footer_rows=[total],
        )
        footer_rows = [len(title_rows) + 1 + order.size + 1]
    else:
        title_rows = titles[:1] if system.title_line else []
        footer = [["Total", str(order.size)]] if system.total_row else []
        _write_csv(folder / name, title_rows, header, columns, footer)
        footer_rows = [len(title_rows) + 1 + order.size + 1] if footer else []
    header_row = len(title_rows) + 1

    rel = f"{spec.source}/{name}"
    header_of = dict(headers)
    first, copy = F.physical_rows(order, header_row + 1)
    fault_records, excluded = [], np.zeros(n, dtype=bool)
    for row, (column, text, numeric, fault) in sorted(injected.items(), key=lambda kv: first[kv[0]]):
        duplicate = fault == FAULT_NAMES[F.DUPLICATE_ROW]
        excluded[row] = not duplicate  # only a duplicate's copy is faulty; ingest keeps the first
        physical = int(copy[row] if duplicate else first[row])
        record = {
            "file": rel,
            "row": physical,
            "data_row": physical - header_row,
            "column": header_of[column],
            "canonical_column": column,
            "value": float(text) if numeric else text,
            "fault": fault,
            "id_column": header_of[spec.id_column],
            "record_id": str(cells[spec.id_column].text[row]),
        }
        if duplicate:
            record["duplicate_of_row"] = int(first[row])
        fault_records.append(record)
    if drop:
        fault_records.append(
            {
                "file": rel,
                "row": None,
                "data_row": None,
                "column": dict(system.headers)[spec.missing_column],
                "canonical_column": spec.missing_column,
                "value": None,
                "fault": FILE_FAULT,
                "level": "file",
            }
        )

    start, end = fy_bounds(year)
    record = {
        "file": rel,
        "source": spec.source,
        "authority_code": authority.code,
        "financial_year": financial_year(year),
        "period_start": str(start),
        "period_end": str(end),
        "format": system.fmt,
        "encoding": "cp1252" if system.fmt == "csv" else None,
        "sheet": system.sheet if system.fmt == "xlsx" else None,
        "title_rows": list(range(1, len(title_rows) + 1)),
        "header_row": header_row,
        "first_data_row": header_row + 1,
        "last_data_row": header_row + order.size,
        "footer_rows": footer_rows,
        "data_rows": int(order.size),
        "header": header,
        "columns": {h: c for c, h in headers},
        "values": {
            c: {s: v for v, spellings in system.spellings[c].items() for s in spellings}
            for c, _ in headers
            if spec.kinds[c] == "category"
        },
        "system": system.name,
        "synthetic_marker": system.marker,
        "file_fault": FILE_FAULT if drop else None,
    }
    return Written(record=record, faults=fault_records, include=~excluded)
