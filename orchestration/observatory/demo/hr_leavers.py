"""Leavers (inbox folder ``hr_leavers``): one row per employee who left in the financial year, with
the reason, leaving date, grade and length of service, as the HR system's leavers report holds them.

Leavers of the year ending 31 March ``year`` are employees of the payroll snapshot that opened it
(31 March ``year - 1``), reproduced exactly as ``hr.write`` generates it; the snapshot is in the inbox
except for the first generated year (the ground truth says which). Whether someone leaves depends
on contract type and age only; the reason is "Dismissal" with probability dismissal_share x the
planted multiplier of their recorded ethnicity, otherwise drawn by circumstance (end of contract
for fixed-term and casual staff, retirement from 60, mostly resignation otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from observatory.demo import hr_people_files as PF
from observatory.demo import hr_people_stats as PS
from observatory.demo.authorities import Authority

SOURCE = "hr_leavers"
CONFIG_FIELD = "leavers"
LINKED_SNAPSHOT: int | None = -1  # the payroll snapshot opening the year (31 March a year earlier)
DISMISSAL = "Dismissal"
REASONS = (
    "Resignation",
    "Retirement",
    "Ill health retirement",
    "End of contract",
    DISMISSAL,
    "Redundancy",
    "Mutual agreement",
    "TUPE transfer",
    "Death in service",
    "Other",
)
_BLACK = ("BAFR", "BCRB", "BOTH")


@dataclass(frozen=True)
class LeaversPlanted:
    """A higher dismissal share among Black leavers; leaving itself has no direct ethnicity effect."""

    dismissal_share: float = 0.06  # P(reason = Dismissal | left) at multiplier 1
    dismissal_multipliers: dict[str, float] = field(default_factory=lambda: dict.fromkeys(_BLACK, 2.5))
    headline: tuple[str, str] = ("major_group", "Black")


@dataclass(frozen=True)
class LeaversShape:
    leave_rate: float = 0.10  # permanent staff under 60
    leave_rate_fixed_term: float = 0.30
    leave_rate_casual: float = 0.22
    extra_leave_rate_60_plus: float = 0.12
    mean_service_years: float = 8.0
    reasons_contract: tuple[tuple[str, float], ...] = (
        ("End of contract", 0.55),
        ("Resignation", 0.40),
        ("Other", 0.05),
    )
    reasons_60_plus: tuple[tuple[str, float], ...] = (
        ("Retirement", 0.60),
        ("Resignation", 0.25),
        ("Ill health retirement", 0.05),
        ("Redundancy", 0.05),
        ("Death in service", 0.02),
        ("Mutual agreement", 0.03),
    )
    reasons_other: tuple[tuple[str, float], ...] = (
        ("Resignation", 0.78),
        ("Redundancy", 0.05),
        ("Mutual agreement", 0.04),
        ("TUPE transfer", 0.04),
        ("Ill health retirement", 0.02),
        ("Death in service", 0.005),
        ("Other", 0.065),
    )


@dataclass(frozen=True)
class LeaversConfig:
    planted: LeaversPlanted = field(default_factory=LeaversPlanted)
    shape: LeaversShape = field(default_factory=LeaversShape)


_CONTRACT_A = {
    "Permanent": ("Permanent",),
    "Fixed term": ("Fixed Term",),
    "Casual": ("Casual",),
    "Apprentice": ("Apprentice",),
}
SPEC = PF.SourceSpec(
    source=SOURCE,
    title="leavers report for employees leaving",
    kinds={
        "employee_id": "text",
        "ethnicity": "text",
        "sex": "category",
        "grade": "text",
        "directorate": "text",
        "contract_type": "category",
        "start_date": "date",
        "leaving_date": "date",
        "leaving_reason": "category",
        "length_of_service": "number",
        PF.DATA_STATUS: "text",
    },
    required=("employee_id", "leaving_date", "leaving_reason"),
    id_column="employee_id",
    systems=(
        PF.System(  # Northbrook: the HR system's leavers report, saved as XLSX
            name="HR leavers report A (XLSX)",
            headers=(
                ("employee_id", "Employee Number"),
                ("ethnicity", "Ethnic Origin"),
                ("sex", "Gender"),
                ("grade", "Grade"),
                ("directorate", "Department"),
                ("contract_type", "Contract Type"),
                ("start_date", "Continuous Service Date"),
                ("leaving_date", "Leaving Date"),
                ("leaving_reason", "Reason for Leaving"),
                ("length_of_service", "Length of Service (Years)"),
            ),
            fmt="xlsx",
            sheet="Leavers",
            spellings={
                "sex": {"Female": ("Female",), "Male": ("Male",)},
                "contract_type": _CONTRACT_A,
                "leaving_reason": {
                    "Resignation": ("Resignation",),
                    "Retirement": ("Retirement",),
                    "Ill health retirement": ("Ill Health Retirement",),
                    "End of contract": ("End of Fixed Term Contract",),
                    DISMISSAL: ("Dismissal",),
                    "Redundancy": ("Redundancy",),
                    "Mutual agreement": ("Mutual Agreement",),
                    "TUPE transfer": ("TUPE Transfer",),
                    "Death in service": ("Death in Service",),
                    "Other": ("Other",),
                },
            },
        ),
        PF.System(
            name="HR leavers report B (CSV with a status column)",
            headers=(
                ("employee_id", "Emp No"),
                ("ethnicity", "Ethnic Group"),
                ("sex", "Legal Sex"),
                ("grade", "Band"),
                ("directorate", "Service Area"),
                ("contract_type", "Contract"),
                ("start_date", "Start Date"),
                ("leaving_date", "Termination Date"),
                ("leaving_reason", "Termination Reason"),
                ("length_of_service", "Service Years"),
                (PF.DATA_STATUS, "Data Status"),
            ),
            fmt="csv",
            spellings={
                "sex": {"Female": ("F",), "Male": ("M",)},
                "contract_type": {
                    "Permanent": ("Perm",),
                    "Fixed term": ("Temp",),
                    "Casual": ("Relief",),
                    "Apprentice": ("Apprenticeship",),
                },
                "leaving_reason": {
                    "Resignation": ("Voluntary Resignation",),
                    "Retirement": ("Retired",),
                    "Ill health retirement": ("Retired - Ill Health",),
                    "End of contract": ("End of Temporary Contract",),
                    DISMISSAL: ("Dismissed - Conduct", "Dismissed - Capability", "Dismissed - SOSR"),
                    "Redundancy": ("Redundancy - Compulsory", "Redundancy - Voluntary"),
                    "Mutual agreement": ("Settlement Agreement",),
                    "TUPE transfer": ("TUPE Out",),
                    "Death in service": ("Deceased",),
                    "Other": ("Other",),
                },
            },
        ),
        PF.System(
            name="HR leavers report C (CSV with a title line)",
            headers=(
                ("employee_id", "Payroll Number"),
                ("ethnicity", "Ethnicity"),
                ("sex", "Gender"),
                ("grade", "Grade Code"),
                ("directorate", "Division"),
                ("contract_type", "Employment Type"),
                ("start_date", "Date Joined"),
                ("leaving_date", "Date Left"),
                ("leaving_reason", "Leaver Reason"),
                ("length_of_service", "LOS (yrs)"),
            ),
            fmt="csv",
            title_line=True,
            spellings={
                "sex": {"Female": ("F",), "Male": ("M",)},
                "contract_type": {
                    "Permanent": ("P",),
                    "Fixed term": ("FT",),
                    "Casual": ("C",),
                    "Apprentice": ("A",),
                },
                "leaving_reason": dict(
                    zip(
                        REASONS,
                        (
                            ("RES",),
                            ("RET",),
                            ("IHR",),
                            ("EOC",),
                            ("DIS",),
                            ("RED",),
                            ("MA",),
                            ("TUP",),
                            ("DEC",),
                            ("OTH",),
                        ),
                        strict=True,
                    )
                ),
            },
        ),
    ),
    faults=PF.FaultTargets(
        date="leaving_date",
        number="length_of_service",
        out_of_range=("87", "120.5"),
        text_in_numeric=("n/a", "3 yrs"),
    ),
    missing_column="leaving_reason",
    missing_year=2025,
)


def _draw(rng: np.random.Generator, options: tuple[tuple[str, float], ...], n: int) -> np.ndarray:
    names, weights = zip(*options, strict=True)
    w = np.array(weights)
    return np.array(names, dtype=object)[rng.choice(len(names), n, p=w / w.sum())]


def leave_probability(staff: pd.DataFrame, snapshot: np.datetime64, shape: LeaversShape) -> np.ndarray:
    """Each employee's chance of leaving in the year: contract type and age only (no ethnicity)."""
    contract = staff["contract_type"].to_numpy()
    age = (snapshot - staff["date_of_birth"].to_numpy().astype("datetime64[D]")).astype(np.float64) / 365.25
    rate = np.select(
        [contract == "Fixed term", contract == "Casual"],
        [shape.leave_rate_fixed_term, shape.leave_rate_casual],
        shape.leave_rate,
    )
    return rate + np.where(age >= 60, shape.extra_leave_rate_60_plus, 0.0)


def simulate(
    rng: np.random.Generator, authority: Authority, year: int, workforce: PS.Workforce, cfg: LeaversConfig
) -> pd.DataFrame:
    """Leavers in the financial year ending 31 March ``year`` from the snapshot opening it; truth
    column _emp is the employee's row in that snapshot's frame."""
    planted, shape = cfg.planted, cfg.shape
    staff = workforce.frame
    opening = np.datetime64(workforce.snapshot.isoformat(), "D")
    code = staff["census_code"].to_numpy()
    emp = np.flatnonzero(PS.balanced_draw(rng, leave_probability(staff, opening, shape), code))
    n = emp.size
    person = staff.iloc[emp]
    start, end = PF.fy_bounds(year)
    leaving = start + rng.integers(0, int((end - start).astype(int)) + 1, n)

    dismissal_p = planted.dismissal_share * workforce.multiplier(planted.dismissal_multipliers)[emp]
    contract = person["contract_type"].to_numpy()
    dob = person["date_of_birth"].to_numpy().astype("datetime64[D]")
    age = (opening - dob).astype(np.float64) / 365.25
    reason = np.where(
        np.isin(contract, ["Fixed term", "Casual"]),
        _draw(rng, shape.reasons_contract, n),
        np.where(age >= 60, _draw(rng, shape.reasons_60_plus, n), _draw(rng, shape.reasons_other, n)),
    )
    reason = np.where(PS.balanced_draw(rng, dismissal_p, code[emp]), DISMISSAL, reason)

    service = np.minimum(rng.exponential(shape.mean_service_years, n), np.maximum(age - 16.5, 0.1))
    started = opening - np.rint(service * 365.25).astype("timedelta64[D]")
    los = np.round((leaving - started).astype(np.float64) / 365.25, 1)

    order = np.lexsort((emp, leaving))  # the frame is in employee number order
    return pd.DataFrame(
        {
            "employee_id": person["employee_id"].to_numpy()[order],
            "ethnicity": person["ethnicity"].to_numpy()[order],
            "sex": person["sex"].to_numpy()[order],
            "grade": person["grade"].to_numpy()[order],
            "directorate": person["directorate"].to_numpy()[order],
            "contract_type": contract[order],
            "start_date": started[order],
            "leaving_date": leaving[order],
            "leaving_reason": reason[order].astype(object),
            "length_of_service": los[order],
            "_emp": emp[order],
        }
    )


def statistics(
    frame: pd.DataFrame,
    include: np.ndarray,
    key: dict,
    workforce: PS.Workforce,
    cfg: LeaversConfig,
    year: int,
) -> tuple[list[dict], list[dict]]:
    """Per group: headcount at the start of the year, leavers, leavers per reason; comparisons."""
    n_staff = len(workforce.frame)
    emp = frame["_emp"].to_numpy()
    reason = frame["leaving_reason"].to_numpy()
    levels = workforce.levels
    left = PS.per_person(emp, include, n_staff) > 0
    measures: dict[str, np.ndarray] = {"headcount_start": workforce.include, "leavers": left}
    for r in REASONS:
        measures[f"reason_{r.lower().replace(' ', '_')}"] = PS.per_person(
            emp, include & (reason == r), n_staff
        )
    table = PS.tabulate(key, levels, measures)

    planted = cfg.planted
    dismissal_m = workforce.multiplier(planted.dismissal_multipliers)
    opening = np.datetime64(workforce.snapshot.isoformat(), "D")
    leave_p = leave_probability(workforce.frame, opening, cfg.shape)
    reference = ("census_code", PS.REFERENCE)
    comparisons = [
        PS.compare(
            table,
            "dismissal_share_of_leavers",
            "reason_dismissal",
            "leavers",
            planted.headline,
            reference,
            PS.expected_ratio(levels, dismissal_m, left, planted.headline, reference),
        ),
        PS.compare(
            table,
            "leaving",
            "leavers",
            "headcount_start",
            planted.headline,
            reference,
            PS.expected_ratio(levels, leave_p, workforce.include, planted.headline, reference),
        ),
        PS.compare(
            table,
            "leaving",
            "leavers",
            "headcount_start",
            ("white_british_vs_minority", PS.ETHNIC_MINORITY),
            reference,
            PS.expected_ratio(
                levels,
                leave_p,
                workforce.include,
                ("white_british_vs_minority", PS.ETHNIC_MINORITY),
                reference,
            ),
        ),
    ]
    return table, comparisons


def planted_truth(planted: LeaversPlanted) -> dict:
    return {
        "dismissal_share_of_leavers": {
            "mechanism": (
                "leavers are drawn from the payroll snapshot opening the year; reason = Dismissal with "
                "probability dismissal_share x dismissal_multipliers[recorded Census code] (1 if not "
                "listed), otherwise by circumstance"
            ),
            "dismissal_share": planted.dismissal_share,
            "dismissal_multipliers": dict(sorted(planted.dismissal_multipliers.items())),
            "headline_group": {"level": planted.headline[0], "group": planted.headline[1]},
            "expected_values": (
                "comparisons 'dismissal_share_of_leavers': exact counts and Katz CI; 'planted' = mean "
                "multiplier of the group's leavers / White British leavers'"
            ),
        },
        "leaving": {
            "mechanism": (
                "P(leave) depends on contract type and age only: no direct ethnicity effect. Groups "
                "concentrated in low grades hold more casual contracts, so their leaving rate is a "
                "little higher by composition; 'planted' in comparisons 'leaving' is that expected ratio"
            ),
            "null_effect": True,
        },
    }
