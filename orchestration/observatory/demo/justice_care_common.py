"""Shared machinery of the youth justice (``justice``) and children's social care (``care``) sources.

Both domains describe children drawn from the one resident population (``population.residents``):
a planted rate per ethnic group turns residents into expected events per (group, sex, age) cell,
and whole children are drawn from those cells, so a numerator and its denominator always describe
the same synthetic people. The same helpers write each extract the way a case-management system
exports it and plant dirty-mode faults at recorded PHYSICAL rows (``faults.py``).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from observatory.config import DBT_PROJECT_DIR
from observatory.contracts import normalise_label
from observatory.demo import faults as F
from observatory.demo import writers as W
from observatory.demo.authorities import CENSUS_CODES, Authority
from observatory.demo.context import DemoContext
from observatory.demo.education_roster import la_number
from observatory.demo.population import dfe_codes, draw_dfe_codes, residents

UNKNOWN = "unknown"  # the group of a record whose ethnicity is refused, not known or not obtained
SYNTHETIC = "SYNTHETIC"  # the value of every file's data-status column
MISSING_COLUMN = "missing_required_column"
_GOLDEN = (np.sqrt(5.0) - 1) / 2

# A source's fault planter: (fault kind, how many of that kind so far, clean row) ->
# (canonical column, text written, whether the XLSX cell is numeric, recorded fault name).
FaultCell = Callable[[str, int, int], tuple[str, str, bool, str]]


# --- years, planted parameters -------------------------------------------------------------


def reporting_year(year: int) -> tuple[np.datetime64, np.datetime64]:
    """The year ending 31 March ``year`` (the YJB, DfE and Home Office reporting year), inclusive."""
    return np.datetime64(f"{year - 1}-04-01", "D"), np.datetime64(f"{year}-03-31", "D")


def period_label(year: int) -> str:
    """2025 -> '2024-25', the reporting year as file names and titles print it."""
    return f"{year - 1}-{year % 100:02d}"


def interpolate(anchors: tuple[tuple[int, float], ...], year: int) -> float:
    """A planted value given at (year, value) anchors: linear in between, flat outside."""
    years, values = zip(*anchors, strict=True)
    return float(np.interp(year, years, values))


def old_la_code(authority: Authority) -> int:
    """The fictional 3-digit DfE LA number, the same one the education domain puts in UPNs and its
    EES files (no real English LA uses it), so benchmark rows of both domains join."""
    return la_number(authority)


def authority_factor(authority: Authority, salt: float) -> float:
    """A fixed multiplier (0.8 to 1.25) per authority and measure, not drawn from the seed.

    It moves every group's rate in a place by the same factor, so places differ (which the
    benchmarks need) while the planted rate ratios between groups stay exactly as configured."""
    return 0.8 + 0.45 * ((authority.index * _GOLDEN + salt) % 1.0)


# --- drawing children from residents -------------------------------------------------------


def cell_expectation(pop: np.ndarray, rate: np.ndarray, profile: np.ndarray) -> np.ndarray:
    """Expected events per (group, sex, age) cell.

    Group g's expected total is exactly ``rate[g]`` x its residents; a sex/age ``profile`` (shape
    (2, ages)) only decides which of the group's children they are, so the planted rate of every
    group is what was configured whatever its age structure."""
    weighted = pop * profile[None]
    totals = weighted.reshape(len(pop), -1).sum(axis=1)
    share = np.divide(
        weighted, totals[:, None, None], out=np.zeros_like(weighted), where=totals[:, None, None] > 0
    )
    return share * (rate * pop.reshape(len(pop), -1).sum(axis=1))[:, None, None]


def draw_counts(rng: np.random.Generator, expected: np.ndarray, sampling: str) -> np.ndarray:
    """Whole children per cell from expected counts (first axis = group).

    ``sampling='systematic'`` (the default of every planted config) rounds each group's total to
    floor(E + u): the realised count is within one of its expectation, so realised rate ratios sit
    on the planted ones in every file (like HR's low-discrepancy draws). ``'poisson'`` gives the
    year-to-year noise of real counts. Either way the group's children are spread over its cells
    by a multinomial draw."""
    flat = expected.reshape(expected.shape[0], -1)
    totals = flat.sum(axis=1)
    u = rng.random(totals.size)
    if sampling == "systematic":
        n = np.floor(totals + u).astype(np.int64)
    elif sampling == "poisson":
        n = rng.poisson(totals)
    else:
        raise ValueError(f"sampling must be 'systematic' or 'poisson', not {sampling!r}")
    out = np.zeros(flat.shape, dtype=np.int64)
    for g in np.flatnonzero(n):
        out[g] = rng.multinomial(n[g], flat[g] / totals[g])
    return out.reshape(expected.shape)


def expand(counts: np.ndarray) -> tuple[np.ndarray, ...]:
    """Cell counts -> one index array per axis, one entry per child (in cell order)."""
    flat = np.repeat(np.arange(counts.size), counts.ravel())
    return np.unravel_index(flat, counts.shape)


def random_days(rng: np.random.Generator, start: np.datetime64, end: np.datetime64, n: int) -> np.ndarray:
    """Uniform dates between start and end inclusive."""
    span = int((end - start).astype(np.int64)) + 1
    return start + rng.integers(0, span, n).astype("timedelta64[D]")


def _month_day(days: np.ndarray) -> np.ndarray:
    month = days.astype("datetime64[M]")
    return (month.astype(np.int64) % 12) * 32 + (days - month.astype("datetime64[D]")).astype(np.int64)


def age_on(dob: np.ndarray, when: np.ndarray) -> np.ndarray:
    """Age in whole years on a date (a birthday counts from the day itself)."""
    years = when.astype("datetime64[Y]").astype(np.int64) - dob.astype("datetime64[Y]").astype(np.int64)
    return years - (_month_day(when) < _month_day(dob))


def birth_dates(rng: np.random.Generator, age: np.ndarray, when: np.ndarray) -> np.ndarray:
    """Dates of birth that make each child exactly ``age`` on ``when`` (a day's margin either side
    of a birthday, so leap years never tip a child into the next year of age)."""
    fraction = 0.004 + 0.992 * rng.random(age.size)
    days = np.floor((age + fraction) * 365.25).astype(np.int64)
    return (when - days.astype("timedelta64[D]")).astype("datetime64[D]")


def unique_ids(rng: np.random.Generator, n: int, low: int, high: int) -> np.ndarray:
    """n distinct random integers in [low, high)."""
    return low + rng.choice(high - low, size=n, replace=False)


def pick(rng: np.random.Generator, options: tuple[tuple[str, float], ...], n: int) -> np.ndarray:
    """n draws from (value, weight) options."""
    p = np.array([w for _, w in options])
    return np.array([o for o, _ in options], dtype=object)[rng.choice(len(options), n, p=p / p.sum())]


def as_days(values: np.ndarray) -> np.ndarray:
    return np.asarray(values).astype(np.int64).astype("timedelta64[D]")


def draw_children(
    rng: np.random.Generator,
    authority: Authority,
    year: int,
    ages: np.ndarray,
    rate: np.ndarray,
    profile: np.ndarray,
    leavers_per_stock: float,
    sampling: str,
) -> tuple[np.ndarray, ...]:
    """Children (group, sex, age index) with a case open at 31 March at ``rate`` per child of each
    group, then ``leavers_per_stock`` times as many whose case closed during the year (same group
    rates); the last array says which children are still open at 31 March."""
    pop = residents(authority, year).counts[:, :, ages].astype(np.float64)
    expected = cell_expectation(pop, rate, profile)
    g1, s1, a1 = expand(draw_counts(rng, expected, sampling))
    g2, s2, a2 = expand(draw_counts(rng, expected * leavers_per_stock, sampling))
    still_open = np.r_[np.ones(g1.size, bool), np.zeros(g2.size, bool)]
    return np.r_[g1, g2], np.r_[s1, s2], np.r_[a1, a2], still_open


# --- ethnicity as the systems record it ----------------------------------------------------


@cache
def dfe_main_census() -> dict[str, str]:
    """DfE main code (the 18 + REFU/NOBT in SSDA903 and the CIN census) -> Census 2021 code or
    ``UNKNOWN``, from the main-code rows of the ethnicity_dfe_codes seed (CHNE -> ACHN, WIRT ->
    WGYP; Arab children have no main code of their own and are recorded OOTH)."""
    main = dfe_codes()[dfe_codes()["code_level"] != "extended"]
    return {r.dfe_code: (r.census_code or UNKNOWN) for r in main.itertuples()}


@cache
def label_census() -> dict[str, str]:
    """Normalised label (Census 2021 or HR style, 'Not known'...) -> Census code or ``UNKNOWN``."""
    path = DBT_PROJECT_DIR / "seeds" / "ethnicity" / "ethnicity_hr_labels.csv"
    with path.open(newline="", encoding="utf-8") as f:
        return {
            normalise_label(r["label_normalised"]): r["census_code"] or UNKNOWN for r in csv.DictReader(f)
        }


def share_within_groups(rng: np.random.Generator, group: np.ndarray, share: float) -> np.ndarray:
    """Flag floor(n x share + u) random children of each group (systematic, like ``draw_counts``),
    so an unknown-ethnicity share never shifts one group's count by chance more than by one."""
    flags = np.zeros(group.size, dtype=bool)
    u = rng.random(len(CENSUS_CODES))
    for g in range(len(CENSUS_CODES)):
        members = np.flatnonzero(group == g)
        k = min(members.size, int(np.floor(members.size * share + u[g])))
        if k:
            flags[rng.choice(members, k, replace=False)] = True
    return flags


def record_dfe_main(
    census_idx: np.ndarray,
    authority: Authority,
    rng: np.random.Generator,
    refused: float,
    not_obtained: float,
) -> np.ndarray:
    """The DfE main code a social worker records for each child: the code of the child's extended
    code (``draw_dfe_codes``: a Somali child is BAFR, a Kurdish child OOTH), except a share REFU
    (refused) and a share NOBT (not yet obtained)."""
    _, main = draw_dfe_codes(census_idx, authority, rng)
    unknown = share_within_groups(rng, census_idx, refused + not_obtained)
    refusal = rng.random(census_idx.size) < refused / (refused + not_obtained)
    return np.where(unknown, np.where(refusal, "REFU", "NOBT"), main).astype(object)


def map_values(values: np.ndarray, mapping: Callable[[str], str | None]) -> np.ndarray:
    """Apply ``mapping`` once per distinct value (a file holds a few dozen distinct labels)."""
    distinct, inverse = np.unique(np.asarray(values, dtype=object).astype(str), return_inverse=True)
    return np.array([mapping(v) for v in distinct.tolist()], dtype=object)[inverse.ravel()]


def census_of_dfe(main: np.ndarray) -> np.ndarray:
    return map_values(main, dfe_main_census().get)


def census_of_label(labels: np.ndarray) -> np.ndarray:
    return map_values(labels, lambda v: label_census().get(normalise_label(v)))


def positions(values: np.ndarray, order: list[str]) -> np.ndarray:
    index = {g: i for i, g in enumerate(order)}
    return map_values(values, lambda g: index.get(g, -1)).astype(np.int64)


def tally(groups: np.ndarray, order: list[str], mask: np.ndarray | None = None, ids=None) -> np.ndarray:
    """Rows (or, with ``ids``, distinct ids) per group in ``order``, over the rows in ``mask``.
    ``groups`` holds the values, or their positions in ``order`` from ``positions`` (-1 = none)."""
    idx = groups if groups.dtype.kind == "i" else positions(groups, order)
    keep = idx >= 0 if mask is None else (idx >= 0) & np.asarray(mask, dtype=bool)
    idx = idx[keep]
    if ids is not None:
        pairs = pd.DataFrame({"g": idx, "id": np.asarray(ids)[keep]}).drop_duplicates()
        idx = pairs["g"].to_numpy()
    return np.bincount(idx, minlength=len(order))


# --- writing one extract, with dirty-mode faults --------------------------------------------


@dataclass(frozen=True)
class Layout:
    """How a system writes one extract: its headers in file order and its file format."""

    system: str
    headers: tuple[tuple[str, str], ...]  # (canonical column, header in the file)
    fmt: str = "csv"  # "csv" or "xlsx"
    encoding: str = "cp1252"
    sheet: str = ""
    total_label: str = ""  # XLSX: a "Total ..." row below the data giving the record count

    def header(self, canonical: str) -> str:
        return dict(self.headers)[canonical]


@dataclass
class Written:
    """What writing one extract produced: its file record, its fault records and which clean rows
    count in the expected statistics (all but the faulty ones; a duplicated row's original counts)."""

    record: dict
    faults: list[dict]
    include: np.ndarray


def drops_column(ctx: DemoContext, authority: Authority, year: int) -> bool:
    """Dirty mode's one file per source that lacks a required column: the first authority's first
    year, unless that is the source's only file (then its row faults are worth more)."""
    several = len(ctx.authorities) * len(ctx.years) > 1
    return ctx.dirty is not None and several and authority == ctx.authorities[0] and year == ctx.years[0]


def file_level_fault(rel: str, layout: Layout, canonical: str) -> dict:
    return {
        "file": rel,
        "level": "file",
        "row": None,
        "data_row": None,
        "column": layout.header(canonical),
        "canonical_column": canonical,
        "value": None,
        "fault": MISSING_COLUMN,
    }


def _inject(cells: dict[str, W.Cells], plan: F.FaultPlan, fault_cell: FaultCell) -> dict[int, tuple]:
    """Overwrite the planned cells; clean row -> (column, text, numeric, fault name)."""
    done: dict[int, tuple] = {}
    seen: dict[str, int] = {}
    for row, kind in zip(plan.rows.tolist(), plan.kinds.tolist(), strict=True):
        j = seen[kind] = seen.get(kind, -1) + 1
        column, text, numeric, name = fault_cell(kind, j, row)
        if kind != F.DUPLICATE_ROW:
            cells[column].set(row, text, numeric=numeric)
        done[row] = (column, text, numeric, name)
    return done


def write_extract(
    inbox: Path,
    rel: str,
    layout: Layout,
    cells: dict[str, W.Cells],
    *,
    ctx: DemoContext,
    rng_faults: np.random.Generator,
    fault_cell: FaultCell,
    title_rows: tuple[str, ...] = (),
    id_column: str | None = None,
    drop_column: str | None = None,
) -> Written:
    """Write one extract (CSV, or XLSX with title rows and a Total row) and plant its faults.

    ``drop_column`` (dirty mode, one file per source) leaves a required column out: ingest must
    reject the whole file, so it is recorded as one file-level fault and carries no row faults."""
    n = cells[layout.headers[0][0]].text.size
    plan = F.FaultPlan(rows=np.empty(0, np.int64), kinds=np.empty(0, object), order=np.arange(n))
    injected: dict[int, tuple] = {}
    if ctx.dirty is not None and drop_column is None and n:
        plan = F.plan(rng_faults, n, ctx.dirty)
        injected = _inject(cells, plan, fault_cell)
    headers = tuple((c, h) for c, h in layout.headers if c != drop_column)
    order = plan.order
    columns = [cells[c] if order.size == n else cells[c].take(order) for c, _ in headers]
    header = [h for _, h in headers]

    footer_rows: list[int] = []
    if layout.fmt == "csv":
        W.write_csv(inbox / rel, header, columns, encoding=layout.encoding)
        title_rows = ()
    else:
        footer = [W.Cells.of_text(np.array([""], dtype=object)) for _ in header]
        footer[0] = W.Cells.of_text(np.array([layout.total_label], dtype=object))
        footer[1] = W.Cells.of_numbers(np.array([str(order.size)], dtype=object))
        W.write_xlsx(
            inbox / rel,
            sheet=layout.sheet,
            title_rows=title_rows,
            header=header,
            columns=columns,
            footer_rows=[footer],
        )
        footer_rows = [len(title_rows) + 1 + order.size + 1]
    header_row = len(title_rows) + 1

    first, copy = F.physical_rows(order, header_row + 1)
    include = np.ones(n, dtype=bool)
    fault_records = []
    for row, (column, text, numeric, name) in sorted(injected.items(), key=lambda kv: first[kv[0]]):
        duplicate = name == "duplicate_row"
        include[row] = duplicate  # only the copy of a duplicated row is faulty
        physical = int(copy[row] if duplicate else first[row])
        record = {
            "file": rel,
            "level": "row",
            "row": physical,
            "data_row": physical - header_row,
            "column": layout.header(column),
            "canonical_column": column,
            "value": float(text) if numeric else text,
            "fault": name,
        }
        if id_column is not None:
            record["record_id"] = str(cells[id_column].text[row])
        if duplicate:
            record["duplicate_of_row"] = int(first[row])
        fault_records.append(record)
    if drop_column is not None:
        fault_records.append(file_level_fault(rel, layout, drop_column))

    file_record = {
        "file": rel,
        "format": layout.fmt,
        "encoding": layout.encoding if layout.fmt == "csv" else None,
        "sheet": layout.sheet if layout.fmt == "xlsx" else None,
        "system": layout.system,
        "title_rows": list(range(1, len(title_rows) + 1)),
        "header_row": header_row,
        "first_data_row": header_row + 1,
        "last_data_row": header_row + order.size,
        "footer_rows": footer_rows,
        "data_rows": int(order.size),
        "header": header,
        "columns": {h: c for c, h in headers},
        "missing_columns": [] if drop_column is None else [layout.header(drop_column)],
    }
    return Written(file_record, fault_records, include)


# --- statistics and rendering helpers -------------------------------------------------------


def level_of(group: str) -> str:
    """The ``level`` of an expected-statistics row: a Census code, unknown, or the total."""
    return "total" if group == "all" else UNKNOWN if group == UNKNOWN else "census_code"


def dated_text(days: np.ndarray, fmt: str) -> W.Cells:
    """Dates as a CSV prints them (dd/mm/yyyy; NaT -> blank) or as XLSX date cells."""
    days = np.asarray(days, dtype="datetime64[D]")
    missing = np.isnat(days)
    safe = np.where(missing, np.datetime64("2000-01-01", "D"), days)
    if fmt == "xlsx":
        cells = W.Cells.of_numbers(np.where(missing, "", W.excel_serial(safe)), W.STYLE_DATE)
        cells.numeric = ~missing
        return cells
    return W.Cells.of_text(np.where(missing, "", W.uk_dates(safe)))


def integers(values: np.ndarray, fmt: str) -> W.Cells:
    text = np.asarray(values).astype(np.int64).astype(str)
    return W.Cells.of_numbers(text) if fmt == "xlsx" else W.Cells.of_text(text)


def spelled(values: np.ndarray, spelling: dict[str, str]) -> W.Cells:
    return W.Cells.of_text(pd.Series(values).map(spelling).to_numpy(dtype=object))
