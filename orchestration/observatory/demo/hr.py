"""HR payroll snapshots (contract: sources/hr_payroll.yml) for the fictional councils.

One extract per authority per 31 March, in the shape each council's HR system exports: its own
column names (contract aliases), value spellings, money formats, Windows-1252 CSV or an XLSX report
with title rows and a Total row.

Planted truths (``HRPlanted``, all configurable and written to ground_truth.json):

* Ethnicity pay gap. Each employee has a pay percentile ``u`` on the council's grade ladder
  (uniform, stratified, so the overall grade mix is the ladder's); grade and salary follow from
  ``u``. Ethnicity is then drawn given ``u`` with weight ``mix[g] * tilt_g(u)``, where
  ``tilt_g(u) = s e^{s u} / (e^s - 1)`` (an exponential tilt; ``s = pay_tilt[g]``, 0 = no effect).
  A negative ``s`` concentrates group g in lower grades: Black African staff (``s = -1.6``) sit
  lower on the ladder, which gives a median hourly pay gap of about 15% (13-18% across files)
  against White British. The exact expected gaps, computed from the generated rows with the
  regulation method, are in the ground truth. Draws use low-discrepancy sequences in pay order,
  so every file lands close to the planted values rather than wherever sampling noise takes it.
* Top 5% of earners. In the senior band (``u >= 0.95``, the top 5% of the ladder) minority odds are
  multiplied by a factor solved so that the expected minority share of the band follows
  ``top5_minority_share_pct`` (25% in 2022 rising to 32% in 2025 for the first authority; other
  authorities keep the same ratio to their own workforce's minority share).
* No effect. Indian staff (``null_effect_groups``) have no tilt and no senior-band factor, exactly
  like White British, so their pay distribution is the same: the expected gap is zero up to
  sampling noise. Sex has no planted effect either.

Each snapshot is an independent cross-section; employee numbers are not linked across years.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from observatory.demo import faults as F
from observatory.demo import writers as W
from observatory.demo.authorities import Authority, all_authorities
from observatory.demo.context import DemoContext
from observatory.demo.ethnicity import PREFER_NOT_TO_SAY, load_labels
from observatory.demo.truth import rounded

DOMAIN = "hr"
SOURCE = "hr_payroll"
SOURCES = (SOURCE,)
CONTRACT = "sources/hr_payroll.yml"

# The grade ladder: (grade, share of the workforce, min and max FTE salary at 31 March 2025).
GRADES: tuple[tuple[str, float, int, int], ...] = (
    ("Scale 1", 0.074, 24_500, 25_200),
    ("Scale 2", 0.080, 25_200, 26_000),
    ("Scale 3", 0.100, 26_000, 27_300),
    ("Scale 4", 0.100, 27_300, 29_000),
    ("Scale 5", 0.100, 29_000, 31_500),
    ("Scale 6", 0.090, 31_500, 34_500),
    ("SO1", 0.070, 34_500, 37_000),
    ("SO2", 0.070, 37_000, 39_500),
    ("PO1", 0.060, 39_500, 42_000),
    ("PO2", 0.055, 42_000, 44_500),
    ("PO3", 0.045, 44_500, 47_500),
    ("PO4", 0.040, 47_500, 51_000),
    ("PO5", 0.030, 51_000, 55_000),
    ("PO6", 0.025, 55_000, 59_000),
    ("PO7", 0.020, 59_000, 63_500),
    ("PO8", 0.015, 63_500, 69_000),
    ("MG1", 0.012, 69_000, 82_000),
    ("MG2", 0.008, 82_000, 100_000),
    ("MG3", 0.004, 100_000, 125_000),
    ("CO1", 0.002, 140_000, 180_000),
)
# Days per pay period, as the gender/ethnicity pay gap regulations use them.
PERIOD_DAYS = {"weekly": 7.0, "fortnightly": 14.0, "four-weekly": 28.0, "monthly": 30.44, "annual": 365.25}
_GRADE_INDEX = {g[0]: i for i, g in enumerate(GRADES)}
_GOLDEN = (np.sqrt(5.0) - 1) / 2
_SQRT2 = np.sqrt(2.0) - 1
DIRECTORATES = (
    ("Adults{q} Social Care", 0.22),
    ("Children{q}s Services", 0.24),
    ("Environment and Place", 0.18),
    ("Housing", 0.12),
    ("Resources", 0.14),
    ("Public Health", 0.04),
    ("Chief Executive{q}s Office", 0.06),
)
GIVEN = (
    "Aisha", "Amara", "Ayesha", "Bartosz", "Bogdan", "Chloë", "Chidi", "Connor", "Daniel", "Deniz",
    "Eilís", "Emily", "Fatima", "Femi", "François", "Grace", "Hannah", "Hamza", "Ibrahim", "Ifeoma",
    "Jack", "James", "Joanna", "José", "Kemal", "Kwame", "Leila", "Liam", "Lucía", "Mohammed",
    "Nadia", "Niamh", "Olivia", "Oluwaseun", "Priya", "Rahul", "Renée", "Rhys", "Ruth", "Samira",
    "Siobhán", "Sofia", "Tariq", "Thomas", "Yusuf", "Zoë", "Zainab", "Wei", "Mei", "Agnieszka",
    "Hülya", "Søren", "Ana", "David", "Sarah", "Michael", "Laura", "Peter", "Helen", "Ravi",
)  # fmt: skip
SURNAMES = (
    "Smith", "Jones", "O'Brien", "Okafor", "Adeyemi", "Ahmed", "Begum", "Chowdhury", "Patel",
    "Shah", "Khan", "Hussain", "Mensah", "Campbell", "Williams", "Brown", "Taylor", "Wilson",
    "Nowak", "Kowalski", "Yildiz", "Demir", "Öztürk", "Çelik", "Kaya", "Abdi", "Warsame",
    "Mohamed", "Farah", "Hassan", "Ali", "Nguyen", "Chen", "Wong", "Murphy", "Kelly", "Brennan",
    "Müller", "García", "Da Silva", "Costa", "Ferreira", "Evans", "Hughes", "Roberts", "Walker",
    "Wright", "Thompson", "White", "Green", "Hall", "Clarke", "Lewis", "Mitchell", "Robinson",
    "Ward", "Asante", "Boateng", "Owusu", "Diallo",
)  # fmt: skip


@dataclass(frozen=True)
class HRPlanted:
    """The disparities planted in the payroll data (see the module docstring for the mechanisms)."""

    reference_group: str = "WBRI"
    pay_tilt: dict[str, float] = field(
        default_factory=lambda: {
            "BAFR": -1.6,  # headline: ~15% median hourly gap vs White British
            "BCRB": -0.9,
            "BOTH": -0.9,
            "ABAN": -0.8,
            "APKN": -0.6,
            "MWBC": -0.6,
            "WGYP": -0.8,
            "WROM": -0.8,
            "WOTH": -0.4,
            "OARA": -0.4,
            "OOTH": -0.4,
            "AOTH": -0.3,
            "AIND": 0.0,  # no planted effect
        }
    )
    headline_group: str = "BAFR"
    headline_median_gap_pct: float = 15.0  # approximate; the exact value is computed per file
    null_effect_groups: tuple[str, ...] = ("AIND",)
    senior_band: float = 0.95
    # (snapshot year, minority share % of the senior band) anchors for the first authority;
    # linear in between, flat outside.
    top5_minority_share_pct: tuple[tuple[int, float], ...] = ((2022, 25.0), (2025, 32.0))

    def top5_target(self, year: int) -> float:
        years, shares = zip(*self.top5_minority_share_pct, strict=True)
        return float(np.interp(year, years, shares))


@dataclass(frozen=True)
class HRWorkforce:
    """Workforce shape: realistic proportions that carry no planted effect."""

    prefer_not_to_say: float = 0.04
    blank_ethnicity: float = 0.03
    legacy_label_share: float = 0.08  # rows holding another mapped label for the same group
    female_share: float = 0.68
    part_time_share: float = 0.22  # of non-casual staff; casual staff are all part-time
    casual_share_low_grades: float = 0.15  # of Scale 1-4
    apprentice_share_scale1: float = 0.30
    fixed_term_share: float = 0.08
    reduced_pay_share: float = 0.03
    bonus_share: float = 0.06  # of eligible staff: about 5% of all staff
    bonus_range: tuple[float, float] = (300.0, 2000.0)
    allowance_share: float = 0.30  # of eligible staff: about 25% of all staff
    # Allowances (shift, standby) and bonuses go to grades up to this one only, so they never
    # reorder the top 5% of earners that the senior-band mechanism plants.
    extra_pay_max_grade: str = "PO3"
    allowance_monthly_range: tuple[float, float] = (40.0, 350.0)
    full_time_hours: float = 36.0
    pay_award: float = 0.03  # salaries uprated each year to the 2025 ladder
    headcount_range: tuple[int, int] = (4000, 7000)


@dataclass(frozen=True)
class HRConfig:
    planted: HRPlanted = field(default_factory=HRPlanted)
    workforce: HRWorkforce = field(default_factory=HRWorkforce)


@dataclass(frozen=True)
class HRSystem:
    """How one council's HR system exports: headers in file order, value spellings, formats."""

    headers: tuple[tuple[str, str], ...]  # (canonical column, header in the file)
    sex: dict[str, str]
    ethnicity_style: str
    pound_columns: frozenset[str]
    contract: dict[str, str]
    period: dict[str, str]
    casual_periods: tuple[tuple[str, float], ...]
    id_prefix: str
    id_width: int
    surname_first: bool
    apostrophe: str
    xlsx_latest: bool = False


_CANONICAL_ORDER = (
    "employee_id", "snapshot_date", "authority_code", "employee_name", "date_of_birth",
    "ethnicity", "sex", "grade", "directorate", "contract_type", "weekly_hours", "pay_period",
    "basic_pay_in_period", "allowances_in_period", "bonus_pay_12m", "reduced_pay_due_to_leave",
)  # fmt: skip

_SYSTEMS: tuple[HRSystem, ...] = (
    HRSystem(  # Northbrook's system; its latest snapshot comes as an XLSX report
        headers=(
            ("employee_id", "Employee Number"),
            ("snapshot_date", "As At Date"),
            ("authority_code", "LA Code"),
            ("employee_name", "Full Name"),
            ("date_of_birth", "DOB"),
            ("sex", "Gender"),
            ("ethnicity", "Ethnic Origin"),
            ("directorate", "Department"),
            ("grade", "Pay Grade"),
            ("contract_type", "Employment Type"),
            ("weekly_hours", "Contracted Hours"),
            ("pay_period", "Pay Frequency"),
            ("basic_pay_in_period", "Basic Pay"),
            ("allowances_in_period", "Allowances"),
            ("bonus_pay_12m", "Bonus Pay 12 Months"),
            ("reduced_pay_due_to_leave", "Reduced Pay Due To Leave"),
        ),
        sex={"Female": "Female", "Male": "Male"},
        ethnicity_style="hr",
        pound_columns=frozenset({"basic_pay_in_period", "bonus_pay_12m"}),
        contract={
            "Permanent": "Permanent",
            "Fixed term": "Fixed Term",
            "Casual": "Casual",
            "Apprentice": "Apprentice",
        },
        period={"monthly": "Monthly", "four-weekly": "Four-weekly", "weekly": "Weekly"},
        casual_periods=(("four-weekly", 0.6), ("weekly", 0.4)),
        id_prefix="",
        id_width=6,
        surname_first=False,
        apostrophe="\u2019",
        xlsx_latest=True,
    ),
    HRSystem(
        headers=(
            ("employee_id", "Emp No"),
            ("employee_name", "Name"),
            ("date_of_birth", "Birth Date"),
            ("snapshot_date", "Census Date"),
            ("authority_code", "Organisation Code"),
            ("sex", "Legal Sex"),
            ("ethnicity", "Ethnic Group"),
            ("directorate", "Service Area"),
            ("grade", "Band"),
            ("contract_type", "Contract"),
            ("weekly_hours", "Hours Per Week"),
            ("pay_period", "Pay Cycle"),
            ("basic_pay_in_period", "Basic Pay In Period"),
            ("allowances_in_period", "Allowances In Period"),
            ("bonus_pay_12m", "Bonus 12m"),
            ("reduced_pay_due_to_leave", "On Leave Reduced Pay"),
        ),
        sex={"Female": "F", "Male": "M"},
        ethnicity_style="census",
        pound_columns=frozenset(),
        contract={
            "Permanent": "Perm",
            "Fixed term": "Temp",
            "Casual": "Relief",
            "Apprentice": "Apprenticeship",
        },
        period={"monthly": "M", "four-weekly": "4W", "weekly": "W", "fortnightly": "2W"},
        casual_periods=(("weekly", 1.0),),
        id_prefix="E",
        id_width=6,
        surname_first=True,
        apostrophe="'",
    ),
    HRSystem(
        headers=(
            ("authority_code", "Authority"),
            ("snapshot_date", "Report Date"),
            ("employee_id", "Payroll Number"),
            ("employee_name", "Full Name"),
            ("date_of_birth", "Dob"),
            ("sex", "Gender"),
            ("ethnicity", "Ethnicity Code"),
            ("directorate", "Division"),
            ("grade", "Grade Code"),
            ("contract_type", "Contract Category"),
            ("weekly_hours", "Weekly Contracted Hours"),
            ("pay_period", "Frequency"),
            ("basic_pay_in_period", "Basic Salary In Period"),
            ("allowances_in_period", "Period Allowances"),
            ("bonus_pay_12m", "Bonus In Year"),
            ("reduced_pay_due_to_leave", "Reduced Pay"),
        ),
        sex={"Female": "F", "Male": "M"},
        ethnicity_style="code",
        pound_columns=frozenset({"basic_pay_in_period", "allowances_in_period", "bonus_pay_12m"}),
        contract={
            "Permanent": "Permanent",
            "Fixed term": "Temporary",
            "Casual": "Zero Hours",
            "Apprentice": "Apprenticeship",
        },
        period={
            "monthly": "Calendar Monthly",
            "four-weekly": "Lunar",
            "weekly": "Week",
            "fortnightly": "Fortnight",
        },
        casual_periods=(("fortnightly", 0.5), ("four-weekly", 0.5)),
        id_prefix="1",
        id_width=6,
        surname_first=False,
        apostrophe="'",
    ),
    HRSystem(  # a system that already exports the contract's canonical names
        headers=tuple((c, c) for c in _CANONICAL_ORDER),
        sex={"Female": "Female", "Male": "Male"},
        ethnicity_style="census",
        pound_columns=frozenset(),
        contract={
            "Permanent": "Permanent",
            "Fixed term": "Fixed term",
            "Casual": "Casual",
            "Apprentice": "Apprentice",
        },
        period={"monthly": "monthly", "four-weekly": "four-weekly", "weekly": "weekly"},
        casual_periods=(("weekly", 0.5), ("four-weekly", 0.5)),
        id_prefix="P",
        id_width=6,
        surname_first=False,
        apostrophe="'",
    ),
    HRSystem(
        headers=(
            ("employee_id", "Staff Number"),
            ("snapshot_date", "As At"),
            ("authority_code", "LA Code"),
            ("employee_name", "Full Name"),
            ("date_of_birth", "Birth Date"),
            ("sex", "Gender"),
            ("ethnicity", "Ethnicity Description"),
            ("directorate", "Service Area"),
            ("grade", "Pay Band"),
            ("contract_type", "Employment Type"),
            ("weekly_hours", "Hours"),
            ("pay_period", "Pay Frequency"),
            ("basic_pay_in_period", "Period Basic Pay"),
            ("allowances_in_period", "Allowances"),
            ("bonus_pay_12m", "Bonus Pay"),
            ("reduced_pay_due_to_leave", "Reduced Pay Due To Leave"),
        ),
        sex={"Female": "Female", "Male": "Male"},
        ethnicity_style="hr",
        pound_columns=frozenset({"basic_pay_in_period"}),
        contract={
            "Permanent": "Permanent",
            "Fixed term": "Fixed-Term",
            "Casual": "Casual",
            "Apprentice": "Apprentice",
        },
        period={"monthly": "Monthly", "four-weekly": "Four Weekly", "weekly": "Weekly"},
        casual_periods=(("weekly", 0.7), ("four-weekly", 0.3)),
        id_prefix="S",
        id_width=6,
        surname_first=True,
        apostrophe="\u2019",
    ),
)

DIRECT_IDENTIFIERS = ("employee_name", "date_of_birth")
MONEY = ("basic_pay_in_period", "allowances_in_period", "bonus_pay_12m")
_FAULT_NAMES = {
    F.UNKNOWN_LABEL: "unknown_ethnicity_label",
    F.DUPLICATE_ROW: "duplicate_row",
    F.IMPOSSIBLE_DATE: "impossible_date",
    F.NEGATIVE_NUMBER: "negative_pay",
    F.TEXT_IN_NUMERIC: "text_in_numeric",
    F.OUT_OF_RANGE: "weekly_hours_out_of_range",
}

DEFINITIONS = {
    "hourly_pay": (
        "(basic_pay_in_period + allowances_in_period + bonus_pay_12m * days / 365.25) * 7 / days "
        "/ weekly_hours, days = 7/14/28/30.44/365.25 for weekly/fortnightly/four-weekly/monthly/"
        "annual; computed in float64 from the values as written (pence), not rounded"
    ),
    "full_pay_relevant": "reduced_pay_due_to_leave is N",
    "pay_gap_pct": (
        "(A - B) / A * 100 where A is the White British (WBRI) mean or median hourly pay and B the "
        "group's, over full-pay relevant employees with that ethnicity; median = pandas median "
        "(mean of the two middle values for an even count)"
    ),
    "groups": (
        "level 'census_code': Census 2021 code; level 'major_group': the code's major_group in "
        "the census seed; level 'ethnic_minority': every known group except WBRI"
    ),
    "top_earners": (
        "full-pay relevant employees whose hourly pay >= the 95th percentile (numpy/pandas linear "
        "interpolation) of hourly pay over all full-pay relevant employees; minority_share_pct = "
        "employees of known ethnicity other than WBRI / employees of known ethnicity among them * 100"
    ),
    "known_ethnicity": "a label that maps to a Census 2021 code (not 'Prefer not to say', not blank)",
}


def system_for(authority: Authority) -> int:
    """Which HR system an authority uses; the first authority (Northbrook) uses system 0."""
    return (authority.index - 1) % len(_SYSTEMS)


def file_name(authority: Authority, snapshot: date, ext: str) -> str:
    return f"{SOURCE}_{authority.code}_{snapshot.isoformat()}_synthetic.{ext}"


# --- the planted mechanism ------------------------------------------------------------------


def _tilt_density(s: np.ndarray, u: np.ndarray) -> np.ndarray:
    """s e^{s u} / (e^s - 1) for each tilt s (rows) at each percentile u (columns); 1 where s = 0."""
    s = np.asarray(s, dtype=np.float64)[:, None]
    safe = np.where(s == 0, 1.0, s)
    dens = safe * np.exp(safe * u[None, :]) / np.expm1(safe)
    return np.where(s == 0, 1.0, dens)


@dataclass(frozen=True)
class _Mechanism:
    codes: tuple[str, ...]
    weights: np.ndarray  # per code, so the realised mix matches the authority's mix
    tilt: np.ndarray
    senior_mask: np.ndarray  # codes whose odds the senior-band factor scales
    senior_factor: float
    senior_band: float
    target_share_pct: float
    expected_share_pct: float

    def probabilities(self, u: np.ndarray) -> np.ndarray:
        dens = _tilt_density(self.tilt, u)  # (codes, rows)
        factor = np.where(
            self.senior_mask[:, None] & (u[None, :] >= self.senior_band), self.senior_factor, 1.0
        )
        w = self.weights[:, None] * dens * factor
        return (w / w.sum(axis=0)).T


def _mechanism(
    authority: Authority, year: int, codes: tuple[str, ...], planted: HRPlanted, first: Authority
) -> _Mechanism:
    """Solve the weights (to match the workforce mix) and the senior-band factor (to hit the top-5%
    target in expectation) on a fine grid of pay percentiles."""
    mix = np.array([authority.mix.get(c, 0.0) for c in codes])
    mix = mix / mix.sum()
    tilt = np.array([planted.pay_tilt.get(c, 0.0) for c in codes])
    minority = np.array([c != planted.reference_group for c in codes])
    senior_mask = minority & ~np.isin(codes, planted.null_effect_groups)
    first_minority = 1.0 - first.mix.get(planted.reference_group, 0.0)
    ratio = planted.top5_target(year) / 100.0 / first_minority
    target = min(0.95, ratio * (1.0 - authority.mix.get(planted.reference_group, 0.0)))

    grid = (np.arange(1000) + 0.5) / 1000
    top = grid >= planted.senior_band
    dens = _tilt_density(tilt, grid)
    weights, factor, share = mix.copy(), 1.0, target
    for _ in range(500):
        scale = np.where(senior_mask[:, None] & top[None, :], factor, 1.0)
        w = weights[:, None] * dens * scale
        p = w / w.sum(axis=0)
        marginal = p.mean(axis=1)
        share = float(p[minority][:, top].sum(axis=0).mean())
        weights = weights * np.divide(mix, marginal, out=np.ones_like(mix), where=marginal > 0)
        step = (target / (1 - target)) / (share / (1 - share))
        factor = float(np.clip(factor * step, 1e-4, 1e4))
        if abs(share - target) < 1e-7 and np.allclose(marginal, mix, atol=1e-8):
            break
    return _Mechanism(
        codes, weights, tilt, senior_mask, factor, planted.senior_band, target * 100, share * 100
    )


# --- one snapshot ---------------------------------------------------------------------------


def _ladder(u: np.ndarray, uprate: float) -> tuple[np.ndarray, np.ndarray]:
    """Pay percentile -> (grade index, FTE annual salary in whole pounds), monotone in u."""
    shares = np.array([g[1] for g in GRADES])
    cum = np.cumsum(shares / shares.sum())
    idx = np.minimum(np.searchsorted(cum, u, side="right"), len(GRADES) - 1)
    lo = np.r_[0.0, cum[:-1]][idx]
    pos = np.clip((u - lo) / (cum[idx] - lo), 0, 1)
    smin = np.array([g[2] for g in GRADES], dtype=np.float64)[idx]
    smax = np.array([g[3] for g in GRADES], dtype=np.float64)[idx]
    return idx, np.rint((smin + pos * (smax - smin)) * uprate)


def _pick(rng: np.random.Generator, options: tuple[tuple[str, float], ...], n: int) -> np.ndarray:
    names = np.array([o[0] for o in options], dtype=object)
    p = np.array([o[1] for o in options])
    return names[rng.choice(len(options), size=n, p=p / p.sum())]


def _pence(x: np.ndarray) -> np.ndarray:
    return np.rint(x * 100) / 100


def simulate(
    rng: np.random.Generator, authority: Authority, snapshot: date, mech: _Mechanism, cfg: HRConfig
) -> pd.DataFrame:
    """One snapshot's workforce with canonical values (and the truth columns census_code, status)."""
    wf = cfg.workforce
    system = _SYSTEMS[system_for(authority)]
    labels = load_labels()
    lo, hi = wf.headcount_range
    trend = 1 + 0.015 * (snapshot.year - 2023.5) + rng.normal(0, 0.01)
    n = int(np.clip(round(authority.headcount * trend), lo, hi))

    # Stratified percentiles (the ladder is filled almost exactly) and low-discrepancy draws in
    # pay order (golden-ratio and sqrt(2) Kronecker sequences): each group's share of any pay band
    # tracks its planted probability closely, so realised gaps and top-5% shares sit near their
    # planted values in every file instead of wandering by sampling noise.
    u = (rng.permutation(n) + rng.random(n)) / n
    rank = np.empty(n, dtype=np.int64)
    rank[np.argsort(u)] = np.arange(n)
    r_eth = (rng.random() + rank * _GOLDEN) % 1.0
    r_status = (rng.random() + rank * _SQRT2) % 1.0
    probs = mech.probabilities(u)
    code_idx = np.minimum((probs.cumsum(axis=1) < r_eth[:, None]).sum(axis=1), len(mech.codes) - 1)
    declined = r_status < wf.prefer_not_to_say
    blank = (r_status >= wf.prefer_not_to_say) & (r_status < wf.prefer_not_to_say + wf.blank_ethnicity)
    known = ~declined & ~blank
    codes = np.array(mech.codes, dtype=object)[code_idx]
    label_idx = np.array([labels.codes.index(c) for c in mech.codes])[code_idx]
    ethnicity = labels.sample(label_idx, system.ethnicity_style, wf.legacy_label_share, rng)
    ethnicity = np.where(declined, PREFER_NOT_TO_SAY, np.where(blank, "", ethnicity))

    uprate = (1 + wf.pay_award) ** (snapshot.year - 2025)
    grade_idx, annual = _ladder(u, uprate)
    casual = (grade_idx <= 3) & (rng.random(n) < wf.casual_share_low_grades)
    apprentice = ~casual & (grade_idx == 0) & (rng.random(n) < wf.apprentice_share_scale1)
    fixed = ~casual & ~apprentice & (rng.random(n) < wf.fixed_term_share)
    contract = np.select([casual, apprentice, fixed], ["Casual", "Apprentice", "Fixed term"], "Permanent")

    part_time = casual | (~apprentice & (rng.random(n) < wf.part_time_share))
    hours = np.where(part_time, 7 + 0.5 * rng.integers(0, 47, n), wf.full_time_hours)
    period = np.where(casual, _pick(rng, system.casual_periods, n), "monthly")
    days = pd.Series(period).map(PERIOD_DAYS).to_numpy(dtype=np.float64)
    fte_share = hours / wf.full_time_hours
    full_basic = np.where(period == "monthly", annual * fte_share / 12, annual * fte_share * days / 365.25)

    reduced = rng.random(n) < wf.reduced_pay_share
    factor = _pick(rng, (("nil", 0.2), ("half", 0.5), ("part", 0.3)), n)
    factor = np.select([factor == "nil", factor == "half"], [0.0, 0.5], rng.uniform(0.1, 0.9, n))
    basic = _pence(np.where(reduced, full_basic * factor, full_basic))
    eligible = grade_idx <= _GRADE_INDEX[wf.extra_pay_max_grade]
    a_lo, a_hi = wf.allowance_monthly_range
    with_allowance = eligible & (rng.random(n) < wf.allowance_share)
    allowances = _pence(np.where(with_allowance, rng.uniform(a_lo, a_hi, n) * days / 30.44, 0.0))
    b_lo, b_hi = wf.bonus_range
    bonus = np.where(eligible & (rng.random(n) < wf.bonus_share), np.rint(rng.uniform(b_lo, b_hi, n)), 0.0)

    sex = np.where(rng.random(n) < wf.female_share, "Female", "Male")
    dnames = np.array([d[0].format(q=system.apostrophe) for d in DIRECTORATES], dtype=object)
    dprob = np.array([d[1] for d in DIRECTORATES])
    directorate = np.where(
        grade_idx == len(GRADES) - 1, dnames[-1], dnames[rng.choice(len(dnames), n, p=dprob / dprob.sum())]
    )

    age_years = np.where(apprentice, rng.uniform(16.5, 25, n), rng.uniform(18, 66, n))
    snap = np.datetime64(snapshot.isoformat(), "D")
    dob = snap - np.rint(age_years * 365.25).astype("timedelta64[D]")
    given = np.array(GIVEN)[rng.integers(0, len(GIVEN), n)]
    surname = np.array(SURNAMES)[rng.integers(0, len(SURNAMES), n)]
    name = np.strings.upper(surname) + ", " + given if system.surname_first else given + " " + surname

    number = (snapshot.year % 10) * 100_000 + rng.choice(100_000, size=n, replace=False)
    emp = system.id_prefix + np.strings.zfill(number.astype(np.str_), system.id_width)

    frame = pd.DataFrame(
        {
            "employee_id": emp.astype(object),
            "snapshot_date": np.full(n, snap),
            "authority_code": authority.code,
            "employee_name": name.astype(object),
            "date_of_birth": dob,
            "sex": sex,
            "ethnicity": ethnicity.astype(object),
            "directorate": directorate,
            "grade": np.array([g[0] for g in GRADES], dtype=object)[grade_idx],
            "contract_type": contract,
            "weekly_hours": hours,
            "pay_period": period,
            "basic_pay_in_period": basic,
            "allowances_in_period": allowances,
            "bonus_pay_12m": bonus,
            "reduced_pay_due_to_leave": reduced,
            # truth columns (never written)
            "census_code": np.where(known, codes, None),
            "status": np.select([declined, blank], ["prefer_not_to_say", "not_recorded"], "known"),
            "annual_fte_salary": annual,
            "pay_percentile": u,
        }
    )
    return frame.sort_values("employee_id", kind="stable").reset_index(drop=True)


def hourly_pay(frame: pd.DataFrame) -> pd.Series:
    """Hourly pay by the regulation method, from canonical values."""
    days = frame["pay_period"].map(PERIOD_DAYS)
    ordinary = frame["basic_pay_in_period"] + frame["allowances_in_period"]
    return (ordinary + frame["bonus_pay_12m"] * days / 365.25) * 7 / days / frame["weekly_hours"]


# --- expected statistics --------------------------------------------------------------------


def expected_statistics(
    frame: pd.DataFrame, include: np.ndarray, planted: HRPlanted, major_group: dict[str, str]
) -> tuple[list[dict], dict]:
    """Pay gaps per group and the top-5% share, over the rows in ``include``."""
    rows = frame[include & ~frame["reduced_pay_due_to_leave"].to_numpy()]
    hourly = hourly_pay(rows)
    code = rows["census_code"]
    ref = hourly[code == planted.reference_group]
    ref_mean, ref_median = ref.mean(), ref.median()

    def records(level: str, groups: pd.Series, order: list[str]) -> list[dict]:
        agg = hourly.groupby(groups, sort=False).agg(["count", "mean", "median"])
        out = []
        for group in (g for g in order if g in agg.index):
            n, mean, median = agg.loc[group]
            out.append(
                {
                    "level": level,
                    "group": group,
                    "n": int(n),
                    "mean_hourly": rounded(mean),
                    "median_hourly": rounded(median),
                    "mean_gap_pct": rounded((ref_mean - mean) / ref_mean * 100),
                    "median_gap_pct": rounded((ref_median - median) / ref_median * 100),
                }
            )
        return out

    minority = code.notna() & (code != planted.reference_group)
    gaps = records("census_code", code, list(major_group))
    gaps += records("major_group", code.map(major_group), list(dict.fromkeys(major_group.values())))
    gaps += records("ethnic_minority", minority.map({True: "Ethnic minority"}), ["Ethnic minority"])

    threshold = float(np.quantile(hourly.to_numpy(), 0.95))
    top = hourly >= threshold
    n_known = int((top & code.notna()).sum())
    n_minority = int((top & minority).sum())
    top5 = {
        "threshold_hourly": rounded(threshold),
        "n_full_pay_relevant": len(rows),
        "n_top": int(top.sum()),
        "n_top_known": n_known,
        "n_top_minority": n_minority,
        "minority_share_pct": rounded(n_minority / n_known * 100) if n_known else None,
        "workforce_minority_share_pct": rounded(minority.sum() / code.notna().sum() * 100),
    }
    return gaps, top5


# --- rendering ------------------------------------------------------------------------------


def _render(frame: pd.DataFrame, system: HRSystem, fmt: str) -> dict[str, W.Cells]:
    """Canonical values -> the cells the system writes, per canonical column.

    CSV cells are all text (UK dates, £ amounts where the system prints them); XLSX cells keep
    numbers and dates as numbers with a display format, as a report exported from Excel does."""
    out: dict[str, W.Cells] = {}
    xlsx = fmt == "xlsx"
    for canonical, _ in system.headers:
        v = frame[canonical].to_numpy()
        if canonical in ("snapshot_date", "date_of_birth"):
            cells = (
                W.Cells.of_numbers(W.excel_serial(v), W.STYLE_DATE)
                if xlsx
                else W.Cells.of_text(W.uk_dates(v))
            )
        elif canonical in MONEY:
            pound = canonical in system.pound_columns
            if xlsx:
                cells = W.Cells.of_numbers(W.decimal(v), W.STYLE_MONEY if pound else W.STYLE_GENERAL)
            else:
                cells = W.Cells.of_text(W.money(v, pound=pound))
        elif canonical == "weekly_hours":
            cells = W.Cells.of_numbers(W.decimal(v)) if xlsx else W.Cells.of_text(W.decimal(v))
        elif canonical in ("sex", "contract_type", "pay_period"):
            spelling = {"sex": system.sex, "contract_type": system.contract, "pay_period": system.period}
            cells = W.Cells.of_text(frame[canonical].map(spelling[canonical]).to_numpy())
        elif canonical == "reduced_pay_due_to_leave":
            cells = W.Cells.of_text(np.where(v, "Y", "N"))
        else:
            cells = W.Cells.of_text(v)
        out[canonical] = cells
    return out


def _inject(
    cells: dict[str, W.Cells], frame: pd.DataFrame, plan: F.FaultPlan, system: HRSystem, fmt: str
) -> dict[int, tuple[str, str, bool, str]]:
    """Overwrite the planned cells. Returns clean row -> (canonical column, text, numeric, fault).

    Loops over the ~1% faulty rows only."""
    unmapped = load_labels().unmapped()
    csv = fmt == "csv"
    done: dict[int, tuple[str, str, bool, str]] = {}
    year = pd.Timestamp(frame["snapshot_date"].iloc[0]).year
    seen: dict[str, int] = {}
    for row, kind in zip(plan.rows.tolist(), plan.kinds.tolist(), strict=True):
        j = seen[kind] = seen.get(kind, -1) + 1  # faults of this kind so far: rotates the variants
        numeric = False
        if kind == F.UNKNOWN_LABEL:
            column, text = "ethnicity", unmapped[j % len(unmapped)]
        elif kind == F.IMPOSSIBLE_DATE:
            column, text = "snapshot_date", f"31/02/{year}"
        elif kind == F.NEGATIVE_NUMBER:
            column = "basic_pay_in_period"
            amount = np.array([-max(float(frame.at[row, column]), 100.0)])
            pound = csv and column in system.pound_columns
            text, numeric = str((W.money(amount, pound=pound) if csv else W.decimal(amount))[0]), not csv
        elif kind == F.TEXT_IN_NUMERIC:
            column, text = ("weekly_hours", "basic_pay_in_period")[j % 2], "n/a"
        elif kind == F.OUT_OF_RANGE:
            column, text, numeric = "weekly_hours", ("0", "200")[j % 2], not csv
        elif kind == F.DUPLICATE_ROW:
            column, text = "employee_id", str(cells["employee_id"].text[row])
        else:  # pragma: no cover - a kind this source does not plant
            raise ValueError(kind)
        if kind != F.DUPLICATE_ROW:
            cells[column].set(row, text, numeric=numeric)
        done[row] = (column, text, numeric, _FAULT_NAMES[kind])
    return done


def _write_file(
    inbox_dir: Path,
    authority: Authority,
    snapshot: date,
    frame: pd.DataFrame,
    ctx: DemoContext,
    rng_faults: np.random.Generator,
) -> tuple[dict, list[dict], np.ndarray]:
    """Write one extract; returns its file record, its fault records and the rows in the statistics."""
    system = _SYSTEMS[system_for(authority)]
    fmt = "xlsx" if (system.xlsx_latest and snapshot == max(ctx.snapshot_dates)) else "csv"
    name = file_name(authority, snapshot, fmt)
    cells = _render(frame, system, fmt)
    n = len(frame)
    if ctx.dirty is not None:
        plan = F.plan(rng_faults, n, ctx.dirty)
        injected = _inject(cells, frame, plan, system, fmt)
    else:
        plan = F.FaultPlan(rows=np.empty(0, np.int64), kinds=np.empty(0, object), order=np.arange(n))
        injected = {}
    order = plan.order
    header = [h for _, h in system.headers]
    identity = order.size == n  # no duplicated rows: keep the arrays as they are
    columns = [cells[c] if identity else cells[c].take(order) for c, _ in system.headers]

    title_rows: list[str] = []
    footer_rows: list[int] = []
    if fmt == "csv":
        W.write_csv(inbox_dir / name, header, columns)
    else:
        title_rows = [
            f"SYNTHETIC DEMO DATA - {authority.name} payroll snapshot {snapshot.strftime('%d/%m/%Y')}",
            f"Fictional council generated by observatory.demo (seed {ctx.seed}); not real people.",
        ]
        total = [
            W.Cells.of_text(np.array(["Total" if i == 0 else ""], dtype=object)) for i in range(len(header))
        ]
        for i, (c, _) in enumerate(system.headers):
            if c in MONEY:
                col = columns[i]
                amount = pd.to_numeric(pd.Series(col.text[col.numeric]), errors="coerce").sum()
                total[i] = W.Cells.of_numbers(W.decimal(np.array([amount])), col.style)
        W.write_xlsx(
            inbox_dir / name,
            sheet="Payroll snapshot",
            title_rows=title_rows,
            header=header,
            columns=columns,
            footer_rows=[total],
        )
        footer_rows = [len(title_rows) + 1 + len(order) + 1]
    header_row = len(title_rows) + 1

    first, copy = F.physical_rows(order, header_row + 1)
    rel = f"{SOURCE}/{name}"
    header_of = dict(system.headers)
    fault_records = []
    excluded = np.zeros(n, dtype=bool)
    for row, (column, text, numeric, fault) in sorted(injected.items(), key=lambda kv: first[kv[0]]):
        # A duplicated row's original is a valid row (ingest keeps the first occurrence): only the
        # copy is faulty, so the original stays in the expected statistics.
        excluded[row] = fault != "duplicate_row"
        physical = int(copy[row]) if fault == "duplicate_row" else int(first[row])
        record = {
            "file": rel,
            "row": physical,
            "data_row": physical - header_row,
            "column": header_of[column],
            "canonical_column": column,
            "value": float(text) if numeric else text,
            "fault": fault,
            "employee_id": str(cells["employee_id"].text[row]),
        }
        if fault == "duplicate_row":
            record["duplicate_of_row"] = int(first[row])
        fault_records.append(record)

    file_record = {
        "file": rel,
        "source": SOURCE,
        "authority_code": authority.code,
        "snapshot_date": snapshot.isoformat(),
        "format": fmt,
        "encoding": "cp1252" if fmt == "csv" else None,
        "sheet": "Payroll snapshot" if fmt == "xlsx" else None,
        "title_rows": list(range(1, len(title_rows) + 1)),
        "header_row": header_row,
        "first_data_row": header_row + 1,
        "last_data_row": header_row + len(order),
        "footer_rows": footer_rows,
        "data_rows": len(order),
        "header": [h for _, h in system.headers],
        "columns": {h: c for c, h in system.headers},
        "direct_identifier_columns": [header_of[c] for c in DIRECT_IDENTIFIERS],
        "hr_system": system_for(authority),
        "ethnicity_style": system.ethnicity_style,
    }
    return file_record, fault_records, ~excluded


def write(inbox: Path, ctx: DemoContext, config: HRConfig | None = None) -> dict[str, dict]:
    """The domain entry point: payroll snapshots into ``inbox/hr_payroll/``."""
    return {SOURCE: write_payroll(inbox / SOURCE, ctx, config)}


def write_payroll(inbox_dir: Path, ctx: DemoContext, config: HRConfig | None = None) -> dict:
    """Write every authority's snapshots into ``inbox_dir``; return this source's ground truth."""
    cfg = config or HRConfig()
    planted = cfg.planted
    labels = load_labels()
    inbox_dir.mkdir(parents=True, exist_ok=True)
    for old in inbox_dir.glob(f"{SOURCE}_X09*_synthetic.*"):
        old.unlink()  # only this generator's own files: a rerun at another scale leaves no strays

    files, faults, pay_gaps, top_earners, headcounts = [], [], [], [], []
    first = all_authorities()[0]  # the top-5% anchor, whichever authorities are generated
    for authority in ctx.authorities:
        for snapshot in ctx.snapshot_dates:
            mech = _mechanism(authority, snapshot.year, labels.codes, planted, first)
            frame = simulate(ctx.rng(SOURCE, authority.index, snapshot.year), authority, snapshot, mech, cfg)
            rng_faults = ctx.rng(SOURCE, authority.index, snapshot.year, 1)
            file_record, fault_records, include = _write_file(
                inbox_dir, authority, snapshot, frame, ctx, rng_faults
            )
            files.append(file_record)
            faults.extend(fault_records)

            key = {"authority_code": authority.code, "snapshot_date": snapshot.isoformat()}
            gaps, top5 = expected_statistics(frame, include, planted, labels.major_group)
            pay_gaps.extend({**key, **g} for g in gaps)
            top_earners.append(
                {
                    **key,
                    **top5,
                    "target_share_pct": rounded(mech.target_share_pct),
                    "senior_band_odds_factor": rounded(mech.senior_factor),
                }
            )
            kept = frame[include]
            eth = kept["census_code"].where(kept["status"] == "known", kept["status"])
            headcounts.append(
                {
                    **key,
                    "file": file_record["file"],
                    "data_rows": file_record["data_rows"],
                    "employees": len(frame),
                    "stats_rows": len(kept),
                    "full_pay_relevant": int((~kept["reduced_pay_due_to_leave"]).sum()),
                    "part_time": int((kept["weekly_hours"] < cfg.workforce.full_time_hours).sum()),
                    "ethnicity": {k: int(v) for k, v in eth.value_counts().sort_index().items()},
                    "sex": {k: int(v) for k, v in kept["sex"].value_counts().sort_index().items()},
                    "grade": {k: int(v) for k, v in kept["grade"].value_counts().sort_index().items()},
                }
            )
        ctx.advance(DOMAIN)

    return {
        "contract": CONTRACT,
        "folder": SOURCE,
        "definitions": DEFINITIONS,
        "planted": _planted_truth(planted),
        "files": files,
        "headcounts": headcounts,
        "pay_gaps": pay_gaps,
        "top_earners": top_earners,
        "faults": faults,
    }


def _planted_truth(planted: HRPlanted) -> dict:
    return {
        "ethnicity_pay_gap": {
            "mechanism": (
                "pay percentile u ~ U(0,1) sets grade and salary; ethnicity drawn given u with weight "
                "mix[g] * s e^(s u)/(e^s - 1), s = pay_tilt[g]; negative s = concentrated in lower grades"
            ),
            "reference_group": planted.reference_group,
            "pay_tilt": dict(sorted(planted.pay_tilt.items())),
            "headline_group": planted.headline_group,
            "headline_median_gap_pct_approx": planted.headline_median_gap_pct,
            "expected_values": "pay_gaps (exact, per authority, snapshot and group)",
        },
        "top5_minority_share": {
            "mechanism": (
                "in the senior band (u >= senior_band) the odds of every minority group except the "
                "null-effect groups are multiplied by a factor solved so that the expected minority "
                "share of the band is the target; target = anchors for the first authority, the same "
                "ratio to the workforce minority share elsewhere"
            ),
            "senior_band": planted.senior_band,
            "anchors_pct": {str(y): s for y, s in planted.top5_minority_share_pct},
            "trend": "rising",
            "expected_values": "top_earners (realised minority_share_pct and target_share_pct)",
        },
        "null_effect": {
            "groups": list(planted.null_effect_groups),
            "mechanism": "no tilt and no senior-band factor: same pay distribution as White British",
            "expected_gap_pct": 0.0,
        },
        "sex": "no planted effect: sex is drawn independently of pay",
    }
