"""Youth justice case records and police stop and search events for the fictional councils.

Two sources (one inbox folder each):

* ``youth_justice``: one extract per authority per reporting year (year ending 31 March), one row
  per outcome (caution or court disposal) as a youth offending team's case-management system
  exports it (three system shapes: a ChildView-like CSV holding DfE main ethnicity codes, a
  Careworks-like XLSX report with title rows, Census 2021 labels and a Total row, and a CSV with
  HR-style labels; "Not known" when not recorded). Children aged 10-17 are drawn from
  ``population.residents`` so first-time-entrant rates per 1,000 residents aged 10-17 use the same
  people as the population denominators.
* ``stop_search``: see ``justice_stop_search``.

Planted truths in youth justice (``YouthJusticePlanted``, configurable, written to the truth):

* First-time entrants (FTE). Group g's expected FTE count is ``fte_rate_per_1000 x factor x
  fte_rate_ratio[g](year)`` per 1,000 residents aged 10-17 (``factor``: a fixed per-authority
  multiplier, 0.8 outside London). Black Caribbean starts at 3.0x White British and Mixed White
  and Black Caribbean at 2.6x, both FALLING over the years (to 2.2x and 2.0x in 2025); Black
  African 2.2x -> 1.8x. Indian children (``null_effect_groups``) are exactly like White British.
  Other children with a proven offence (not first-timers) follow the same group rates.
* Remand and custody among sentenced (court) outcomes: odds ratios vs White British for Black
  (2.0 custody, 2.2 remand to youth detention accommodation, 1.5 community remand) and Mixed White
  and Black Caribbean children (1.5 / 1.6 / 1.3); base shares 8%, 4% and 10%.
* No effect: reoffending within 12 months, offence type and the court/out-of-court split do not
  depend on ethnicity; sex and age only shape who offends within each group.

Expected statistics (``expected`` in the truth) are counted from the rows actually written, per
authority x year x recorded ethnic group (the Census 2021 code the file's value maps to through
the seeds, or "unknown"), with the 10-17 denominators. Person ids are not linked across years.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from observatory.demo import faults as F
from observatory.demo import justice_stop_search as SS
from observatory.demo import writers as W
from observatory.demo.authorities import CENSUS_CODES, Authority
from observatory.demo.context import DemoContext
from observatory.demo.ethnicity import load_labels
from observatory.demo.justice_care_common import (
    SYNTHETIC,
    UNKNOWN,
    Layout,
    age_on,
    authority_factor,
    birth_dates,
    cell_expectation,
    census_of_dfe,
    census_of_label,
    dated_text,
    draw_counts,
    drops_column,
    expand,
    integers,
    interpolate,
    level_of,
    period_label,
    pick,
    random_days,
    reporting_year,
    share_within_groups,
    spelled,
    tally,
    unique_ids,
    write_extract,
)
from observatory.demo.population import draw_dfe_codes, residents
from observatory.demo.truth import rounded

DOMAIN = "justice"
YOUTH_JUSTICE = "youth_justice"
STOP_SEARCH = SS.SOURCE
SOURCES = (YOUTH_JUSTICE, STOP_SEARCH)
AGES = np.arange(10, 18)

BLACK = ("BAFR", "BCRB", "BOTH")
OUTCOMES_PRE_COURT = (("youth_caution", 0.55), ("youth_conditional_caution", 0.45))
OUTCOMES_COURT = (
    ("referral_order", 0.50),
    ("youth_rehabilitation_order", 0.35),
    ("fine", 0.08),
    ("conditional_discharge", 0.07),
)
OFFENCES = (
    ("Violence against the person", 0.30), ("Theft and handling stolen goods", 0.10),
    ("Drugs offences", 0.12), ("Motoring offences", 0.09), ("Robbery", 0.06),
    ("Criminal damage", 0.07), ("Public order", 0.08), ("Breach of statutory order", 0.04),
    ("Sexual offences", 0.03), ("Burglary", 0.04), ("Possession of weapons", 0.05),
    ("Other offences", 0.02),
)  # fmt: skip


def _anchors(start: float, end: float) -> tuple[tuple[int, float], ...]:
    return ((2022, start), (2025, end))


@dataclass(frozen=True)
class YouthJusticePlanted:
    """The youth justice disparities (see the module docstring)."""

    reference_group: str = "WBRI"
    fte_rate_per_1000: float = 2.5  # reference group, London; a 2010s-like level so boroughs see ~100 FTEs
    outside_london_factor: float = 0.8
    fte_rate_ratio: dict[str, tuple[tuple[int, float], ...]] = field(
        default_factory=lambda: {
            "BCRB": _anchors(3.0, 2.2),  # the headline, falling
            "MWBC": _anchors(2.6, 2.0),
            "BAFR": _anchors(2.2, 1.8),
            "BOTH": _anchors(2.4, 1.9),
            "MWBA": _anchors(1.8, 1.6),
            "MOTH": _anchors(1.5, 1.5),
            "MWAS": _anchors(1.2, 1.2),
            "WGYP": _anchors(2.0, 2.0),
            "WROM": _anchors(1.5, 1.5),
            "WOTH": _anchors(0.9, 0.9),
            "WIRI": _anchors(1.0, 1.0),
            "ABAN": _anchors(1.1, 1.1),
            "APKN": _anchors(1.1, 1.1),
            "AOTH": _anchors(0.9, 0.9),
            "ACHN": _anchors(0.3, 0.3),
            "OARA": _anchors(1.3, 1.3),
            "OOTH": _anchors(1.4, 1.4),
            "AIND": _anchors(1.0, 1.0),  # no planted effect
        }
    )
    null_effect_groups: tuple[str, ...] = ("AIND",)
    headline_group: str = "BCRB"
    repeat_per_fte: float = 0.6  # children with a proven offence who are not first-timers, per FTE
    extra_cases_fte: float = 0.4  # mean further outcomes in the year (Poisson) after the first
    extra_cases_repeat: float = 1.0
    court_share_first: float = 0.30  # share of a child's first outcome in the year that is at court
    court_share_later: float = 0.60
    custody_share: float = 0.08  # of court outcomes, reference group
    remand_yda_share: float = 0.04
    remand_community_share: float = 0.10
    custody_odds: dict[str, float] = field(
        default_factory=lambda: {"BAFR": 2.0, "BCRB": 2.0, "BOTH": 2.0, "MWBC": 1.5}
    )
    remand_yda_odds: dict[str, float] = field(
        default_factory=lambda: {"BAFR": 2.2, "BCRB": 2.2, "BOTH": 2.2, "MWBC": 1.6}
    )
    remand_community_odds: dict[str, float] = field(
        default_factory=lambda: {"BAFR": 1.5, "BCRB": 1.5, "BOTH": 1.5, "MWBC": 1.3}
    )
    reoffend_fte: float = 0.28  # chance of a proven reoffence within 12 months not in this file
    reoffend_repeat: float = 0.45
    not_known_share: float = 0.04
    sampling: str = "systematic"  # or "poisson": see justice_care_common.draw_counts

    def ratio(self, code: str, year: int) -> float:
        return interpolate(self.fte_rate_ratio.get(code, ((2022, 1.0),)), year)

    def base_rate(self, authority: Authority) -> float:
        """Reference-group FTE rate per child aged 10-17 in this authority."""
        outside = 1.0 if authority.region == "London" else self.outside_london_factor
        return self.fte_rate_per_1000 / 1000 * outside * authority_factor(authority, 0.11)


@dataclass(frozen=True)
class JusticeConfig:
    youth_justice: YouthJusticePlanted = field(default_factory=YouthJusticePlanted)
    stop_search: SS.StopSearchPlanted = field(default_factory=SS.StopSearchPlanted)


@dataclass(frozen=True)
class YJSystem:
    """How one youth justice case-management system exports its records."""

    layout: Layout
    ethnicity: str  # "dfe" (main codes), "census" or "hr" (labels)
    sex: dict[str, str]
    outcome: dict[str, str]
    remand: dict[str, str]
    yes_no: tuple[str, str]
    case_prefix: str
    person_prefix: str


_OUTCOME_NAMES = {
    "youth_caution": "Youth Caution",
    "youth_conditional_caution": "Youth Conditional Caution",
    "referral_order": "Referral Order",
    "youth_rehabilitation_order": "Youth Rehabilitation Order",
    "custody": "Custody",
    "fine": "Fine",
    "conditional_discharge": "Conditional Discharge",
}
_CANONICAL = (
    "case_id", "person_id", "date_of_birth", "age_at_offence", "sex", "ethnicity", "offence_type",
    "offence_date", "outcome", "outcome_date", "first_time_entrant", "remand", "custody",
    "reoffended_12m", "data_status",
)  # fmt: skip

SYSTEMS: tuple[YJSystem, ...] = (
    YJSystem(  # ChildView-like CSV: DfE main codes
        layout=Layout(
            system="childview_csv",
            headers=tuple(
                zip(
                    _CANONICAL,
                    (
                        "Case ID",
                        "Child ID",
                        "DOB",
                        "Age at Offence",
                        "Gender",
                        "Ethnicity",
                        "Offence Category",
                        "Offence Date",
                        "Outcome",
                        "Outcome Date",
                        "FTE",
                        "Remand Status",
                        "Custody",
                        "Reoffended (12m)",
                        "Data Status",
                    ),
                    strict=True,
                )
            ),
        ),
        ethnicity="dfe",
        sex={"Female": "Female", "Male": "Male"},
        outcome=_OUTCOME_NAMES,
        remand={"none": "None", "community": "Community", "youth_detention": "YDA"},
        yes_no=("Y", "N"),
        case_prefix="C",
        person_prefix="YP",
    ),
    YJSystem(  # Careworks-like XLSX report: title rows, Census 2021 labels, no date of birth
        layout=Layout(
            system="careworks_xlsx",
            headers=tuple(
                (c, h)
                for c, h in zip(
                    _CANONICAL,
                    (
                        "Case Reference",
                        "Young Person ID",
                        "",
                        "Age at Offence",
                        "Sex",
                        "Ethnicity",
                        "Offence Type",
                        "Date of Offence",
                        "Disposal",
                        "Disposal Date",
                        "First Time Entrant",
                        "Remand",
                        "Custodial Sentence",
                        "Reoffended Within 12 Months",
                        "Record Status",
                    ),
                    strict=True,
                )
                if h
            ),
            fmt="xlsx",
            sheet="Youth justice outcomes",
            total_label="Total outcomes",
        ),
        ethnicity="census",
        sex={"Female": "Female", "Male": "Male"},
        outcome={**_OUTCOME_NAMES, "custody": "Detention and Training Order"},
        remand={
            "none": "No remand",
            "community": "Remand to local authority accommodation",
            "youth_detention": "Remand to youth detention accommodation",
        },
        yes_no=("Yes", "No"),
        case_prefix="",
        person_prefix="",
    ),
    YJSystem(  # a CSV already in the canonical column names, HR-style labels
        layout=Layout(system="canonical_csv", headers=tuple((c, c) for c in _CANONICAL)),
        ethnicity="hr",
        sex={"Female": "F", "Male": "M"},
        outcome={k: v.lower() for k, v in _OUTCOME_NAMES.items()},
        remand={"none": "none", "community": "community", "youth_detention": "youth detention"},
        yes_no=("TRUE", "FALSE"),
        case_prefix="YJ-",
        person_prefix="P",
    ),
)

_UNKNOWN_CODES = ("BLKC", "WBR", "MIX", "ZZZZ")


def system_for(authority: Authority) -> YJSystem:
    return SYSTEMS[(authority.index - 1) % len(SYSTEMS)]


def file_name(authority: Authority, year: int, ext: str) -> str:
    return f"{YOUTH_JUSTICE}_{authority.code}_{period_label(year)}_synthetic.{ext}"


def _logistic_share(base: float, odds: np.ndarray) -> np.ndarray:
    logit = np.log(base / (1 - base)) + np.log(odds)
    return 1 / (1 + np.exp(-logit))


# --- simulation -----------------------------------------------------------------------------


def simulate(
    rng: np.random.Generator, authority: Authority, year: int, p: YouthJusticePlanted, system: YJSystem
) -> pd.DataFrame:
    """One reporting year's outcomes: canonical values plus truth columns (census_code, group, court)."""
    start, end = reporting_year(year)
    pop = residents(authority, year).counts[:, :, AGES].astype(np.float64)
    rate = p.base_rate(authority) * np.array([p.ratio(c, year) for c in CENSUS_CODES])
    # Boys offend about three times as often as girls, and offending rises steeply with age.
    profile = np.outer([1.0, 3.0], [0.15, 0.3, 0.6, 1.0, 1.5, 1.9, 2.1, 2.2])
    fte = draw_counts(rng, cell_expectation(pop, rate, profile), p.sampling)
    repeat = draw_counts(rng, cell_expectation(pop, rate * p.repeat_per_fte, profile), p.sampling)
    g1, s1, a1 = expand(fte)
    g2, s2, a2 = expand(repeat)
    group, sex, age = np.r_[g1, g2], np.r_[s1, s2], AGES[np.r_[a1, a2]]
    is_fte = np.r_[np.ones(g1.size, bool), np.zeros(g2.size, bool)]
    n_children = group.size

    # Outcomes per child, in date order; the FTE's first outcome is their first ever.
    extra = rng.poisson(np.where(is_fte, p.extra_cases_fte, p.extra_cases_repeat))
    child = np.repeat(np.arange(n_children), 1 + extra)
    outcome_date = random_days(rng, start, end, child.size)
    order = np.lexsort((outcome_date, child))
    child, outcome_date = child[order], outcome_date[order]
    first = np.r_[True, child[1:] != child[:-1]]
    court = rng.random(child.size) < np.where(first, p.court_share_first, p.court_share_later)
    delay = np.where(court, rng.integers(60, 300, child.size), rng.integers(20, 120, child.size))
    offence_date = outcome_date - delay.astype("timedelta64[D]")

    code = np.array(CENSUS_CODES)[group[child]]
    custody_odds = pd.Series(code).map(p.custody_odds).fillna(1.0).to_numpy()
    yda_odds = pd.Series(code).map(p.remand_yda_odds).fillna(1.0).to_numpy()
    community_odds = pd.Series(code).map(p.remand_community_odds).fillna(1.0).to_numpy()
    custody = court & (rng.random(child.size) < _logistic_share(p.custody_share, custody_odds))
    p_yda = _logistic_share(p.remand_yda_share, yda_odds)
    p_community = _logistic_share(p.remand_community_share, community_odds)
    u = rng.random(child.size)
    remand = np.where(
        ~court,
        "none",
        np.where(u < p_yda, "youth_detention", np.where(u < p_yda + p_community, "community", "none")),
    )
    outcome = np.where(
        custody,
        "custody",
        np.where(court, pick(rng, OUTCOMES_COURT, child.size), pick(rng, OUTCOMES_PRE_COURT, child.size)),
    )

    # Reoffended: a later outcome in this file for an offence within 12 months, else a reoffence
    # that falls outside the file, drawn with the same chance for every group.
    next_offence = np.r_[offence_date[1:], np.datetime64("NaT")]
    same_child_next = np.r_[child[1:] == child[:-1], False]
    gap = (next_offence - outcome_date).astype(np.int64)
    later = same_child_next & (gap > 0) & (gap <= 365)
    chance = np.where(is_fte[child], p.reoffend_fte, p.reoffend_repeat)
    reoffended = later | (rng.random(child.size) < chance)

    dob = birth_dates(rng, age, offence_date[first])[child]
    age_at_offence = age_on(dob, offence_date)
    keep = (age_at_offence >= 10) & (age_at_offence <= 17)  # a later offence at 18 is adult justice

    recorded = _record_ethnicity(rng, group, authority, p, system)[child]
    person = unique_ids(rng, n_children, 10_000, 100_000)[child]
    frame = pd.DataFrame(
        {
            "person_id": np.char.add(system.person_prefix, person.astype(str)).astype(object),
            "date_of_birth": dob,
            "age_at_offence": age_at_offence,
            "sex": np.array(["Female", "Male"], dtype=object)[sex[child]],
            "ethnicity": recorded,
            "offence_type": pick(rng, OFFENCES, child.size),
            "offence_date": offence_date,
            "outcome": outcome,
            "outcome_date": outcome_date,
            "first_time_entrant": is_fte[child] & first,
            "remand": remand,
            "custody": custody,
            "reoffended_12m": reoffended,
            "data_status": SYNTHETIC,
            "census_code": code,
            "court": court,
        }
    )[keep]
    frame = frame.sort_values(["outcome_date", "person_id"], kind="stable").reset_index(drop=True)
    serial = (year % 100) * 100_000 + 1 + np.arange(len(frame))
    frame.insert(0, "case_id", np.char.add(system.case_prefix, serial.astype(str)).astype(object))
    frame["group"] = recorded_group(frame["ethnicity"].to_numpy(), system)
    return frame


def _record_ethnicity(
    rng: np.random.Generator,
    group: np.ndarray,
    authority: Authority,
    p: YouthJusticePlanted,
    system: YJSystem,
) -> np.ndarray:
    """Each child's ethnicity as the system holds it, "Not known" for a share."""
    if system.ethnicity == "dfe":
        _, values = draw_dfe_codes(group, authority, rng)
    else:
        values = load_labels().sample(group, system.ethnicity, 0.0, rng)
    unknown = share_within_groups(rng, group, p.not_known_share)
    return np.where(unknown, "Not known", values).astype(object)


def recorded_group(values: np.ndarray, system: YJSystem) -> np.ndarray:
    """The Census 2021 code (or "unknown") a written ethnicity value maps to through the seeds."""
    by_label = census_of_label(values)
    if system.ethnicity != "dfe":
        return by_label
    by_code = census_of_dfe(values)
    return np.where(pd.isna(by_code), by_label, by_code)


# --- rendering and faults -------------------------------------------------------------------


def _render(frame: pd.DataFrame, system: YJSystem) -> dict[str, W.Cells]:
    fmt = system.layout.fmt
    yes, no = system.yes_no
    out: dict[str, W.Cells] = {}
    for canonical, _ in system.layout.headers:
        v = frame[canonical].to_numpy()
        if canonical in ("date_of_birth", "offence_date", "outcome_date"):
            out[canonical] = dated_text(v, fmt)
        elif canonical == "age_at_offence":
            out[canonical] = integers(v, fmt)
        elif canonical in ("first_time_entrant", "custody", "reoffended_12m"):
            out[canonical] = W.Cells.of_text(np.where(v, yes, no))
        elif canonical in ("sex", "outcome", "remand"):
            out[canonical] = spelled(v, getattr(system, canonical))
        else:
            out[canonical] = W.Cells.of_text(v)
    return out


def _fault_cell(cells: dict[str, W.Cells], system: YJSystem, year: int):
    unmapped = _UNKNOWN_CODES if system.ethnicity == "dfe" else load_labels().unmapped()
    numeric = system.layout.fmt == "xlsx"

    def fault(kind: str, j: int, row: int) -> tuple[str, str, bool, str]:
        if kind == F.UNKNOWN_LABEL:
            return "ethnicity", unmapped[j % len(unmapped)], False, "unknown_ethnicity"
        if kind == F.DUPLICATE_ROW:
            return "case_id", str(cells["case_id"].text[row]), False, "duplicate_row"
        if kind == F.IMPOSSIBLE_DATE:
            return "offence_date", ("31/02/", "30/02/")[j % 2] + str(year - j % 2), False, "impossible_date"
        if kind == F.NEGATIVE_NUMBER:
            return "age_at_offence", f"-{cells['age_at_offence'].text[row]}", numeric, "negative_age"
        if kind == F.TEXT_IN_NUMERIC:
            return "age_at_offence", ("n/k", "fifteen")[j % 2], False, "text_in_numeric"
        if kind == F.OUT_OF_RANGE:
            return "age_at_offence", ("9", "21")[j % 2], numeric, "age_out_of_range"
        raise ValueError(kind)  # pragma: no cover

    return fault


# --- expected statistics --------------------------------------------------------------------


def statistics(
    frame: pd.DataFrame, include: np.ndarray, authority: Authority, year: int, p: YouthJusticePlanted
) -> list[dict]:
    """Counts per recorded group over the rows that count (see the module docstring)."""
    groups = [*CENSUS_CODES, UNKNOWN]
    g = frame["group"].to_numpy()
    court = include & frame["court"].to_numpy()
    fte = include & frame["first_time_entrant"].to_numpy()
    remand = frame["remand"].to_numpy()
    counts = pd.DataFrame(
        {
            "outcomes": tally(g, groups, include),
            "children": tally(g, groups, include, ids=frame["person_id"].to_numpy()),
            "first_time_entrants": tally(g, groups, fte),
            "fte_reoffended_12m": tally(g, groups, fte & frame["reoffended_12m"].to_numpy()),
            "sentenced": tally(g, groups, court),
            "remand_community": tally(g, groups, court & (remand == "community")),
            "remand_youth_detention": tally(g, groups, court & (remand == "youth_detention")),
            "custody": tally(g, groups, include & frame["custody"].to_numpy()),
        },
        index=groups,
    )
    counts.loc["all"] = counts.sum()
    pop = residents(authority, year).between(10, 17).sum(axis=1)
    base = p.base_rate(authority) * 1000
    out = []
    for group, row in counts.iterrows():
        record = {"level": level_of(group), "group": group, **{k: int(v) for k, v in row.items()}}
        if group in CENSUS_CODES:
            n = int(pop[CENSUS_CODES.index(group)])
            record["residents_10_17"] = n
            record["fte_rate_per_1000"] = rounded(row["first_time_entrants"] / n * 1000) if n else None
            record["planted_fte_rate_per_1000"] = rounded(base * p.ratio(group, year))
            record["planted_fte_rate_ratio"] = rounded(p.ratio(group, year))
        elif group == "all":
            record["residents_10_17"] = int(pop.sum())
        out.append(record)
    return out


# --- the domain entry point -----------------------------------------------------------------


def write(inbox: Path, ctx: DemoContext, config: JusticeConfig | None = None) -> dict[str, dict]:
    """Youth justice outcomes into ``inbox/youth_justice/`` and stop and search events into
    ``inbox/stop_search/``; returns the two sources' ground truth."""
    cfg = config or JusticeConfig()
    p = cfg.youth_justice
    yj_dir = inbox / YOUTH_JUSTICE
    yj_dir.mkdir(parents=True, exist_ok=True)
    for old in yj_dir.glob(f"{YOUTH_JUSTICE}_X09*_synthetic.*"):
        old.unlink()
    stop_search = SS.StopSearchWriter(inbox, ctx, cfg.stop_search)
    files, faults, expected = [], [], []
    for authority in ctx.authorities:
        system = system_for(authority)
        for year in ctx.years:
            frame = simulate(ctx.rng(YOUTH_JUSTICE, authority.index, year), authority, year, p, system)
            cells = _render(frame, system)
            rel = f"{YOUTH_JUSTICE}/{file_name(authority, year, system.layout.fmt)}"
            drop = drops_column(ctx, authority, year)
            written = write_extract(
                inbox,
                rel,
                system.layout,
                cells,
                ctx=ctx,
                rng_faults=ctx.rng(YOUTH_JUSTICE, authority.index, year, 1),
                fault_cell=_fault_cell(cells, system, year),
                title_rows=(
                    f"SYNTHETIC DEMO DATA - {authority.name} youth justice outcomes {period_label(year)}",
                    f"Fictional council generated by observatory.demo (seed {ctx.seed}); not real children.",
                ),
                id_column="case_id",
                drop_column="ethnicity" if drop else None,
            )
            key = {"authority_code": authority.code, "year": year, "period": period_label(year)}
            files.append(
                {**written.record, "source": YOUTH_JUSTICE, **key, "ethnicity_values": system.ethnicity}
            )
            faults.extend(written.faults)
            rejected = bool(written.record["missing_columns"])
            stats = statistics(frame, written.include, authority, year, p)
            expected.extend({**key, "file": rel, "file_rejected": rejected, **s} for s in stats)
            stop_search.write_year(authority, year)
        ctx.advance(DOMAIN)
    return {
        YOUTH_JUSTICE: {
            "folder": YOUTH_JUSTICE,
            "definitions": DEFINITIONS,
            "planted": _planted_truth(p),
            "files": files,
            "expected": expected,
            "faults": faults,
        },
        STOP_SEARCH: stop_search.truth(),
    }


DEFINITIONS = {
    "row": "one outcome (caution or court disposal) in the reporting year ending 31 March (by outcome date)",
    "group": (
        "the Census 2021 code the row's ethnicity maps to (DfE main codes through seeds/ethnicity/"
        "ethnicity_dfe_codes.csv, labels through ethnicity_hr_labels.csv); 'unknown' for Not known"
    ),
    "first_time_entrants": "rows with the first-time-entrant flag set (a child's first ever outcome)",
    "fte_rate_per_1000": "first_time_entrants / residents_10_17 * 1000 (residents of the Census group)",
    "planted_fte_rate_per_1000": (
        "the planted rate for children truly in the group; the recorded rate is about (1 - not_known_share) "
        "times it (and DfE-coded files record Gypsy children as WROM)"
    ),
    "sentenced": "rows with a court outcome (referral order, YRO, custody, fine, conditional discharge)",
    "remand_community, remand_youth_detention": "sentenced rows with that remand status",
    "custody": "rows whose outcome is custody (a Detention and Training Order)",
    "children": "distinct person ids among the rows",
    "fte_reoffended_12m": "first-time-entrant rows flagged as reoffended within 12 months",
    "file_rejected": "the file lacks a required column (dirty mode): ingest loads none of its rows",
}


def _planted_truth(p: YouthJusticePlanted) -> dict:
    return {
        "first_time_entrants": {
            "mechanism": (
                "expected FTEs of group g = fte_rate_per_1000/1000 x authority factor (x "
                "outside_london_factor) x ratio[g](year) x residents aged 10-17; counts rounded "
                f"'{p.sampling}'; boys 3x girls and rising with age within each group"
            ),
            "reference_group": p.reference_group,
            "fte_rate_per_1000_reference_london": p.fte_rate_per_1000,
            "outside_london_factor": p.outside_london_factor,
            "rate_ratio_anchors": {g: {str(y): r for y, r in a} for g, a in sorted(p.fte_rate_ratio.items())},
            "headline_group": p.headline_group,
            "trend": "falling ratios for BCRB, MWBC, BAFR and BOTH from 2022 to 2025",
            "expected_values": "expected (per authority, year and recorded group)",
        },
        "remand_and_custody": {
            "mechanism": "logit(share) = logit(base) + ln(odds[g]) among court outcomes",
            "base_shares": {
                "custody": p.custody_share,
                "remand_youth_detention": p.remand_yda_share,
                "remand_community": p.remand_community_share,
            },
            "custody_odds": p.custody_odds,
            "remand_youth_detention_odds": p.remand_yda_odds,
            "remand_community_odds": p.remand_community_odds,
        },
        "null_effect": {
            "groups": list(p.null_effect_groups),
            "mechanism": "same FTE rate, remand and custody as White British",
            "also_no_effect": "reoffending, offence type, court vs out-of-court split, for every group",
        },
    }
