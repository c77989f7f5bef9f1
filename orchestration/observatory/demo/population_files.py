"""Population denominators (future contract: sources/population.yml) as councils download them.

Two kinds of file go into ``inbox/population/``, every number taken from ``population.residents``
so that a rate's denominator describes exactly the people other domains draw numerators from:

* ``population_census2021_ts021_synthetic.csv``: the ONS Census 2021 TS021 bulk CSV shape (Nomis):
  ``date, geography, geography code`` then one column per category headed with the real TS021
  wording ("Ethnic group: Total: All usual residents", "Ethnic group: Asian, Asian British or Asian
  Welsh", "Ethnic group: Asian, Asian British or Asian Welsh: Bangladeshi", ...: the total, 5 high-level
  groups and 19 categories). One row for England (E92000001), London (E12000007) and each of the 150
  fictional authorities whatever the scale, so every authority can be compared with every other.
  England and London are the sums of the fictional authorities (real codes, synthetic values).
  Census day 2021 is taken as the mid-2021 population: ``residents(authority, 2022)``.
* ``population_<code>_mid<yyyy>_synthetic.<csv|xlsx>``: a mid-year estimate by ethnic group x sex x
  age band, one per authority per year. ``residents(authority, Y)`` is the population at mid-year
  Y-1 (the denominator of reporting year Y-1/Y), so the 2023 snapshot year gives ``mid2022``.
  Columns: all ages, 0-4, 5-9, 10-14, 15-17, 18-24, 25-34 ... 75-84, 85+, then the overlapping
  bands rates need: 0-17, 10-17 and 18+. Three publishers' shapes rotate between authorities (an
  ONS-style XLSX with title rows and a Total row, a GLA-style snake_case CSV in UTF-8, a council
  intelligence team's Windows-1252 CSV with codes and thousands separators).

Nothing here is random: the population is a fixed fact of each fictional authority (see
``population.py`` for the model), so clean files do not depend on the seed except for the seed
stamped in XLSX title rows. Dirty mode plants faults with ``ctx.rng("population", ...)``.

Planted truths: none beyond the population model itself; the ground truth records the model's
parameters and the exact counts written (``census_ts021``, ``denominators``) for marts to match.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from observatory.demo import faults as F
from observatory.demo import population as P
from observatory.demo import population_census as PC
from observatory.demo import writers as W
from observatory.demo.authorities import CENSUS_CODES, Authority
from observatory.demo.context import DemoContext
from observatory.demo.ethnicity import SEED_DIR, load_labels
from observatory.demo.population_census import (
    FAULT_NAMES,
    MISSING_COLUMN,
    TS021,
    TS021_LABEL,
    no_faults,
    record_faults,
    write_census,
)

DOMAIN = "population"
SOURCE = "population"
SOURCES = (SOURCE, PC.CENSUS_SOURCE)
CONTRACT = "sources/population.yml"

# Age bands of the mid-year tables: (canonical column, lowest age, highest age); 90 = 90 and over.
BANDS: tuple[tuple[str, int, int], ...] = (
    ("all_ages", 0, P.MAX_AGE),
    ("age_0_4", 0, 4),
    ("age_5_9", 5, 9),
    ("age_10_14", 10, 14),
    ("age_15_17", 15, 17),
    ("age_18_24", 18, 24),
    ("age_25_34", 25, 34),
    ("age_35_44", 35, 44),
    ("age_45_54", 45, 54),
    ("age_55_64", 55, 64),
    ("age_65_74", 65, 74),
    ("age_75_84", 75, 84),
    ("age_85_plus", 85, P.MAX_AGE),
    ("age_0_17", 0, 17),
    ("age_10_17", 10, 17),
    ("age_18_plus", 18, P.MAX_AGE),
)
BAND_COLUMNS = tuple(b[0] for b in BANDS)
KEY_COLUMNS = ("area_code", "area_name", "estimate_date", "sex", "ethnic_group")
# Bands written to the ground truth per authority x year x group (the denominators rates use).
TRUTH_BANDS = ("all_ages", "age_0_17", "age_10_17", "age_18_plus")


@dataclass(frozen=True)
class Publisher:
    """How one source of mid-year tables writes them: headers, value spellings and file format."""

    name: str
    headers: dict[str, str]  # canonical column -> header in the file
    sex: dict[str, str]
    ethnicity_style: str  # "ts021" (ONS wording), "display" (short labels), "code"
    fmt: str  # "xlsx" or "csv"
    encoding: str = "utf-8"
    thousands: bool = False


def _band_header(column: str, style: str) -> str:
    low, high = next((lo, hi) for c, lo, hi in BANDS if c == column)
    if column == "all_ages":
        return {"ons": "All ages", "gla": "all_ages", "council": "Total"}[style]
    if style == "gla":
        return column
    if high == P.MAX_AGE:
        return f"Aged {low} and over" if style == "ons" else f"{low}+"
    return f"Aged {low} to {high}" if style == "ons" else f"{low}-{high}"


PUBLISHERS: tuple[Publisher, ...] = (
    Publisher(
        name="ons_xlsx",
        headers={
            "area_code": "Area code",
            "area_name": "Area name",
            "estimate_date": "Estimate date",
            "sex": "Sex",
            "ethnic_group": "Ethnic group",
            **{c: _band_header(c, "ons") for c in BAND_COLUMNS},
        },
        sex={"Female": "Female", "Male": "Male"},
        ethnicity_style="ts021",
        fmt="xlsx",
    ),
    Publisher(
        name="gla_csv",
        headers={
            "area_code": "gss_code",
            "area_name": "la_name",
            "estimate_date": "date",
            "sex": "sex",
            "ethnic_group": "ethnic_group",
            **{c: _band_header(c, "gla") for c in BAND_COLUMNS},
        },
        sex={"Female": "female", "Male": "male"},
        ethnicity_style="display",
        fmt="csv",
    ),
    Publisher(
        name="council_csv",
        headers={
            "area_code": "LA Code",
            "area_name": "LA Name",
            "estimate_date": "As At",
            "sex": "Gender",
            "ethnic_group": "Ethnicity",
            **{c: _band_header(c, "council") for c in BAND_COLUMNS},
        },
        sex={"Female": "F", "Male": "M"},
        ethnicity_style="code",
        fmt="csv",
        encoding="cp1252",
        thousands=True,
    ),
)

DEFINITIONS = {
    "residents_year": (
        "Y in population.residents(authority, Y): the population at mid-year Y-1 (30 June), the "
        "denominator for reporting year Y-1/Y ending 31 March Y"
    ),
    "census_ts021": (
        "Census 2021 usual residents = residents(authority, 2022), i.e. the mid-2021 population; "
        "England and London rows are sums over the 150 and 33 fictional authorities"
    ),
    "bands": "ages low..high inclusive; 90 means 90 and over; 0-17, 10-17 and 18+ overlap the others",
    "denominators": (
        "per authority, residents_year and Census 2021 code: sums over the sex rows of the mid-year "
        "file that are not listed as faults (rows_included says how many of the 2 were)"
    ),
}


def publisher_for(authority: Authority) -> Publisher:
    """Which shape an authority's mid-year tables come in; the first authority gets the ONS XLSX."""
    return PUBLISHERS[(authority.index - 1) % len(PUBLISHERS)]


def mye_file_name(authority: Authority, residents_year: int, ext: str) -> str:
    return f"{SOURCE}_{authority.code}_mid{residents_year - 1}_synthetic.{ext}"


# --- the numbers ---------------------------------------------------------------------------


def band_counts(residents: P.Residents) -> np.ndarray:
    """Residents per (sex, group, band): shape (2, 19, len(BANDS)), sexes in P.SEXES order."""
    cum = np.concatenate([np.zeros((*residents.counts.shape[:2], 1), np.int64), residents.counts], axis=2)
    cum = cum.cumsum(axis=2)  # cum[..., a] = residents aged < a
    out = np.stack([cum[:, :, hi + 1] - cum[:, :, lo] for _, lo, hi in BANDS], axis=2)
    return out.transpose(1, 0, 2)


# --- rendering and faults --------------------------------------------------------------------


def _count_text(values: np.ndarray, thousands: bool) -> np.ndarray:
    if thousands:
        return np.array([f"{int(v):,}" for v in values], dtype=object)
    return np.asarray(values, dtype=np.int64).astype(str)


def _numbers(values: np.ndarray, fmt: str, thousands: bool = False) -> W.Cells:
    if fmt == "xlsx":
        return W.Cells.of_numbers(np.asarray(values, dtype=np.int64).astype(str))
    return W.Cells.of_text(_count_text(values, thousands))


# --- mid-year estimates by ethnic group, sex and age band ------------------------------------


def _ethnic_labels(style: str) -> dict[str, str]:
    if style == "ts021":
        return TS021_LABEL
    if style == "display":
        return dict(display_labels())
    return {c: c for c in CENSUS_CODES}


@cache
def display_labels() -> tuple[tuple[str, str], ...]:
    """Short labels ("Bangladeshi", "Black African", "White British") from the census seed."""
    with (SEED_DIR / "ethnicity_census2021.csv").open(encoding="utf-8", newline="") as f:
        return tuple((r["census_code"], r["display_label"]) for r in csv.DictReader(f))


@dataclass(frozen=True)
class MyeTable:
    """One mid-year table: a row per sex x Census group (TS021 order within each sex)."""

    sex: np.ndarray  # object, values of P.SEXES
    census_code: np.ndarray  # object
    counts: np.ndarray  # int64, (rows, len(BANDS))

    def __len__(self) -> int:
        return self.sex.size

    def column(self, name: str) -> np.ndarray:
        return self.counts[:, BAND_COLUMNS.index(name)]


def mye_table(authority: Authority, residents_year: int) -> MyeTable:
    counts = band_counts(P.residents(authority, residents_year))
    order = [CENSUS_CODES.index(k) for k, _ in TS021 if k in CENSUS_CODES]
    return MyeTable(
        sex=np.repeat(np.array(P.SEXES, dtype=object), len(order)),
        census_code=np.tile(np.array(CENSUS_CODES, dtype=object)[order], len(P.SEXES)),
        counts=counts[:, order, :].reshape(-1, len(BANDS)),
    )


def _inject_mye(
    cells: dict[str, W.Cells], table: MyeTable, plan: F.FaultPlan, pub: Publisher, mid_year: int
) -> dict[int, tuple[str, str, str, bool, str]]:
    unmapped = load_labels().unmapped()
    xlsx = pub.fmt == "xlsx"
    done: dict[int, tuple[str, str, str, bool, str]] = {}
    bands = BAND_COLUMNS[1:13]  # the non-overlapping bands
    seen: dict[str, int] = {}
    for row, kind in zip(plan.rows.tolist(), plan.kinds.tolist(), strict=True):
        j = seen[kind] = seen.get(kind, -1) + 1
        numeric = False
        column = bands[(row + j) % len(bands)]
        if kind == F.UNKNOWN_LABEL:
            column, text = "ethnic_group", unmapped[j % len(unmapped)]
        elif kind == F.DUPLICATE_ROW:
            column, text = "ethnic_group", str(cells["ethnic_group"].text[row])
        elif kind == F.IMPOSSIBLE_DATE:
            column, text = "estimate_date", f"31/06/{mid_year}"
        elif kind == F.NEGATIVE_NUMBER:
            value = -max(int(table.column(column)[row]), 1)
            text, numeric = (str(value), True) if xlsx else (_count_text([value], pub.thousands)[0], False)
        elif kind == F.TEXT_IN_NUMERIC:
            text = "n/a"
        elif kind == F.OUT_OF_RANGE:
            value = 2 * int(table.column("all_ages")[row]) + 1  # a band larger than the row's all-ages total
            text, numeric = (str(value), True) if xlsx else (_count_text([value], pub.thousands)[0], False)
        else:  # pragma: no cover
            raise ValueError(kind)
        if kind != F.DUPLICATE_ROW:
            cells[column].set(row, text, numeric=numeric)
        done[row] = (column, pub.headers[column], text, numeric, FAULT_NAMES[kind])
    return done


def write_mye(
    inbox_dir: Path, authority: Authority, residents_year: int, ctx: DemoContext, *, drop_column: str = ""
) -> tuple[dict, list[dict], list[dict]]:
    """One mid-year table; returns (file record, fault records, expected denominators)."""
    pub = publisher_for(authority)
    mid_year = residents_year - 1
    table = mye_table(authority, residents_year)
    n = len(table)
    labels = _ethnic_labels(pub.ethnicity_style)
    cells: dict[str, W.Cells] = {
        "area_code": W.Cells.of_text(np.full(n, authority.code)),
        "area_name": W.Cells.of_text(np.full(n, authority.name)),
        "estimate_date": W.Cells.of_numbers(
            W.excel_serial(np.full(n, np.datetime64(f"{mid_year}-06-30"))), W.STYLE_DATE
        )
        if pub.fmt == "xlsx"
        else W.Cells.of_text(np.full(n, f"30/06/{mid_year}")),
        "sex": W.Cells.of_text(np.array([pub.sex[x] for x in table.sex], dtype=object)),
        "ethnic_group": W.Cells.of_text(np.array([labels[c] for c in table.census_code], dtype=object)),
    }
    for column in BAND_COLUMNS:
        cells[column] = _numbers(table.column(column), pub.fmt, pub.thousands)

    plan = no_faults(n)
    injected: dict[int, tuple[str, str, str, bool, str]] = {}
    if ctx.dirty is not None and not drop_column:
        plan = F.plan(ctx.rng(SOURCE, authority.index, residents_year, 1), n, ctx.dirty)
        injected = _inject_mye(cells, table, plan, pub, mid_year)
    order = plan.order
    canonical = [c for c in (*KEY_COLUMNS, *BAND_COLUMNS) if c != drop_column]
    header = [pub.headers[c] for c in canonical]
    columns = [cells[c] if order.size == n else cells[c].take(order) for c in canonical]

    ext = pub.fmt
    name = mye_file_name(authority, residents_year, ext)
    title_rows: list[str] = []
    footer_rows: list[int] = []
    if ext == "csv":
        W.write_csv(inbox_dir / name, header, columns, encoding=pub.encoding)
    else:
        title_rows = [
            f"SYNTHETIC DEMO DATA - Mid-{mid_year} population estimates by ethnic group, sex and age: "
            f"{authority.name}",
            f"Fictional council generated by observatory.demo (seed {ctx.seed}); not real people. "
            "Source: population model of the demo generator, in the style of ONS tables.",
        ]
        total = [
            W.Cells.of_text(np.array(["Total" if i == 0 else ""], dtype=object))
            for i in range(len(canonical))
        ]
        for i, c in enumerate(canonical):
            if c in BAND_COLUMNS:
                total[i] = W.Cells.of_numbers(np.array([str(int(table.column(c).sum()))]))
        W.write_xlsx(
            inbox_dir / name,
            sheet="Table 1",
            title_rows=title_rows,
            header=header,
            columns=columns,
            footer_rows=[total],
        )
        footer_rows = [len(title_rows) + 1 + order.size + 1]
    header_row = len(title_rows) + 1
    rel = f"{SOURCE}/{name}"
    keys = {"area_code": np.full(n, authority.code), "sex": table.sex, "census_code": table.census_code}
    fault_records, include = record_faults(rel, injected, order, header_row + 1, keys)
    if drop_column:
        include[:] = False  # the whole file is rejected: nothing in it reaches the statistics
        fault_records = [
            {
                "file": rel,
                "row": None,
                "data_row": None,
                "column": pub.headers[drop_column],
                "canonical_column": drop_column,
                "value": None,
                "fault": MISSING_COLUMN,
                "level": "file",
                "area_code": authority.code,
            }
        ]
    record = {
        "file": rel,
        "source": SOURCE,
        "table": "mid_year_estimates",
        "authority_code": authority.code,
        "residents_year": residents_year,
        "mid_year": mid_year,
        "estimate_date": f"{mid_year}-06-30",
        "format": ext,
        "encoding": pub.encoding if ext == "csv" else None,
        "sheet": "Table 1" if ext == "xlsx" else None,
        "title_rows": list(range(1, len(title_rows) + 1)),
        "header_row": header_row,
        "first_data_row": header_row + 1,
        "last_data_row": header_row + order.size,
        "footer_rows": footer_rows,
        "data_rows": int(order.size),
        "header": header,
        "columns": {pub.headers[c]: c for c in canonical},
        "publisher": pub.name,
        "ethnicity_style": pub.ethnicity_style,
        "ethnic_group_labels": {labels[c]: c for c in CENSUS_CODES},
        "sex_labels": {v: k for k, v in pub.sex.items()},
        "thousands_separators": pub.thousands,
    }
    return record, fault_records, _denominators(authority, residents_year, table, include)


def _denominators(
    authority: Authority, residents_year: int, table: MyeTable, include: np.ndarray
) -> list[dict]:
    """Per Census group: the truth bands and all-ages by sex, summed over the included rows
    (plain numpy throughout: pandas' per-call overhead costs more than a 38-row file)."""
    codes, sexes = table.census_code, table.sex
    bands = table.counts[:, [BAND_COLUMNS.index(b) for b in TRUTH_BANDS]]
    all_ages = table.column("all_ages")
    out = []
    for code in CENSUS_CODES:
        rows = np.flatnonzero(include & (codes == code))
        if rows.size == 0:
            continue
        totals = bands[rows].sum(axis=0)
        out.append(
            {
                "authority_code": authority.code,
                "residents_year": residents_year,
                "mid_year": residents_year - 1,
                "census_code": code,
                "rows_included": int(rows.size),
                **{band: int(v) for band, v in zip(TRUTH_BANDS, totals, strict=True)},
                "all_ages_by_sex": {str(sexes[r]): int(all_ages[r]) for r in rows},
            }
        )
    return out


# --- entry point -----------------------------------------------------------------------------


def write(inbox: Path, ctx: DemoContext) -> dict[str, dict]:
    """The domain entry point: mid-year tables into ``inbox/population/`` and the Census TS021
    table into ``inbox/population_census/``."""
    inbox_dir, census_dir = inbox / SOURCE, inbox / PC.CENSUS_SOURCE
    for folder in (inbox_dir, census_dir):
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob(f"{SOURCE}_*_synthetic.*"):
            old.unlink()  # only this generator's own files

    census_record, census_faults, census = write_census(census_dir, ctx)
    files, faults = [], []
    denominators: list[dict] = []
    dropped = (ctx.authorities[0].index, ctx.years[0]) if ctx.dirty is not None else None
    for authority in ctx.authorities:
        for year in ctx.years:
            drop = "ethnic_group" if dropped == (authority.index, year) else ""
            record, fault_records, expected = write_mye(inbox_dir, authority, year, ctx, drop_column=drop)
            files.append(record)
            faults.extend(fault_records)
            denominators.extend(expected)
        ctx.advance(DOMAIN)

    planted = _planted_truth()
    return {
        SOURCE: {
            "contract": CONTRACT,
            "folder": SOURCE,
            "definitions": DEFINITIONS,
            "planted": planted,
            "files": files,
            "denominators": denominators,
            "faults": faults,
        },
        PC.CENSUS_SOURCE: {
            "contract": f"sources/{PC.CENSUS_SOURCE}.yml",
            "folder": PC.CENSUS_SOURCE,
            "definitions": DEFINITIONS,
            "planted": planted,
            "files": [census_record],
            "census_ts021": census,
            "faults": census_faults,
        },
    }


def _planted_truth() -> dict:
    return {
        "population_model": {
            "mechanism": (
                "fixed per authority (no seed): size from the authority index (London 250-350k, "
                "elsewhere 150-650k at base year), growing by growth_per_year; ethnic mix = the "
                "authority's mix; an England-like age profile tilted per group by youth_factor "
                "(weight * f ** ((40 - age) / 40)); women a growing majority above 60; counts rounded"
            ),
            "base_year": P.BASE_YEAR,
            "growth_per_year": P.GROWTH_PER_YEAR,
            "youth_factor": dict(sorted(P.YOUTH_FACTOR.items())),
            "max_age": P.MAX_AGE,
            "expected_values": "census_ts021 and denominators (exact counts as written)",
        },
        "planted_disparities": "none: denominators carry no effect; other domains plant theirs",
    }
