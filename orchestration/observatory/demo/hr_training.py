"""Training and progression (inbox folder ``hr_training``): one row per course attended (mandatory
or non-mandatory CPD) or progression event (promotion, acting up) in the financial year, as a
learning management system's export holds them.

Records belong to the employees of the payroll snapshot closing the year (31 March), reproduced as
``hr.write`` generates it, so ids, ethnicity labels, grades and directorates agree; a promoted
employee's payroll grade is the grade they were promoted into. The planted effect is a NULL one:
non-mandatory training access, promotion and acting up do not depend on ethnicity (configurable
multipliers, all 1 by default), so marts must find relative likelihoods consistent with 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from observatory.demo import hr
from observatory.demo import hr_people_files as PF
from observatory.demo import hr_people_stats as PS
from observatory.demo.authorities import Authority

SOURCE = "hr_training"
CONFIG_FIELD = "training"
LINKED_SNAPSHOT: int | None = 0  # the payroll snapshot closing the year
COURSE, PROMOTION, ACTING_UP = "Course", "Promotion", "Acting up"
MANDATORY, NON_MANDATORY = "Mandatory", "Non-mandatory"
MANDATORY_COURSES = (
    ("Data Protection and GDPR e-learning", 1.0),
    ("Health and Safety Awareness", 2.0),
    ("Fire Safety Awareness", 1.0),
    ("Safeguarding Adults Level 1", 3.0),
    ("Safeguarding Children Level 1", 3.0),
    ("Equality, Diversity and Inclusion", 2.0),
    ("Anti-racism Awareness", 3.0),
    ("Cyber Security Essentials", 1.0),
    ("Manual Handling", 3.0),
)
CPD_COURSES = (
    ("Leadership Essentials", 14.0),
    ("Aspiring Leaders Programme", 35.0),
    ("ILM Level 5 Certificate in Leadership and Management", 60.0),
    ("Coaching Skills", 7.0),
    ("Project Management Foundation", 21.0),
    ("Excel Intermediate", 7.0),
    ("Mentoring Scheme", 10.0),
    ("Report Writing", 7.0),
    ("Mental Health First Aid", 14.0),
    ("Inclusive Leadership", 7.0),
)
GRADE_NAMES = tuple(g[0] for g in hr.GRADES)


@dataclass(frozen=True)
class TrainingPlanted:
    """Null effects: the same access to CPD and progression for every group (multipliers default 1)."""

    cpd_rate: float = 0.35  # P(at least one non-mandatory course in the year)
    promotion_rate: float = 0.04  # of staff above the lowest grade
    acting_up_rate: float = 0.03  # of staff below the top grade
    # Census code -> multiplier, per measure ("cpd", "promotion", "acting_up"); empty = no effect.
    multipliers: dict[str, dict[str, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class TrainingShape:
    mean_mandatory_courses: float = 1.5
    mean_extra_cpd_courses: float = 0.4  # beyond the first, for staff with any


@dataclass(frozen=True)
class TrainingConfig:
    planted: TrainingPlanted = field(default_factory=TrainingPlanted)
    shape: TrainingShape = field(default_factory=TrainingShape)


SPEC = PF.SourceSpec(
    source=SOURCE,
    title="learning and progression records",
    kinds={
        "record_id": "text",
        "employee_id": "text",
        "ethnicity": "text",
        "grade": "text",
        "directorate": "text",
        "activity_type": "category",
        "activity": "text",
        "course_category": "category",
        "start_date": "date",
        "end_date": "date",
        "hours": "number",
        PF.DATA_STATUS: "text",
    },
    required=("record_id", "employee_id", "activity_type", "start_date"),
    id_column="record_id",
    systems=(
        PF.System(  # Northbrook: LMS CSV export with a status column and a total line
            name="learning system A (CSV with a status column and a total line)",
            headers=(
                ("record_id", "Learning Record ID"),
                ("employee_id", "Employee No"),
                ("ethnicity", "Ethnicity"),
                ("grade", "Grade"),
                ("directorate", "Directorate"),
                ("activity_type", "Activity Type"),
                ("activity", "Activity"),
                ("course_category", "Course Category"),
                ("start_date", "Start Date"),
                ("end_date", "Completion Date"),
                ("hours", "Learning Hours"),
                (PF.DATA_STATUS, "Data Status"),
            ),
            fmt="csv",
            total_row=True,
            spellings={
                "activity_type": {COURSE: ("Course",), PROMOTION: ("Promotion",), ACTING_UP: ("Acting Up",)},
                "course_category": {MANDATORY: ("Mandatory",), NON_MANDATORY: ("Non-mandatory (CPD)",)},
            },
        ),
        PF.System(
            name="learning system B (XLSX report; CSV before 2024-25)",
            headers=(
                ("record_id", "Enrolment ID"),
                ("employee_id", "Person Number"),
                ("ethnicity", "Ethnic Group"),
                ("grade", "Pay Band"),
                ("directorate", "Service Area"),
                ("activity_type", "Type"),
                ("activity", "Title"),
                ("course_category", "Mandatory/CPD"),
                ("start_date", "From"),
                ("end_date", "To"),
                ("hours", "Duration (hrs)"),
            ),
            fmt="xlsx",
            xlsx_from=2025,
            sheet="Learning",
            spellings={
                "activity_type": {
                    COURSE: ("Learning",),
                    PROMOTION: ("Promotion",),
                    ACTING_UP: ("Acting Up / Honorarium",),
                },
                "course_category": {MANDATORY: ("Statutory/Mandatory",), NON_MANDATORY: ("CPD",)},
            },
        ),
        PF.System(
            name="learning system C (CSV with a title line)",
            headers=(
                ("record_id", "Record No"),
                ("employee_id", "Staff Number"),
                ("ethnicity", "Ethnicity Description"),
                ("grade", "Grade Code"),
                ("directorate", "Division"),
                ("activity_type", "Record Type"),
                ("activity", "Description"),
                ("course_category", "Category"),
                ("start_date", "Date"),
                ("end_date", "End Date"),
                ("hours", "Hours"),
            ),
            fmt="csv",
            title_line=True,
            spellings={
                "activity_type": {COURSE: ("TRN",), PROMOTION: ("PRM",), ACTING_UP: ("ACT",)},
                "course_category": {MANDATORY: ("M",), NON_MANDATORY: ("NM",)},
            },
        ),
    ),
    faults=PF.FaultTargets(
        date="start_date", number="hours", out_of_range=("500", "1000"), text_in_numeric=("n/a", "half day")
    ),
    missing_column="activity_type",
    missing_year=2024,
)
_RECORD = ("LR{yy}|6", "EN-{yy}-|6", "{yy}|7")  # record id prefix | digits, per system


def probabilities(
    staff: pd.DataFrame, workforce: PS.Workforce, planted: TrainingPlanted
) -> dict[str, np.ndarray]:
    """Each employee's chance of CPD, promotion and acting up in the year."""
    grade = pd.Series(staff["grade"]).map({g: i for i, g in enumerate(GRADE_NAMES)}).to_numpy()
    m = {k: workforce.multiplier(planted.multipliers.get(k, {})) for k in ("cpd", "promotion", "acting_up")}
    return {
        "cpd": np.minimum(planted.cpd_rate * m["cpd"], 1.0),
        "promotion": planted.promotion_rate * (grade >= 1) * m["promotion"],
        "acting_up": planted.acting_up_rate * (grade < len(GRADE_NAMES) - 1) * m["acting_up"],
    }


def _courses(rng: np.random.Generator, emp: np.ndarray, catalogue: tuple, category: str) -> pd.DataFrame:
    pick = rng.integers(0, len(catalogue), emp.size)
    return pd.DataFrame(
        {
            "_emp": emp,
            "activity_type": COURSE,
            "activity": np.array([c[0] for c in catalogue], dtype=object)[pick],
            "course_category": category,
            "hours": np.array([c[1] for c in catalogue])[pick],
        }
    )


def simulate(
    rng: np.random.Generator, authority: Authority, year: int, workforce: PS.Workforce, cfg: TrainingConfig
) -> pd.DataFrame:
    """Courses and progression events in the financial year ending 31 March ``year``; truth column
    _emp is the employee's row in the workforce frame."""
    planted, shape = cfg.planted, cfg.shape
    staff = workforce.frame
    n_staff = len(staff)
    p = probabilities(staff, workforce, planted)
    mandatory = np.repeat(np.arange(n_staff), rng.poisson(shape.mean_mandatory_courses, n_staff))
    code = staff["census_code"].to_numpy()
    cpd_people = np.flatnonzero(PS.balanced_draw(rng, p["cpd"], code))
    cpd = np.repeat(cpd_people, 1 + rng.poisson(shape.mean_extra_cpd_courses, cpd_people.size))
    promoted = np.flatnonzero(PS.balanced_draw(rng, p["promotion"], code))
    acting = np.flatnonzero(PS.balanced_draw(rng, p["acting_up"], code))

    grade = pd.Series(staff["grade"]).map({g: i for i, g in enumerate(GRADE_NAMES)}).to_numpy()
    names = np.array(GRADE_NAMES, dtype=object)
    progression = pd.DataFrame(
        {
            "_emp": np.r_[promoted, acting],
            "activity_type": [PROMOTION] * promoted.size + [ACTING_UP] * acting.size,
            "activity": np.r_[
                "Promoted from "
                + names[np.maximum(grade[promoted] - 1, 0)]
                + " to "
                + names[grade[promoted]],
                "Acting up to " + names[np.minimum(grade[acting] + 1, len(names) - 1)],
            ],
            "course_category": "",
            "hours": np.nan,
        }
    )
    rows = pd.concat(
        [
            _courses(rng, mandatory, MANDATORY_COURSES, MANDATORY),
            _courses(rng, cpd, CPD_COURSES, NON_MANDATORY),
            progression,
        ],
        ignore_index=True,
    )
    n = len(rows)
    start, end = PF.fy_bounds(year)
    began = start + rng.integers(0, int((end - start).astype(int)) + 1, n)
    hours = rows["hours"].to_numpy()
    course_days = np.where(hours > 7, np.ceil(hours / 7) * 7, 0).astype(np.int64)
    acting_days = rng.integers(30, 181, n)
    finished = np.where(
        rows["activity_type"].to_numpy() == ACTING_UP, began + acting_days, began + course_days
    )
    finished = np.where(rows["activity_type"].to_numpy() == PROMOTION, np.datetime64("NaT"), finished)

    emp = rows["_emp"].to_numpy()
    order = np.lexsort((began, emp))
    person = staff.iloc[emp[order]]
    fmt = _RECORD[(authority.index - 1) % len(_RECORD)]
    return pd.DataFrame(
        {
            "record_id": PF.sequence_ids(fmt, year, n),
            "employee_id": person["employee_id"].to_numpy(),
            "ethnicity": person["ethnicity"].to_numpy(),
            "grade": person["grade"].to_numpy(),
            "directorate": person["directorate"].to_numpy(),
            "activity_type": rows["activity_type"].to_numpy(dtype=object)[order],
            "activity": rows["activity"].to_numpy(dtype=object)[order],
            "course_category": rows["course_category"].to_numpy(dtype=object)[order],
            "start_date": began[order],
            "end_date": finished.astype("datetime64[D]")[order],
            "hours": hours[order],
            "_emp": emp[order],
        }
    )


def statistics(
    frame: pd.DataFrame,
    include: np.ndarray,
    key: dict,
    workforce: PS.Workforce,
    cfg: TrainingConfig,
    year: int,
) -> tuple[list[dict], list[dict]]:
    """Per group: payroll headcount, people with CPD / promotion / acting up, course counts; comparisons."""
    planted = cfg.planted
    n_staff = len(workforce.frame)
    emp = frame["_emp"].to_numpy()
    kind = frame["activity_type"].to_numpy()
    category = frame["course_category"].to_numpy()
    cpd = PS.per_person(emp, include & (kind == COURSE) & (category == NON_MANDATORY), n_staff)
    mandatory = PS.per_person(emp, include & (kind == COURSE) & (category == MANDATORY), n_staff)
    measures = {
        "headcount": workforce.include,
        "persons_cpd": cpd > 0,
        "courses_cpd": cpd,
        "persons_mandatory": mandatory > 0,
        "courses_mandatory": mandatory,
        "persons_promoted": PS.per_person(emp, include & (kind == PROMOTION), n_staff) > 0,
        "persons_acting_up": PS.per_person(emp, include & (kind == ACTING_UP), n_staff) > 0,
    }
    levels = workforce.levels
    table = PS.tabulate(key, levels, measures)
    p = probabilities(workforce.frame, workforce, planted)
    wbri = ("census_code", PS.REFERENCE)
    minority = ("white_british_vs_minority", PS.ETHNIC_MINORITY)
    black = ("major_group", "Black")
    base = workforce.include

    def rl(measure: str, event: str, prob: str, num: tuple[str, str], den: tuple[str, str]) -> dict:
        expected = PS.expected_ratio(levels, p[prob], base, num, den)
        return PS.compare(table, measure, event, "headcount", num, den, expected)

    comparisons = [
        rl("accessing_non_mandatory_training", "persons_cpd", "cpd", wbri, minority),  # WRES orientation
        rl("accessing_non_mandatory_training", "persons_cpd", "cpd", black, wbri),
        rl("promotion", "persons_promoted", "promotion", black, wbri),
        rl("acting_up", "persons_acting_up", "acting_up", black, wbri),
    ]
    return table, comparisons


def planted_truth(planted: TrainingPlanted) -> dict:
    return {
        "non_mandatory_training_access": {
            "mechanism": (
                "each employee of the 31 March snapshot closing the year takes at least one non-mandatory "
                "(CPD) course with probability cpd_rate x multipliers['cpd'][recorded code]"
            ),
            "cpd_rate": planted.cpd_rate,
            "null_effect": not planted.multipliers.get("cpd"),
            "planted_relative_likelihood": 1.0 if not planted.multipliers.get("cpd") else None,
        },
        "progression": {
            "mechanism": (
                "promotion (staff above the lowest grade) and acting up (below the top grade) with "
                "probability rate x multiplier; 'planted' in comparisons is the expected ratio given "
                "each group's grades"
            ),
            "promotion_rate": planted.promotion_rate,
            "acting_up_rate": planted.acting_up_rate,
            "multipliers": {k: dict(sorted(v.items())) for k, v in sorted(planted.multipliers.items())},
            "null_effect": not planted.multipliers,
        },
    }
