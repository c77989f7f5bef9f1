"""DfE Explore Education Statistics benchmark files for children's social care (folder benchmarks_ees).

Two tidy CSVs (UTF-8, one row per year x geography x characteristic), named ``ees_cla_...`` and
``ees_cpp_...`` so they never clash with the education domain's EES files in the same folder:

* ``ees_cla_on_31_march_by_ethnicity_<first>_to_<last>_synthetic.csv``: children looked after
  at 31 March (filter ``cla_group``/``characteristic``);
* ``ees_cpp_on_31_march_by_ethnicity_<first>_to_<last>_synthetic.csv``: children on a child
  protection plan at 31 March (filter ``characteristic_group``/``characteristic``).

Columns: time_period (2024 = year ending 31 March 2024), time_identifier ("Reporting year"),
geographic_level (National, Regional, Local authority), country_code/name, region_code/name,
old_la_code (fictional, as in the education EES files), new_la_code (X09...), la_name, the filter
pair, then number, percentage and rate_per_10000 (children aged 0-17), and data_status (SYNTHETIC).
Characteristics: Total; the DfE major groups; the 20 DfE minor groups (incl. Refused and
Information not yet obtained).

Rows cover England, every region with a fictional authority and all 150 fictional authorities
WHATEVER THE SCALE, so comparisons with neighbours work for one borough. "England" and the regions
are the sums of the fictional authorities (real ONS geography codes, fictional figures).
Authorities simulated in this run show their realised counts (all generated children, before any
dirty-mode faults); the others show the model's expected count rounded to a whole child.
Rounding and symbols as DfE publishes: national and regional numbers rounded to the nearest 10;
local authority numbers from 1 to 5 shown as ``c`` (with their percentage and rate); a percentage
that rounds to 0 but is not 0 shown as ``low``; rates by minor group ``x`` (no population by DfE
minor group); rates for Refused / not obtained ``z`` (not applicable). No secondary suppression.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from observatory.demo import faults as F
from observatory.demo import writers as W
from observatory.demo.authorities import CENSUS_CODES, Authority, all_authorities
from observatory.demo.context import DemoContext
from observatory.demo.justice_care_common import SYNTHETIC, Layout, old_la_code, write_extract
from observatory.demo.population import dfe_codes, extended_mix, residents

SOURCE = "benchmarks_ees"
ENGLAND = ("E92000001", "England")
REGION_CODES = {
    "North East": "E12000001", "North West": "E12000002", "Yorkshire and The Humber": "E12000003",
    "East Midlands": "E12000004", "West Midlands": "E12000005", "East of England": "E12000006",
    "London": "E12000007", "South East": "E12000008", "South West": "E12000009",
}  # fmt: skip
WHITE, MIXED, ASIAN = "White", "Mixed or Multiple ethnic groups", "Asian or Asian British"
BLACK, OTHER = "Black, African, Caribbean or Black British", "Other ethnic group"
UNKNOWN_MAJOR = "Refused or information not yet available"
# DfE main code -> (major group, minor group) as DfE's children's social care releases name them.
MINOR = {
    "WBRI": (WHITE, "White British"), "WIRI": (WHITE, "White Irish"),
    "WIRT": (WHITE, "Traveller of Irish heritage"), "WROM": (WHITE, "Gypsy/Roma"),
    "WOTH": (WHITE, "Any other White background"), "MWBC": (MIXED, "White and Black Caribbean"),
    "MWBA": (MIXED, "White and Black African"), "MWAS": (MIXED, "White and Asian"),
    "MOTH": (MIXED, "Any other Mixed background"), "AIND": (ASIAN, "Indian"), "APKN": (ASIAN, "Pakistani"),
    "ABAN": (ASIAN, "Bangladeshi"), "CHNE": (ASIAN, "Chinese"), "AOTH": (ASIAN, "Any other Asian background"),
    "BCRB": (BLACK, "Caribbean"), "BAFR": (BLACK, "African"), "BOTH": (BLACK, "Any other Black background"),
    "OOTH": (OTHER, "Any other ethnic group"), "REFU": (UNKNOWN_MAJOR, "Refused"),
    "NOBT": (UNKNOWN_MAJOR, "Information not yet obtained"),
}  # fmt: skip
MAIN_CODES = tuple(MINOR)
MAJORS = (WHITE, MIXED, ASIAN, BLACK, OTHER, UNKNOWN_MAJOR)
# Census 2021 group -> the DfE major group its residents count in (for rates by major group).
CENSUS_MAJOR = {c: {"W": WHITE, "M": MIXED, "A": ASIAN, "B": BLACK, "O": OTHER}[c[0]] for c in CENSUS_CODES}

COLUMNS = (
    "time_period", "time_identifier", "geographic_level", "country_code", "country_name", "region_code",
    "region_name", "old_la_code", "new_la_code", "la_name", "group", "characteristic", "number",
    "percentage", "rate_per_10000", "data_status",
)  # fmt: skip
MEASURES = {  # measure -> (file stem, name of the filter column)
    "cla": ("ees_cla_on_31_march_by_ethnicity", "cla_group"),
    "cpp": ("ees_cpp_on_31_march_by_ethnicity", "characteristic_group"),
}
ROUNDING = (
    "national and regional numbers rounded to the nearest 10 (from unrounded local values); local "
    "authority numbers 1-5 shown as c with their percentage and rate; percentage of the geography's "
    "total to 0 dp, 'low' when it rounds to 0 but is not 0; rate_per_10000 of residents aged 0-17 "
    "to 0 dp for Total and major groups, 'x' for minor groups, 'z' for Refused / not obtained; "
    "unsimulated authorities' expected counts rounded half up to whole children first"
)
UNMAPPED = ("Black Carribean", "Mixed - other", "Asian (other)", "Unknown group")


@cache
def _main_share(authority: Authority) -> np.ndarray:
    """P(DfE main code | Census group) for the authority's extended-code mix: shape (19, 20)."""
    main_of = dict(zip(dfe_codes()["dfe_code"], dfe_codes()["main_code"], strict=True))
    mix = extended_mix(authority)
    out = np.zeros((len(CENSUS_CODES), len(MAIN_CODES)))
    for i, code in enumerate(CENSUS_CODES):
        for dfe, share in mix[code].items():
            out[i, MAIN_CODES.index(main_of[dfe])] += share
    return out / out.sum(axis=1, keepdims=True)


def expected_counts(authority: Authority, year: int, rates: np.ndarray, refused: float, not_obtained: float):
    """Expected children per DfE main code: the planted rate x residents aged 0-17 per Census group,
    recorded through the authority's extended-code mix, less the refused / not obtained shares."""
    per_group = rates * residents(authority, year).between(0, 17).sum(axis=1)
    counts = per_group @ _main_share(authority) * (1 - refused - not_obtained)
    counts[MAIN_CODES.index("REFU")] = per_group.sum() * refused
    counts[MAIN_CODES.index("NOBT")] = per_group.sum() * not_obtained
    return counts


def _major_population(authority: Authority, year: int) -> dict[str, int]:
    pop = residents(authority, year).between(0, 17).sum(axis=1)
    out = dict.fromkeys(MAJORS[:-1], 0)
    for code, n in zip(CENSUS_CODES, pop, strict=True):
        out[CENSUS_MAJOR[code]] += int(n)
    return out


def _rows(
    values: np.ndarray, population: dict[str, int], local: bool
) -> list[tuple[str, str, str, str, str]]:
    """(group, characteristic, number, percentage, rate) for one geography-year, DfE-rounded."""
    total = float(values.sum())
    major = {
        m: float(sum(v for c, v in zip(MAIN_CODES, values, strict=True) if MINOR[c][0] == m)) for m in MAJORS
    }
    pop_total = sum(population.values())

    def cells(value: float, rate_population: int | None, rate_symbol: str = "") -> tuple[str, str, str]:
        if local:
            n = int(np.floor(value + 0.5))
            if 1 <= n <= 5:
                return "c", "c", rate_symbol or "c"
            number = str(n)
        else:
            number = str(int(np.floor(value / 10 + 0.5) * 10))
        pct = value / total * 100 if total else 0.0
        percentage = "low" if 0 < pct < 0.5 else f"{pct:.0f}"
        rate = rate_symbol or (f"{value / rate_population * 10_000:.0f}" if rate_population else "x")
        return number, percentage, rate

    out = [("Total", "Total", *cells(total, pop_total))]
    for m in MAJORS:
        symbol = "z" if m == UNKNOWN_MAJOR else ""
        out.append(("Ethnic group major", m, *cells(major[m], population.get(m), symbol)))
    for code, value in zip(MAIN_CODES, values, strict=True):
        out.append(
            (
                "Ethnic group minor",
                MINOR[code][1],
                *cells(value, None, "z" if code in ("REFU", "NOBT") else "x"),
            )
        )
    return out


def _table(
    ctx: DemoContext, measure: str, rates_for, recording: tuple[float, float], realised
) -> pd.DataFrame:
    simulated = {a.code for a in ctx.authorities}
    records = []
    for year in ctx.years:
        local: dict[str, list] = {}
        for authority in all_authorities():
            if authority.code in simulated:
                counts = realised[(authority.code, year)][measure]
                values = np.array([float(counts.get(c, 0)) for c in MAIN_CODES])
            else:
                values = np.floor(
                    expected_counts(authority, year, rates_for(authority, year), *recording) + 0.5
                )
            local[authority.code] = [authority, values, _major_population(authority, year)]
        geographies = [("National", "", "", None, list(local.values()))]
        for region, code in REGION_CODES.items():
            members = [v for v in local.values() if v[0].region == region]
            if members:
                geographies.append(("Regional", code, region, None, members))
        geographies += [("Local authority", "", "", v[0], [v]) for v in local.values()]
        for level, region_code, region_name, authority, members in geographies:
            values = np.sum([m[1] for m in members], axis=0)
            population = {k: sum(m[2][k] for m in members) for k in members[0][2]}
            if authority is not None:
                region_name, region_code = authority.region, REGION_CODES[authority.region]
            head = (
                str(year),
                "Reporting year",
                level,
                *ENGLAND,
                region_code,
                region_name,
                str(old_la_code(authority)) if authority else "",
                authority.code if authority else "",
                authority.name if authority else "",
            )
            for row in _rows(values, population, authority is not None):
                records.append((*head, *row, SYNTHETIC))
    return pd.DataFrame(records, columns=list(COLUMNS))


def _fault_cell(cells: dict[str, W.Cells]):
    def fault(kind: str, j: int, row: int) -> tuple[str, str, bool, str]:
        if kind == F.UNKNOWN_LABEL:
            return "characteristic", UNMAPPED[j % len(UNMAPPED)], False, "unknown_characteristic"
        if kind == F.DUPLICATE_ROW:
            return "characteristic", str(cells["characteristic"].text[row]), False, "duplicate_row"
        if kind == F.IMPOSSIBLE_DATE:
            return "time_period", ("20245", "2024/13")[j % 2], False, "impossible_time_period"
        if kind == F.NEGATIVE_NUMBER:
            return "number", f"-{7 + j}", False, "negative_number"
        if kind == F.TEXT_IN_NUMERIC:
            return "number", ("n/a", "tbc")[j % 2], False, "text_in_numeric"
        if kind == F.OUT_OF_RANGE:
            return "percentage", ("140", "250")[j % 2], False, "percentage_out_of_range"
        raise ValueError(kind)  # pragma: no cover

    return fault


def write(inbox: Path, ctx: DemoContext, planted, realised: dict) -> dict:
    """Write both EES files; ``realised[(authority code, year)][measure]`` holds the simulated
    authorities' counts at 31 March by DfE main code. Returns this domain's benchmarks_ees truth."""
    folder = inbox / SOURCE
    folder.mkdir(parents=True, exist_ok=True)
    for stem, _ in MEASURES.values():
        for old in folder.glob(f"{stem}_*_synthetic.csv"):
            old.unlink()
    recording = (planted.refused_share, planted.not_obtained_share)
    rates = {"cla": planted.cla_rates, "cpp": lambda a, _year: planted.cpp_rates(a)}
    truth: dict = {"files": [], "faults": []}
    for measure, (stem, group_column) in MEASURES.items():
        table = _table(ctx, measure, rates[measure], recording, realised)
        rel = f"{SOURCE}/{stem}_{ctx.years[0]}_to_{ctx.years[-1]}_synthetic.csv"
        layout = Layout(
            "explore_education_statistics",
            tuple((c, group_column if c == "group" else c) for c in COLUMNS),
            encoding="utf-8",
        )
        written = _write(inbox, rel, layout, table, ctx, measure)
        truth["files"].append({**written.record, "source": SOURCE, "measure": measure})
        truth["faults"].extend(written.faults)
        national = table[(table["geographic_level"] == "National")]
        london = table[(table["region_name"] == "London") & (table["geographic_level"] == "Regional")]
        truth[measure] = {
            "file": rel,
            "indicator": "children looked after at 31 March"
            if measure == "cla"
            else "children on a child protection plan at 31 March",
            "realised_authorities": sorted(a.code for a in ctx.authorities),
            "expected_authorities": "every other fictional authority: the model's expected count, rounded",
            "rounding": ROUNDING,
            "realised_counts": "all generated children at 31 March by recorded DfE main code, before faults",
            "national": _summary(national),
            "london": _summary(london),
        }
    return truth


def _write(inbox: Path, rel: str, layout: Layout, table: pd.DataFrame, ctx: DemoContext, measure: str):
    cells = {c: W.Cells.of_text(table[c].to_numpy(dtype=object)) for c in COLUMNS}
    return write_extract(
        inbox,
        rel,
        layout,
        cells,
        ctx=ctx,
        rng_faults=ctx.rng(f"{SOURCE}/{measure}", 0),
        fault_cell=_fault_cell(cells),
        drop_column="characteristic" if ctx.dirty is not None and measure == "cpp" else None,
    )


def _summary(rows: pd.DataFrame) -> dict:
    """time_period -> characteristic -> number as written (for a quick check of the file)."""
    return {
        period: {f"{r['group']}: {r['characteristic']}": r["number"] for _, r in part.iterrows()}
        for period, part in rows.groupby("time_period")
    }
