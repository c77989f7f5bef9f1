"""Formal employee-relations cases (inbox folder ``hr_casework``): one row per case opened in the
financial year, from the council's case tracker, exported after the year end.

Cases belong to the employees of the payroll snapshot that closes the year (31 March; the WRES
denominator), reproduced exactly as ``hr.write`` generates it, so employee number, ethnicity label,
sex, grade and directorate agree with that payroll file. Each employee enters each process with
probability base rate x the planted multiplier of their recorded ethnicity (at most one case of a
type a year). Outcomes and durations carry no planted effect. An employee dismissed while on the
31 March payroll can only have been dismissed after it, so dismissal cases close between 1 April and
the extract date; other cases not closed by the extract date are "Ongoing".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from observatory.demo import hr_people_files as PF
from observatory.demo import hr_people_stats as PS
from observatory.demo.authorities import Authority

SOURCE = "hr_casework"
CONFIG_FIELD = "casework"
LINKED_SNAPSHOT: int | None = 0  # the payroll snapshot closing the year (31 March of the year)
CASE_TYPES = ("Disciplinary", "Grievance", "Capability", "Bullying and harassment")
ENDS_EMPLOYMENT = "Dismissal"
ONGOING = "Ongoing"
_BLACK = ("BAFR", "BCRB", "BOTH")


@dataclass(frozen=True)
class CaseworkPlanted:
    """Entry into formal processes; Black staff 1.8x as likely as White staff to enter disciplinary."""

    # Yearly probability of entering each process at multiplier 1.
    base_rates: dict[str, float] = field(
        default_factory=lambda: {
            "Disciplinary": 0.030,
            "Grievance": 0.015,
            "Capability": 0.010,
            "Bullying and harassment": 0.008,
        }
    )
    # Case type -> Census code -> multiplier; codes not listed (and unrecorded ethnicity) get 1.
    multipliers: dict[str, dict[str, float]] = field(
        default_factory=lambda: {"Disciplinary": dict.fromkeys(_BLACK, 1.8)}
    )
    headline: tuple[str, str] = ("major_group", "Black")  # compared with White British and White


@dataclass(frozen=True)
class CaseworkShape:
    median_days: dict[str, float] = field(
        default_factory=lambda: {
            "Disciplinary": 70,
            "Grievance": 45,
            "Capability": 120,
            "Bullying and harassment": 60,
        }
    )
    duration_sigma: float = 0.6
    extract_days_after_year_end: int = 91  # the tracker is exported on 30 June
    outcomes: dict[str, tuple[tuple[str, float], ...]] = field(
        default_factory=lambda: {
            "Disciplinary": (
                ("No case to answer", 0.25),
                ("Informal action", 0.20),
                ("First written warning", 0.22),
                ("Final written warning", 0.15),
                ("Dismissal", 0.12),
                ("Withdrawn", 0.06),
            ),
            "Grievance": (
                ("Upheld", 0.20),
                ("Partially upheld", 0.20),
                ("Not upheld", 0.40),
                ("Withdrawn", 0.10),
                ("Resolved informally", 0.10),
            ),
            "Capability": (
                ("Improvement plan completed", 0.45),
                ("First written warning", 0.15),
                ("Final written warning", 0.12),
                ("Dismissal", 0.10),
                ("Redeployment", 0.08),
                ("No further action", 0.10),
            ),
            "Bullying and harassment": (
                ("Upheld", 0.25),
                ("Not upheld", 0.45),
                ("Resolved by mediation", 0.20),
                ("Withdrawn", 0.10),
            ),
        }
    )


@dataclass(frozen=True)
class CaseworkConfig:
    planted: CaseworkPlanted = field(default_factory=CaseworkPlanted)
    shape: CaseworkShape = field(default_factory=CaseworkShape)


OUTCOMES = (
    "No case to answer",
    "Informal action",
    "First written warning",
    "Final written warning",
    "Dismissal",
    "Upheld",
    "Partially upheld",
    "Not upheld",
    "Withdrawn",
    "Resolved informally",
    "Improvement plan completed",
    "Redeployment",
    "No further action",
    "Resolved by mediation",
    ONGOING,
)
_OUTCOME_B = (
    "NCTA",
    "Informal",
    "1st Written Warning",
    "Final Written Warning",
    "Dismissed",
    "Upheld",
    "Partially Upheld",
    "Not Upheld",
    "Withdrawn",
    "Resolved Informally",
    "PIP Completed",
    "Redeployed",
    "NFA",
    "Mediation",
    "Open",
)
_OUTCOME_C = (
    "No case to answer",
    "Management advice",
    "Written warning",
    "Final written warning",
    "Dismissal",
    "Grievance upheld",
    "Partially upheld",
    "Not upheld",
    "Withdrawn",
    "Resolved informally",
    "Improvement plan completed",
    "Redeployment",
    "No further action",
    "Mediation",
    "In progress",
)

SPEC = PF.SourceSpec(
    source=SOURCE,
    title="employee relations cases opened",
    kinds={
        "case_reference": "text",
        "employee_id": "text",
        "ethnicity": "text",
        "sex": "category",
        "grade": "text",
        "directorate": "text",
        "case_type": "category",
        "opened_date": "date",
        "closed_date": "date",
        "outcome": "category",
        "days_open": "number",
        PF.DATA_STATUS: "text",
    },
    required=("case_reference", "employee_id", "case_type", "opened_date"),
    id_column="case_reference",
    systems=(
        PF.System(  # Northbrook: the case tracker report saved as XLSX
            name="case tracker A (XLSX report)",
            headers=(
                ("case_reference", "Case ID"),
                ("employee_id", "Emp No"),
                ("ethnicity", "Ethnic Group"),
                ("sex", "Sex"),
                ("grade", "Pay Band"),
                ("directorate", "Service"),
                ("case_type", "Category"),
                ("opened_date", "Start Date"),
                ("closed_date", "End Date"),
                ("outcome", "Case Outcome"),
                ("days_open", "Duration (Days)"),
            ),
            fmt="xlsx",
            sheet="ER Cases",
            spellings={
                "sex": {"Female": ("F",), "Male": ("M",)},
                "case_type": {
                    "Disciplinary": ("DISC",),
                    "Grievance": ("GRV",),
                    "Capability": ("CAP",),
                    "Bullying and harassment": ("B&H",),
                },
                "outcome": {o: (b,) for o, b in zip(OUTCOMES, _OUTCOME_B, strict=True)},
            },
        ),
        PF.System(  # the case tracker's CSV export, with a title line
            name="case tracker B (CSV with a title line)",
            headers=(
                ("case_reference", "Case Ref"),
                ("employee_id", "Employee Number"),
                ("ethnicity", "Ethnicity"),
                ("sex", "Gender"),
                ("grade", "Grade"),
                ("directorate", "Directorate"),
                ("case_type", "Case Type"),
                ("opened_date", "Date Opened"),
                ("closed_date", "Date Closed"),
                ("outcome", "Outcome"),
                ("days_open", "Days Open"),
            ),
            fmt="csv",
            title_line=True,
            spellings={
                "sex": {"Female": ("Female",), "Male": ("Male",)},
                "case_type": {
                    "Disciplinary": ("Disciplinary",),
                    "Grievance": ("Grievance",),
                    "Capability": ("Capability",),
                    "Bullying and harassment": ("Bullying & Harassment",),
                },
                "outcome": {o: (o,) for o in OUTCOMES},
            },
        ),
        PF.System(
            name="case tracker C (CSV with a status column and a total line)",
            headers=(
                ("case_reference", "ER Reference"),
                ("employee_id", "Payroll Number"),
                ("ethnicity", "Ethnicity Description"),
                ("sex", "Gender"),
                ("grade", "Band"),
                ("directorate", "Division"),
                ("case_type", "Case Category"),
                ("opened_date", "Opened"),
                ("closed_date", "Closed"),
                ("outcome", "Result"),
                ("days_open", "Calendar Days"),
                (PF.DATA_STATUS, "Record Status"),
            ),
            fmt="csv",
            total_row=True,
            spellings={
                "sex": {"Female": ("Female",), "Male": ("Male",)},
                "case_type": {
                    "Disciplinary": ("Conduct (Disciplinary)", "Disciplinary"),
                    "Grievance": ("Grievance",),
                    "Capability": ("Capability - Performance",),
                    "Bullying and harassment": ("Dignity at Work",),
                },
                "outcome": {o: (c,) for o, c in zip(OUTCOMES, _OUTCOME_C, strict=True)},
            },
        ),
    ),
    faults=PF.FaultTargets(
        date="opened_date",
        number="days_open",
        out_of_range=("9999", "4000"),
        text_in_numeric=("n/a", "ongoing"),
    ),
    missing_column="case_type",
    missing_year=2024,
)
_REF = ("C{yy}|5", "ER-{yy}-|4", "{yy}/|4")  # case reference prefix | digits, per system


def simulate(
    rng: np.random.Generator, authority: Authority, year: int, workforce: PS.Workforce, cfg: CaseworkConfig
) -> pd.DataFrame:
    """Cases opened in the financial year ending 31 March ``year``: canonical values plus the
    truth column _emp (the employee's row in the workforce frame)."""
    planted, shape = cfg.planted, cfg.shape
    staff = workforce.frame
    start, end = PF.fy_bounds(year)
    extract = end + shape.extract_days_after_year_end
    parts = []
    for t, case_type in enumerate(CASE_TYPES):
        p = planted.base_rates[case_type] * workforce.multiplier(planted.multipliers.get(case_type, {}))
        emp = np.flatnonzero(PS.balanced_draw(rng, p, staff["census_code"].to_numpy()))
        parts.append(pd.DataFrame({"_emp": emp, "_type": t}))
    cases = pd.concat(parts, ignore_index=True)
    n = len(cases)
    types = cases["_type"].to_numpy()
    opened = start + rng.integers(0, int((end - start).astype(int)) + 1, n)
    median = np.array([shape.median_days[c] for c in CASE_TYPES])[types]
    duration = np.maximum(1, np.rint(median * np.exp(shape.duration_sigma * rng.standard_normal(n)))).astype(
        int
    )
    outcome = np.empty(n, dtype=object)
    for t, case_type in enumerate(CASE_TYPES):
        rows = np.flatnonzero(types == t)
        names, weights = zip(*shape.outcomes[case_type], strict=True)
        w = np.array(weights)
        outcome[rows] = np.array(names, dtype=object)[rng.choice(len(names), rows.size, p=w / w.sum())]
    closed = opened + duration
    # Dismissed staff are on the 31 March payroll, so their dismissal took effect after it.
    after = end + 1 + rng.integers(0, 46, n)
    dismissed = outcome == ENDS_EMPLOYMENT
    closed = np.where(dismissed, np.clip(closed, after, extract), closed)
    ongoing = ~dismissed & (closed > extract)
    outcome = np.where(ongoing, ONGOING, outcome)
    closed = np.where(ongoing, np.datetime64("NaT"), closed).astype("datetime64[D]")
    days = np.where(ongoing, np.nan, (closed - opened).astype(np.float64))

    order = np.lexsort((cases["_emp"].to_numpy(), opened))
    emp = cases["_emp"].to_numpy()[order]
    fmt = _REF[(authority.index - 1) % len(_REF)]
    refs = PF.sequence_ids(fmt, year, n)
    person = staff.iloc[emp]
    return pd.DataFrame(
        {
            "case_reference": refs,
            "employee_id": person["employee_id"].to_numpy(),
            "ethnicity": person["ethnicity"].to_numpy(),
            "sex": person["sex"].to_numpy(),
            "grade": person["grade"].to_numpy(),
            "directorate": person["directorate"].to_numpy(),
            "case_type": np.array(CASE_TYPES, dtype=object)[types[order]],
            "opened_date": opened[order],
            "closed_date": closed[order],
            "outcome": outcome[order],
            "days_open": days[order],
            "_emp": emp,
        }
    )


def _slug(case_type: str) -> str:
    return case_type.lower().replace(" ", "_")


def statistics(
    frame: pd.DataFrame,
    include: np.ndarray,
    key: dict,
    workforce: PS.Workforce,
    cfg: CaseworkConfig,
    year: int,
) -> tuple[list[dict], list[dict]]:
    """Per group: payroll headcount, persons entering each process and cases, dismissals; comparisons."""
    planted = cfg.planted
    n_staff = len(workforce.frame)
    emp = frame["_emp"].to_numpy()
    types = frame["case_type"].to_numpy()
    levels = workforce.levels
    measures: dict[str, np.ndarray] = {"headcount": workforce.include}
    for case_type in CASE_TYPES:
        cases = PS.per_person(emp, include & (types == case_type), n_staff)
        measures[f"persons_{_slug(case_type)}"] = cases > 0
        measures[f"cases_{_slug(case_type)}"] = cases
    dismissed = include & (frame["outcome"].to_numpy() == ENDS_EMPLOYMENT)
    measures["dismissals"] = PS.per_person(emp, dismissed, n_staff)
    table = PS.tabulate(key, levels, measures)

    comparisons = []
    reference = ("census_code", PS.REFERENCE)
    for case_type in CASE_TYPES:
        multiplier = workforce.multiplier(planted.multipliers.get(case_type, {}))
        against = [reference, ("major_group", "White")] if case_type == "Disciplinary" else [reference]
        for denominator in against:
            expected = PS.expected_ratio(levels, multiplier, workforce.include, planted.headline, denominator)
            comparisons.append(
                PS.compare(
                    table,
                    f"entering_{_slug(case_type)}",
                    f"persons_{_slug(case_type)}",
                    "headcount",
                    planted.headline,
                    denominator,
                    expected,
                )
            )
    return table, comparisons


def planted_truth(planted: CaseworkPlanted) -> dict:
    black = {planted.multipliers.get("Disciplinary", {}).get(c, 1.0) for c in _BLACK}
    return {
        "entering_formal_process": {
            "mechanism": (
                "each employee of the 31 March payroll snapshot closing the year enters each process "
                "with probability base_rates[type] x multipliers[type][recorded Census code] (1 if not "
                "listed or ethnicity not recorded); at most one case per type per year"
            ),
            "base_rates": dict(planted.base_rates),
            "multipliers": {t: dict(sorted(m.items())) for t, m in planted.multipliers.items()},
            "headline": {
                "measure": "entering_disciplinary",
                "numerator_group": {"level": planted.headline[0], "group": planted.headline[1]},
                "relative_likelihood": black.pop() if len(black) == 1 else None,
                "against": ["White British (census_code WBRI)", "White (major_group)"],
            },
            "null_effect": "grievance, capability and bullying and harassment: multiplier 1 for every group",
            "expected_values": (
                "comparisons: exact counts and Katz CI; 'planted' = mean multiplier of the numerator "
                "group / that of the denominator group for the realised composition"
            ),
        },
        "outcomes": "no planted effect: outcome and duration do not depend on ethnicity",
    }
