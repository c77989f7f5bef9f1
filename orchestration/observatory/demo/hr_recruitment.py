"""Recruitment applications (inbox folder ``hr_recruitment``): one row per application with the
furthest stage reached, per authority per financial year (vacancies closing 1 April - 31 March).

Applicants are people: external applicants are drawn from the authority's working-age residents
(``population.residents``, ages 18-64, women weighted up as council applicant pools are), internal
ones from its workforce mix. Stages run applied -> shortlisted -> interviewed -> appointed, each a
Bernoulli step on the applicant's true group (what is recorded - a label, "Prefer not to say" or a
blank - does not change the odds). The planted effects are in ``RecruitmentPlanted`` (see
``observatory.demo.hr_people`` for the full list).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from observatory.demo import hr
from observatory.demo import hr_people_files as PF
from observatory.demo import hr_people_stats as PS
from observatory.demo.authorities import CENSUS_CODES, Authority
from observatory.demo.ethnicity import PREFER_NOT_TO_SAY, load_labels
from observatory.demo.population import residents
from observatory.demo.truth import rounded

SOURCE = "hr_recruitment"
CONFIG_FIELD = "recruitment"  # the HRPeopleConfig field holding this source's configuration
LINKED_SNAPSHOT: int | None = None  # applicants are not payroll employees
STAGES = ("Applied", "Shortlisted", "Interviewed", "Appointed")
AGE_BANDS = ((18, "16-24"), (25, "25-34"), (35, "35-44"), (45, "45-54"), (55, "55-64"))
POSTS = {
    "Adults' Social Care": (
        "Social Worker",
        "Care Assistant",
        "Occupational Therapist",
        "Reablement Officer",
    ),
    "Children's Services": (
        "Social Worker",
        "Family Support Worker",
        "Early Years Practitioner",
        "SEN Officer",
    ),
    "Environment and Place": (
        "Street Cleansing Operative",
        "Planning Officer",
        "Parking Officer",
        "Engineer",
    ),
    "Housing": ("Housing Officer", "Tenancy Sustainment Officer", "Repairs Surveyor", "Lettings Officer"),
    "Resources": ("Finance Officer", "HR Advisor", "ICT Support Analyst", "Customer Service Advisor"),
    "Public Health": ("Public Health Analyst", "Health Improvement Officer"),
    "Chief Executive's Office": ("Policy Officer", "Communications Officer", "Committee Officer"),
}


@dataclass(frozen=True)
class RecruitmentPlanted:
    """WRES-style relative likelihoods of progressing through recruitment."""

    reference_group: str = "WBRI"
    # (year ending 31 March, relative likelihood) anchors: White British applicants are this many
    # times as likely as ethnic minority applicants to be appointed from shortlisting; linear in
    # between, flat outside (a trend from 1.6 down to 1.3).
    appointment_rl: tuple[tuple[int, float], ...] = ((2022, 1.6), (2025, 1.3))
    reference_appointment_rate: float = 0.30  # P(appointed | shortlisted), White British
    shortlisting_rl: float = 1.0  # null effect: shortlisting from application is equal
    shortlist_rate: float = 0.20  # P(shortlisted | applied), White British
    interview_rate: float = 0.85  # P(interviewed | shortlisted), every group (withdrawals)

    def appointment_rl_for(self, year: int) -> float:
        years, values = zip(*self.appointment_rl, strict=True)
        return float(np.interp(year, years, values))


@dataclass(frozen=True)
class RecruitmentShape:
    """Realistic volumes and recording habits; no planted effect."""

    vacancies_per_100_staff: float = 9.0
    mean_applications: float = 28.0
    internal_share: float = 0.20
    internal_female_share: float = 0.68
    female_weight: float = 1.8  # external applicants: women this many times as likely as men
    prefer_not_to_say: float = 0.05
    blank_ethnicity: float = 0.02
    legacy_label_share: float = 0.06
    disability: tuple[tuple[str, float], ...] = (
        ("Yes", 0.09),
        ("No", 0.82),
        ("Prefer not to say", 0.04),
        ("", 0.05),
    )


@dataclass(frozen=True)
class RecruitmentConfig:
    planted: RecruitmentPlanted = field(default_factory=RecruitmentPlanted)
    shape: RecruitmentShape = field(default_factory=RecruitmentShape)


_SEX = {"Female": ("Female",), "Male": ("Male",)}
SPEC = PF.SourceSpec(
    source=SOURCE,
    title="recruitment applications for vacancies closing",
    kinds={
        "application_id": "text",
        "vacancy_id": "text",
        "post_title": "text",
        "grade": "text",
        "directorate": "text",
        "advertised_salary": "money",
        "application_date": "date",
        "applicant_type": "category",
        "ethnicity": "text",
        "sex": "category",
        "disability": "category",
        "age_band": "text",
        "stage_reached": "category",
        PF.DATA_STATUS: "text",
    },
    required=("application_id", "vacancy_id", "application_date", "stage_reached"),
    id_column="application_id",
    systems=(
        PF.System(  # Northbrook: a CSV export with a title line above the header and a total line
            name="recruitment system A (CSV with a title line and a total line)",
            headers=(
                ("application_id", "ApplicationRef"),
                ("vacancy_id", "VacancyNo"),
                ("post_title", "JobTitle"),
                ("grade", "Grade Code"),
                ("directorate", "Department"),
                ("advertised_salary", "Advertised Salary"),
                ("application_date", "Submitted Date"),
                ("applicant_type", "Applicant Type"),
                ("ethnicity", "Ethnicity Code"),
                ("sex", "Gender"),
                ("disability", "Disability Status"),
                ("age_band", "Age Band"),
                ("stage_reached", "Highest Stage"),
            ),
            fmt="csv",
            title_line=True,
            total_row=True,
            pound=True,
            spellings={
                "stage_reached": {
                    "Applied": ("APP",),
                    "Shortlisted": ("SL",),
                    "Interviewed": ("INT",),
                    "Appointed": ("APPT",),
                },
                "applicant_type": {"Internal": ("INT",), "External": ("EXT",)},
                "sex": {"Female": ("F",), "Male": ("M",)},
                "disability": {"Yes": ("D",), "No": ("ND",), "Prefer not to say": ("PNS",)},
            },
        ),
        PF.System(
            name="recruitment system B (CSV with a status column)",
            headers=(
                ("application_id", "Candidate No"),
                ("vacancy_id", "Job Ref"),
                ("post_title", "Post"),
                ("grade", "Pay Band"),
                ("directorate", "Service Area"),
                ("advertised_salary", "Salary"),
                ("application_date", "Application Received"),
                ("applicant_type", "Candidate Type"),
                ("ethnicity", "Ethnic Group"),
                ("sex", "Sex"),
                ("disability", "Disabled"),
                ("age_band", "Age Range"),
                ("stage_reached", "Stage"),
                (PF.DATA_STATUS, "Data Status"),
            ),
            fmt="csv",
            spellings={
                "stage_reached": {
                    "Applied": ("Application",),
                    "Shortlisted": ("Shortlist",),
                    "Interviewed": ("Interview",),
                    "Appointed": ("Offer Accepted",),
                },
                "applicant_type": {"Internal": ("Internal Candidate",), "External": ("External Candidate",)},
                "sex": {"Female": ("F",), "Male": ("M",)},
                "disability": {"Yes": ("Y",), "No": ("N",), "Prefer not to say": ("Not stated",)},
            },
        ),
        PF.System(  # an e-recruitment report saved as XLSX
            name="recruitment system C (XLSX report; CSV before 2024-25)",
            headers=(
                ("application_id", "Application ID"),
                ("vacancy_id", "Vacancy Reference"),
                ("post_title", "Job Title"),
                ("grade", "Grade"),
                ("directorate", "Directorate"),
                ("advertised_salary", "Salary From"),
                ("application_date", "Date Applied"),
                ("applicant_type", "Internal/External"),
                ("ethnicity", "Ethnic Origin"),
                ("sex", "Gender"),
                ("disability", "Disability"),
                ("age_band", "Age Group"),
                ("stage_reached", "Furthest Stage Reached"),
            ),
            fmt="xlsx",
            xlsx_from=2025,
            sheet="Applications",
            spellings={
                "stage_reached": {s: (s,) for s in STAGES},
                "applicant_type": {"Internal": ("Internal",), "External": ("External",)},
                "sex": _SEX,
                "disability": {"Yes": ("Yes",), "No": ("No",), "Prefer not to say": ("Prefer not to say",)},
            },
        ),
    ),
    faults=PF.FaultTargets(
        date="application_date",
        number="advertised_salary",
        out_of_range=("2500000", "12"),
        text_in_numeric=("TBC", "Competitive"),
    ),
    missing_column="stage_reached",
    missing_year=2025,
)
# Per system: ethnicity style, application id prefix, vacancy id format.
_STYLE = ("code", "census", "hr")
_APP_PREFIX = ("R", "C", "APP-")
_VACANCY = ("JR/{yy}/|4", "REQ{yy}|4", "VAC-{yy}-|4")  # vacancy id prefix | digits


def _system_index(authority: Authority) -> int:
    return (authority.index - 1) % len(SPEC.systems)


def ethnicity_style(authority: Authority) -> str:
    """How the authority's recruitment system writes ethnicity (see ethnicity.STYLES)."""
    return _STYLE[_system_index(authority)]


def _applicants(
    rng: np.random.Generator, authority: Authority, year: int, n: int, shape: RecruitmentShape
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(census code index, sex, age, internal?) per application."""
    internal = rng.random(n) < shape.internal_share
    pool = residents(authority, year).counts[:, :, 18:65].astype(np.float64)
    pool[:, 0, :] *= shape.female_weight  # SEXES = (Female, Male)
    cell = rng.choice(pool.size, size=n, p=(pool / pool.sum()).ravel())
    group, sex, age = np.unravel_index(cell, pool.shape)
    mix = np.array([authority.mix.get(c, 0.0) for c in CENSUS_CODES])
    inside = rng.choice(len(CENSUS_CODES), size=n, p=mix / mix.sum())
    group = np.where(internal, inside, group)
    sex = np.where(internal, (rng.random(n) >= shape.internal_female_share).astype(np.int64), sex)
    age = np.where(internal, rng.integers(2, 47, n), age) + 18
    return group, np.array(["Female", "Male"], dtype=object)[sex], age, internal


def _stages(
    rng: np.random.Generator, group: np.ndarray, year: int, planted: RecruitmentPlanted
) -> np.ndarray:
    """Furthest stage index (0 applied .. 3 appointed), from the applicant's true group."""
    minority = np.array(CENSUS_CODES, dtype=object)[group] != planted.reference_group
    shortlist = np.where(minority, planted.shortlist_rate / planted.shortlisting_rl, planted.shortlist_rate)
    appoint = planted.reference_appointment_rate / np.where(minority, planted.appointment_rl_for(year), 1.0)
    stage = PS.balanced_draw(rng, shortlist, group).astype(np.int64)
    for step, p in ((1, np.full(group.size, planted.interview_rate)), (2, appoint / planted.interview_rate)):
        at = np.flatnonzero(stage == step)
        stage[at] += PS.balanced_draw(rng, p[at], group[at])
    return stage


def simulate(
    rng: np.random.Generator, authority: Authority, year: int, workforce: None, cfg: RecruitmentConfig
) -> pd.DataFrame:
    """One financial year's applications: canonical values plus truth columns (_code, _status,
    _stage). Applicants are not linked to the payroll (``workforce`` is None)."""
    shape, labels = cfg.shape, load_labels()
    system = _system_index(authority)
    start, end = PF.fy_bounds(year)
    n_vac = int(rng.poisson(authority.headcount * shape.vacancies_per_100_staff / 100))
    closing = np.sort(start + rng.integers(0, int((end - start).astype(int)) + 1, n_vac))
    advert = closing - rng.integers(14, 29, n_vac)
    shares = np.array([g[1] for g in hr.GRADES])
    grade_idx = rng.choice(len(hr.GRADES), n_vac, p=shares / shares.sum())
    dnames = np.array([d.format(q="'") for d, _ in hr.DIRECTORATES], dtype=object)
    dprob = np.array([w for _, w in hr.DIRECTORATES])
    directorate = dnames[rng.choice(len(dnames), n_vac, p=dprob / dprob.sum())]
    post = np.array([POSTS[d][rng.integers(len(POSTS[d]))] for d in directorate], dtype=object)
    uprate = (1 + hr.HRWorkforce().pay_award) ** (year - 2025)
    salary = np.rint(np.array([g[2] for g in hr.GRADES], dtype=np.float64)[grade_idx] * uprate)
    mean = shape.mean_applications * np.clip(1.4 - 0.06 * grade_idx, 0.3, None)
    per_vacancy = 1 + rng.negative_binomial(2, 2 / (2 + mean))
    vac = np.repeat(np.arange(n_vac), per_vacancy)
    n = vac.size

    applied = advert[vac] + (rng.random(n) * (closing[vac] - advert[vac] + 1).astype(np.float64)).astype(int)
    order = np.lexsort((applied, vac))
    vac, applied = vac[order], applied[order]
    group, sex, age, internal = _applicants(rng, authority, year, n, shape)
    stage = _stages(rng, group, year, cfg.planted)

    status_u = rng.random(n)
    declined = status_u < shape.prefer_not_to_say
    blank = ~declined & (status_u < shape.prefer_not_to_say + shape.blank_ethnicity)
    label_index = np.array([labels.codes.index(c) for c in CENSUS_CODES])  # seed order differs
    label = labels.sample(label_index[group], _STYLE[system], shape.legacy_label_share, rng)
    ethnicity = np.where(declined, PREFER_NOT_TO_SAY, np.where(blank, "", label))
    names, weights = zip(*shape.disability, strict=True)
    disability = np.array(names, dtype=object)[rng.choice(len(names), n, p=np.array(weights) / sum(weights))]
    bands = np.array([b for _, b in AGE_BANDS], dtype=object)
    band = bands[np.searchsorted([lo for lo, _ in AGE_BANDS], age, side="right") - 1]

    vacancy_ids = PF.sequence_ids(_VACANCY[system], year, n_vac)
    first_id = int(rng.integers(100_000, 400_000))
    app_ids = _APP_PREFIX[system] + np.char.zfill((first_id + np.arange(n)).astype(str), 7).astype(object)
    return pd.DataFrame(
        {
            "application_id": app_ids,
            "vacancy_id": vacancy_ids[vac],
            "post_title": post[vac],
            "grade": np.array([g[0] for g in hr.GRADES], dtype=object)[grade_idx][vac],
            "directorate": directorate[vac],
            "advertised_salary": salary[vac],
            "application_date": applied,
            "applicant_type": np.where(internal, "Internal", "External").astype(object),
            "ethnicity": ethnicity.astype(object),
            "sex": sex,
            "disability": disability,
            "age_band": band,
            "stage_reached": np.array(STAGES, dtype=object)[stage],
            "_code": np.array(CENSUS_CODES, dtype=object)[group],
            "_status": np.select([declined, blank], ["prefer_not_to_say", "not_recorded"], "known"),
            "_stage": stage,
        }
    )


def statistics(
    frame: pd.DataFrame, include: np.ndarray, key: dict, workforce: None, cfg: RecruitmentConfig, year: int
) -> tuple[list[dict], list[dict]]:
    """Stage counts per group (applications reaching each stage) and the WRES-style comparisons."""
    planted = cfg.planted
    stage = frame["_stage"].to_numpy()
    levels = PS.group_levels(frame["_code"].to_numpy(), frame["_status"].to_numpy())
    measures = {
        "applications": include,
        "shortlisted": include & (stage >= 1),
        "interviewed": include & (stage >= 2),
        "appointed": include & (stage >= 3),
    }
    table = PS.tabulate(key, levels, measures)
    wbri = ("white_british_vs_minority", PS.WHITE_BRITISH)
    rl = planted.appointment_rl_for(year)
    comparisons = [
        PS.compare(
            table,
            "appointed_from_shortlisting",
            "appointed",
            "shortlisted",
            wbri,
            ("white_british_vs_minority", PS.ETHNIC_MINORITY),
            rl,
        ),
        PS.compare(
            table,
            "shortlisted_from_application",
            "shortlisted",
            "applications",
            wbri,
            ("white_british_vs_minority", PS.ETHNIC_MINORITY),
            planted.shortlisting_rl,
        ),
    ]
    for major in sorted(set(load_labels().major_group.values()) - {"White"}):
        comparisons.append(
            PS.compare(
                table,
                "appointed_from_shortlisting",
                "appointed",
                "shortlisted",
                ("census_code", planted.reference_group),
                ("major_group", major),
                rl,
            )
        )
    return table, comparisons


def planted_truth(planted: RecruitmentPlanted) -> dict:
    return {
        "appointed_from_shortlisting": {
            "mechanism": (
                "each application: shortlisted ~ Bernoulli(shortlist_rate / shortlisting_rl for ethnic "
                "minority applicants), interviewed | shortlisted ~ Bernoulli(interview_rate), appointed | "
                "interviewed ~ Bernoulli(p / interview_rate), p = reference_appointment_rate for White "
                "British and reference_appointment_rate / RL(year) for every ethnic minority group, on the "
                "applicant's true group (recorded or not)"
            ),
            "orientation": "RL = P(appointed | shortlisted, White British) / P(same, ethnic minority)",
            "reference_group": planted.reference_group,
            "reference_appointment_rate": planted.reference_appointment_rate,
            "anchors": {str(y): v for y, v in planted.appointment_rl},
            "by_year": {str(y): rounded(planted.appointment_rl_for(y)) for y in range(2020, 2026)},
            "trend": "falling (toward parity)",
            "expected_values": "comparisons (exact counts, ratio and Katz CI per authority and year)",
        },
        "shortlisted_from_application": {
            "mechanism": "shortlisting odds as above; RL = White British / ethnic minority shortlisting rate",
            "planted": planted.shortlisting_rl,
            "null_effect": planted.shortlisting_rl == 1.0,
            "shortlist_rate": planted.shortlist_rate,
        },
        "no_effect": "sex, disability, age band and internal/external status do not change the odds",
    }
