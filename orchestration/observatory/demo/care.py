"""Children's social care for the fictional councils: looked-after episodes and protection plans.

Three sources (one inbox folder each):

* ``cla``: SSDA903-style episodes, one CSV per authority per year ending 31 March, every episode
  open at any time in the year (a child has one or more): CHILD, SEX (1 male, 2 female), DOB,
  ETHNIC (the 20 DfE main codes incl. REFU and NOBT), UPN (or UN1/UN5), DECOM, RNE, LS, CIN,
  PLACE, PLACE_PROVIDER, DEC, REC, REASON_PLACE_CHANGE, HOME_POST and PL_POST (blank), then a data
  status column. Two system shapes: the 903 return's own headers, or a case-management report
  with readable headers ("Episode Start Date"...).
* ``child_protection``: plans open at any time in the year: child id, sex, date of birth,
  ethnicity (DfE main code), plan start date, category of abuse, plan end date (blank if open at
  31 March), number of previous plans. Two shapes: plain headers, or CIN-census item names/codes.
* ``benchmarks_ees``: DfE Explore Education Statistics tidy CSVs, see ``care_ees``.

Children are drawn from ``population.residents`` (ages 0-17), so rates per 10,000 children use
the same people as the population denominators. Each year is an independent cross-section: ids
are not linked across years.

Planted truths (``CarePlanted``, configurable, written to the truth):

* Looked after at 31 March per 10,000 aged 0-17 = ``cla_rate_per_10000 x factor x ratio[g](year)``
  (factor: a fixed per-authority multiplier, 1.3 outside London). Mixed White and Black Caribbean
  2.4x White British, Other Black 2.2x, Black Caribbean 1.8x; Asian groups lower (Indian 0.35x,
  Bangladeshi 0.45x, Pakistani 0.5x, Chinese 0.3x); Black African RISING 1.3x -> 1.9x from 2022 to
  2025 (unaccompanied asylum-seeking children); White Other (``null_effect_groups``) 1.0x.
* Child protection plans at 31 March per 10,000: Mixed 1.3-1.7x, Black 1.1-1.3x, Asian 0.5-0.7x,
  Gypsy/Roma and Irish Traveller 2.0x, White Other 1.0x.
* No effect: leaving care, placement moves, legal status, placement type, category of need and
  category of abuse do not depend on ethnicity; the refused/not-obtained share is the same for all.

Expected statistics (``expected``) are counted from the rows written (faulty rows excluded), per
authority x year x recorded group: the Census 2021 code of the written DfE main code (through
seeds/ethnicity/ethnicity_dfe_codes.csv: CHNE -> ACHN, WIRT -> WGYP; Arab children are recorded
OOTH, Gypsy children WROM) or "unknown" (REFU, NOBT).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from observatory.demo import care_ees
from observatory.demo import faults as F
from observatory.demo import writers as W
from observatory.demo.authorities import CENSUS_CODES, Authority
from observatory.demo.care_episodes import simulate_cla
from observatory.demo.context import DemoContext
from observatory.demo.justice_care_common import (
    SYNTHETIC,
    UNKNOWN,
    Layout,
    Written,
    as_days,
    authority_factor,
    birth_dates,
    census_of_dfe,
    dated_text,
    draw_children,
    drops_column,
    interpolate,
    level_of,
    period_label,
    pick,
    positions,
    random_days,
    record_dfe_main,
    reporting_year,
    spelled,
    tally,
    unique_ids,
    write_extract,
)
from observatory.demo.population import residents
from observatory.demo.truth import rounded

DOMAIN = "care"
CLA = "cla"
CHILD_PROTECTION = "child_protection"
BENCHMARKS = care_ees.SOURCE
SOURCES = (CLA, CHILD_PROTECTION, BENCHMARKS)
AGES = np.arange(18)  # children: 0-17


def _flat(value: float) -> tuple[tuple[int, float], ...]:
    return ((2022, value),)


@dataclass(frozen=True)
class CarePlanted:
    """The children's social care disparities (see the module docstring)."""

    reference_group: str = "WBRI"
    cla_rate_per_10000: float = 50.0  # reference group, London
    cla_outside_london_factor: float = 1.3
    cla_rate_ratio: dict[str, tuple[tuple[int, float], ...]] = field(
        default_factory=lambda: {
            "MWBC": _flat(2.4),
            "MWBA": _flat(2.0),
            "MWAS": _flat(1.3),
            "MOTH": _flat(1.8),
            "BCRB": _flat(1.8),
            "BAFR": ((2022, 1.3), (2025, 1.9)),
            "BOTH": _flat(2.2),
            "AIND": _flat(0.35),
            "APKN": _flat(0.5),
            "ABAN": _flat(0.45),
            "ACHN": _flat(0.3),
            "AOTH": _flat(0.7),
            "WIRI": _flat(1.1),
            "WGYP": _flat(2.5),
            "WROM": _flat(1.5),
            "OARA": _flat(1.2),
            "OOTH": _flat(1.6),
            "WOTH": _flat(1.0),
        }
    )
    null_effect_groups: tuple[str, ...] = ("WOTH",)
    headline_groups: tuple[str, ...] = ("MWBC", "BCRB", "AIND")
    trend_group: str = "BAFR"
    cpp_rate_per_10000: float = 38.0
    cpp_outside_london_factor: float = 1.15
    cpp_rate_ratio: dict[str, float] = field(
        default_factory=lambda: {
            "MWBC": 1.7,
            "MWBA": 1.5,
            "MWAS": 1.3,
            "MOTH": 1.5,
            "BCRB": 1.3,
            "BAFR": 1.1,
            "BOTH": 1.2,
            "AIND": 0.5,
            "APKN": 0.7,
            "ABAN": 0.7,
            "ACHN": 0.5,
            "AOTH": 0.6,
            "WGYP": 2.0,
            "WROM": 2.0,
            "WIRI": 1.0,
            "OARA": 0.9,
            "OOTH": 1.1,
            "WOTH": 1.0,
        }
    )
    ceased_per_looked_after: float = 0.42  # children leaving care in the year per child in care at 31 March
    mean_years_in_care: float = 2.2
    placement_moves_per_year: float = 0.9
    cpp_ended_per_open: float = 1.25
    mean_plan_years: float = 0.7
    refused_share: float = 0.01
    not_obtained_share: float = 0.015
    sampling: str = "systematic"

    def cla_ratio(self, code: str, year: int) -> float:
        return interpolate(self.cla_rate_ratio.get(code, _flat(1.0)), year)

    def cla_rates(self, authority: Authority, year: int) -> np.ndarray:
        """Expected looked-after children at 31 March per child aged 0-17, per Census group."""
        outside = 1.0 if authority.region == "London" else self.cla_outside_london_factor
        base = self.cla_rate_per_10000 / 10_000 * outside * authority_factor(authority, 0.53)
        return base * np.array([self.cla_ratio(c, year) for c in CENSUS_CODES])

    def cpp_rates(self, authority: Authority) -> np.ndarray:
        outside = 1.0 if authority.region == "London" else self.cpp_outside_london_factor
        base = self.cpp_rate_per_10000 / 10_000 * outside * authority_factor(authority, 0.71)
        return base * np.array([self.cpp_rate_ratio.get(c, 1.0) for c in CENSUS_CODES])


# Children in care are older than children in general; protection plans are for younger children.
CPP_PROFILE = np.outer(
    [1.0, 1.0], [1.4, 1.3, 1.2, 1.2, 1.1, 1.1, 1.0, 1.0, 1.0, 0.9, 0.9, 0.9, 0.8, 0.8, 0.7, 0.6, 0.4, 0.3]
)
ABUSE = (("neglect", 0.48), ("emotional", 0.36), ("physical", 0.07), ("sexual", 0.04), ("multiple", 0.05))


@dataclass(frozen=True)
class System:
    layout: Layout
    sex: dict[str, str]
    abuse: dict[str, str] | None = None
    id_prefix: str = ""


_CLA_CANONICAL = (
    "child_id", "sex", "date_of_birth", "ethnicity", "upn", "episode_start", "reason_new_episode",
    "legal_status", "category_of_need", "placement_type", "placement_provider", "episode_end",
    "reason_episode_ceased", "reason_place_change", "home_postcode", "placement_postcode", "data_status",
)  # fmt: skip
CLA_SYSTEMS = (
    System(
        Layout("ssda903_csv", tuple(zip(_CLA_CANONICAL, (
            "CHILD", "SEX", "DOB", "ETHNIC", "UPN", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER",
            "DEC", "REC", "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "DATA_STATUS",
        ), strict=True))),
        sex={"Male": "1", "Female": "2"},
    ),
    System(
        Layout("case_management_report_csv", tuple(zip(_CLA_CANONICAL, (
            "Child ID", "Sex", "Date of Birth", "Ethnicity", "UPN", "Episode Start Date",
            "Reason for New Episode", "Legal Status", "Category of Need", "Placement Type",
            "Placement Provider", "Episode End Date", "Reason Episode Ceased",
            "Reason for Placement Change", "Home Postcode", "Placement Postcode", "Data Status",
        ), strict=True))),
        sex={"Male": "1", "Female": "2"},
        id_prefix="LCS",
    ),
)  # fmt: skip
_CP_CANONICAL = (
    "child_id", "sex", "date_of_birth", "ethnicity", "plan_start", "category_of_abuse", "plan_end",
    "previous_plans", "data_status",
)  # fmt: skip
CP_SYSTEMS = (
    System(
        Layout("case_management_csv", tuple(zip(_CP_CANONICAL, (
            "Child ID", "Gender", "DOB", "Ethnicity", "CP Plan Start Date", "Category of Abuse",
            "CP Plan End Date", "Previous CP Plans", "Data Status",
        ), strict=True))),
        sex={"Male": "Male", "Female": "Female"},
        abuse={"neglect": "Neglect", "emotional": "Emotional abuse", "physical": "Physical abuse",
               "sexual": "Sexual abuse", "multiple": "Multiple"},
    ),
    System(
        Layout("cin_census_csv", tuple(zip(_CP_CANONICAL, (
            "LAchildID", "Sex", "PersonBirthDate", "Ethnicity", "CPPstartDate", "InitialCategoryOfAbuse",
            "CPPendDate", "NumberOfPreviousCPP", "DataStatus",
        ), strict=True))),
        sex={"Male": "1", "Female": "2"},
        abuse={"neglect": "NEG", "emotional": "EMO", "physical": "PHY", "sexual": "SAB", "multiple": "MUL"},
        id_prefix="CIN",
    ),
)  # fmt: skip
_UNKNOWN_CODES = ("BLKC", "WBR", "MIXD", "OTHR")


def _system(systems: tuple[System, ...], authority: Authority) -> System:
    return systems[(authority.index - 1) % len(systems)]


# --- child protection plans -----------------------------------------------------------------


def simulate_cpp(rng: np.random.Generator, authority: Authority, year: int, p: CarePlanted) -> pd.DataFrame:
    """Every plan open at some time in the year (one per child), with truth columns."""
    start, end = reporting_year(year)
    group, sex, age, still_open = draw_children(
        rng, authority, year, AGES, p.cpp_rates(authority), CPP_PROFILE, p.cpp_ended_per_open, p.sampling
    )
    n = group.size
    ref = np.where(still_open, end, random_days(rng, start, end, n))
    dob = birth_dates(rng, age, ref)
    lived = (ref - dob).astype(np.int64)
    duration = np.minimum(np.maximum(rng.exponential(p.mean_plan_years * 365.25, n), 14), lived)
    plan_start = ref - as_days(duration)
    ids = unique_ids(rng, n, 100_000, 1_000_000)
    frame = pd.DataFrame(
        {
            "child_id": ids.astype(str).astype(object),
            "sex": np.array(["Female", "Male"], dtype=object)[sex],
            "date_of_birth": dob,
            "ethnicity": record_dfe_main(group, authority, rng, p.refused_share, p.not_obtained_share),
            "plan_start": plan_start,
            "category_of_abuse": pick(rng, ABUSE, n),
            "plan_end": np.where(still_open, np.datetime64("NaT"), ref),
            "previous_plans": rng.choice(4, n, p=[0.78, 0.17, 0.04, 0.01]),
            "data_status": SYNTHETIC,
            "census_code": np.array(CENSUS_CODES, dtype=object)[group],
        }
    )
    frame["group"] = census_of_dfe(frame["ethnicity"].to_numpy())
    return frame.sort_values("plan_start", kind="stable").reset_index(drop=True)


# --- rendering and faults -------------------------------------------------------------------


def _render(frame: pd.DataFrame, system: System) -> dict[str, W.Cells]:
    out: dict[str, W.Cells] = {}
    for canonical, _ in system.layout.headers:
        v = frame[canonical].to_numpy()
        if canonical in ("date_of_birth", "episode_start", "episode_end", "plan_start", "plan_end"):
            out[canonical] = dated_text(v, "csv")
        elif canonical == "sex":
            out[canonical] = spelled(v, system.sex)
        elif canonical == "category_of_abuse":
            out[canonical] = spelled(v, system.abuse or {})
        elif canonical == "child_id":
            out[canonical] = W.Cells.of_text(np.char.add(system.id_prefix, v.astype(str)).astype(object))
        else:
            out[canonical] = W.Cells.of_text(np.asarray(v).astype(str).astype(object))
    return out


def _fault_cell(cells: dict[str, W.Cells], year: int, date_column: str, number_column: str):
    """CLA plants number faults in SEX (a numeric code); child protection in its previous-plans count."""

    def fault(kind: str, j: int, row: int) -> tuple[str, str, bool, str]:
        if kind == F.UNKNOWN_LABEL:
            return "ethnicity", _UNKNOWN_CODES[j % len(_UNKNOWN_CODES)], False, "unknown_ethnicity_code"
        if kind == F.DUPLICATE_ROW:
            return "child_id", str(cells["child_id"].text[row]), False, "duplicate_row"
        if kind == F.IMPOSSIBLE_DATE:
            return date_column, ("30/02/", "31/04/")[j % 2] + str(year - 1 + j % 2), False, "impossible_date"
        if kind == F.NEGATIVE_NUMBER:
            return number_column, "-1", False, "negative_number"
        if kind == F.TEXT_IN_NUMERIC:
            return number_column, ("n/k", "?")[j % 2], False, "text_in_numeric"
        if kind == F.OUT_OF_RANGE:
            return (
                number_column,
                ("45", "99")[j % 2] if number_column == "previous_plans" else ("3", "7")[j % 2],
                False,
                "out_of_range",
            )
        raise ValueError(kind)  # pragma: no cover

    return fault


# --- expected statistics --------------------------------------------------------------------


def _counts(
    frame: pd.DataFrame, include: np.ndarray, columns: dict[str, tuple[np.ndarray, bool]]
) -> pd.DataFrame:
    """Per recorded group (plus 'all'): for each column name, the rows in its mask (or the distinct
    children when its flag is set), among the rows that count."""
    groups = [*CENSUS_CODES, UNKNOWN]
    index = positions(frame["group"].to_numpy(), groups)
    ids = frame["child_id"].to_numpy()
    table = pd.DataFrame(
        {
            name: tally(index, groups, include & mask, ids=ids if distinct else None)
            for name, (mask, distinct) in columns.items()
        },
        index=groups,
    )
    table.loc["all"] = table.sum()
    return table


def cla_statistics(frame, include, authority, year, p) -> list[dict]:
    start, _ = reporting_year(year)
    every = np.ones(len(frame), dtype=bool)
    started = (frame["reason_new_episode"] == "S") & (frame["episode_start"] >= start)
    table = _counts(
        frame,
        include,
        {
            "episodes": (every, False),
            "children": (every, True),
            "looked_after_31_march": (frame["episode_end"].isna().to_numpy(), True),
            "started_in_year": (started.to_numpy(), True),
            "ceased_in_year": (~frame["reason_episode_ceased"].isin(("", "X1")).to_numpy(), True),
        },
    )
    rates = p.cla_rates(authority, year) * 10_000
    ratios = [p.cla_ratio(c, year) for c in CENSUS_CODES]
    return _records(table, authority, year, "looked_after_31_march", rates, ratios)


def cpp_statistics(frame, include, authority, year, p) -> list[dict]:
    start, _ = reporting_year(year)
    every = np.ones(len(frame), dtype=bool)
    columns = {
        "plans": (every, False),
        "children": (every, True),
        "plans_31_march": (frame["plan_end"].isna().to_numpy(), False),
        "started_in_year": ((frame["plan_start"] >= start).to_numpy(), False),
        "ended_in_year": (frame["plan_end"].notna().to_numpy(), False),
    }
    category = frame["category_of_abuse"].to_numpy()
    columns.update({f"category_{c}": (category == c, False) for c, _ in ABUSE})
    table = _counts(frame, include, columns)
    rates = p.cpp_rates(authority) * 10_000
    ratios = [p.cpp_rate_ratio.get(c, 1.0) for c in CENSUS_CODES]
    return _records(table, authority, year, "plans_31_march", rates, ratios)


def _records(table: pd.DataFrame, authority, year, numerator: str, rates, ratios) -> list[dict]:
    pop = residents(authority, year).between(0, 17).sum(axis=1)
    out = []
    for group, row in table.iterrows():
        record = {"level": level_of(group), "group": group, **{k: int(v) for k, v in row.items()}}
        if group in CENSUS_CODES:
            i = CENSUS_CODES.index(group)
            record["residents_0_17"] = int(pop[i])
            record["rate_per_10000"] = rounded(row[numerator] / pop[i] * 10_000) if pop[i] else None
            record["planted_rate_per_10000"] = rounded(rates[i])
            record["planted_rate_ratio"] = rounded(ratios[i])
        elif group == "all":
            record["residents_0_17"] = int(pop.sum())
        out.append(record)
    return out


# --- the domain entry point -----------------------------------------------------------------


@dataclass(frozen=True)
class CareConfig:
    planted: CarePlanted = field(default_factory=CarePlanted)


class _Source:
    """Files, faults and expected statistics gathered for one source as the domain loops."""

    def __init__(self, inbox: Path, name: str):
        self.inbox, self.name = inbox, name
        (inbox / name).mkdir(parents=True, exist_ok=True)
        for old in (inbox / name).glob(f"{name}_X09*_synthetic.*"):
            old.unlink()
        self.files: list[dict] = []
        self.faults: list[dict] = []
        self.expected: list[dict] = []

    def write(
        self, ctx: DemoContext, authority: Authority, year: int, cells, system: System, fault_cell, column
    ) -> Written:
        rel = f"{self.name}/{self.name}_{authority.code}_{period_label(year)}_synthetic.csv"
        drop = drops_column(ctx, authority, year)
        written = write_extract(
            self.inbox,
            rel,
            system.layout,
            cells,
            ctx=ctx,
            rng_faults=ctx.rng(self.name, authority.index, year, 1),
            fault_cell=fault_cell,
            id_column="child_id",
            drop_column=column if drop else None,
        )
        self.key = {"authority_code": authority.code, "year": year, "period": period_label(year)}
        self.files.append({**written.record, "source": self.name, **self.key})
        self.faults.extend(written.faults)
        return written

    def add_expected(self, stats: list[dict], written: Written) -> None:
        extra = {"file": written.record["file"], "file_rejected": bool(written.record["missing_columns"])}
        self.expected.extend({**self.key, **extra, **s} for s in stats)

    def truth(self, planted: dict) -> dict:
        return {
            "folder": self.name,
            "definitions": DEFINITIONS[self.name],
            "planted": planted,
            "files": self.files,
            "expected": self.expected,
            "faults": self.faults,
        }


def write(inbox: Path, ctx: DemoContext, config: CareConfig | None = None) -> dict[str, dict]:
    """Looked-after episodes, protection plans and the DfE benchmark files; returns their truth."""
    p = (config or CareConfig()).planted
    cla, cpp = _Source(inbox, CLA), _Source(inbox, CHILD_PROTECTION)
    realised: dict[tuple[str, int], dict[str, pd.Series]] = {}
    for authority in ctx.authorities:
        for year in ctx.years:
            frame = simulate_cla(ctx.rng(CLA, authority.index, year), authority, year, p)
            system = _system(CLA_SYSTEMS, authority)
            cells = _render(frame, system)
            fault_cell = _fault_cell(cells, year, "episode_start", "sex")
            written = cla.write(ctx, authority, year, cells, system, fault_cell, "ethnicity")
            cla.add_expected(cla_statistics(frame, written.include, authority, year, p), written)

            plans = simulate_cpp(ctx.rng(CHILD_PROTECTION, authority.index, year), authority, year, p)
            system = _system(CP_SYSTEMS, authority)
            cells = _render(plans, system)
            fault_cell = _fault_cell(cells, year, "plan_start", "previous_plans")
            written = cpp.write(ctx, authority, year, cells, system, fault_cell, "ethnicity")
            cpp.add_expected(cpp_statistics(plans, written.include, authority, year, p), written)
            realised[(authority.code, year)] = {
                "cla": frame[frame["episode_end"].isna()]["ethnicity"].value_counts(),
                "cpp": plans[plans["plan_end"].isna()]["ethnicity"].value_counts(),
            }
        ctx.advance(DOMAIN)
    return {
        CLA: cla.truth(_planted_cla(p)),
        CHILD_PROTECTION: cpp.truth(_planted_cpp(p)),
        BENCHMARKS: care_ees.write(inbox, ctx, p, realised),
    }


DEFINITIONS = {
    CLA: {
        "row": "one SSDA903 episode open at some time in the year ending 31 March",
        "group": "Census 2021 code of the written DfE main code (ethnicity_dfe_codes seed), or 'unknown'",
        "looked_after_31_march": "distinct children with an episode with no end date (open at 31 March)",
        "started_in_year": "distinct children with an episode with RNE 'S' starting in the year",
        "ceased_in_year": "distinct children with an episode whose REC is a reason care ended (not X1)",
        "rate_per_10000": "looked_after_31_march / residents_0_17 * 10000 (residents of the Census group)",
        "file_rejected": "the file lacks a required column (dirty mode): ingest loads none of its rows",
    },
    CHILD_PROTECTION: {
        "row": "one child protection plan open at some time in the year ending 31 March",
        "group": "Census 2021 code of the written DfE main code (ethnicity_dfe_codes seed), or 'unknown'",
        "plans_31_march": "plans with no end date (open at 31 March)",
        "started_in_year": "plans starting on or after 1 April",
        "ended_in_year": "plans with an end date",
        "category_*": "plans by category of abuse",
        "rate_per_10000": "plans_31_march / residents_0_17 * 10000",
        "file_rejected": "the file lacks a required column (dirty mode): ingest loads none of its rows",
    },
}


def _planted_cla(p: CarePlanted) -> dict:
    return {
        "looked_after_rate": {
            "mechanism": (
                "expected children looked after at 31 March of group g = cla_rate_per_10000/10000 x "
                "authority factor (x outside_london_factor) x ratio[g](year) x residents aged 0-17; "
                f"children who left care in the year = {p.ceased_per_looked_after} x that, same ratios; "
                f"counts rounded '{p.sampling}'"
            ),
            "reference_group": p.reference_group,
            "rate_per_10000_reference_london": p.cla_rate_per_10000,
            "outside_london_factor": p.cla_outside_london_factor,
            "rate_ratio_anchors": {g: {str(y): r for y, r in a} for g, a in sorted(p.cla_rate_ratio.items())},
            "headline_groups": list(p.headline_groups),
            "trend": f"{p.trend_group} ratio rising from 2022 to 2025",
        },
        "null_effect": {"groups": list(p.null_effect_groups), "mechanism": "same rate as White British"},
        "no_effect": "episodes, moves, legal status, placement, category of need: the same for all groups",
        "recording": {"REFU": p.refused_share, "NOBT": p.not_obtained_share},
    }


def _planted_cpp(p: CarePlanted) -> dict:
    return {
        "plan_rate": {
            "mechanism": (
                "expected plans open at 31 March of group g = cpp_rate_per_10000/10000 x authority factor "
                f"x ratio[g] x residents aged 0-17; plans ended in the year = {p.cpp_ended_per_open} x that"
            ),
            "reference_group": p.reference_group,
            "rate_per_10000_reference_london": p.cpp_rate_per_10000,
            "outside_london_factor": p.cpp_outside_london_factor,
            "rate_ratio": dict(sorted(p.cpp_rate_ratio.items())),
        },
        "null_effect": {"groups": list(p.null_effect_groups), "mechanism": "same rate as White British"},
        "no_effect": "category of abuse, plan length and previous plans: the same for all groups",
    }
