"""Drawing each authority-year's outcomes from the planted mechanisms, pupil by pupil (vectorised).

Each function takes the census pupils of the year (``education_roster.census_pupils``), adds the
per-pupil EXPECTED value (the truth) and draws the realised value from its own random stream.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from observatory.demo.education_config import EducationConfig
from observatory.demo.education_files import REASONS, SYNTHETIC
from observatory.demo.education_model import (
    clipped_normal_mean,
    em5_probability,
    expected_exclusions,
    gld_probability,
    ks4_class,
    ks4_latent_mean,
)
from observatory.demo.education_roster import N_GROUPS, Schools

ELG_TOTAL, ELG_FOR_GLD = 17, 12


def academic_year(year: int) -> str:
    return f"{year - 1}/{year % 100:02d}"


def school_days(year: int) -> np.ndarray:
    """Weekdays in term time of the academic year ending in ``year`` (half terms and holidays out)."""
    days = np.arange(np.datetime64(f"{year - 1}-09-04"), np.datetime64(f"{year}-07-20"))
    weekday = (days.astype(np.int64) + 3) % 7  # 0 = Monday
    holidays = [
        (f"{year - 1}-10-23", f"{year - 1}-11-01"),
        (f"{year - 1}-12-20", f"{year}-01-06"),
        (f"{year}-02-12", f"{year}-02-19"),
        (f"{year}-03-29", f"{year}-04-15"),
        (f"{year}-05-27", f"{year}-06-01"),
    ]
    out = weekday < 5
    for lo, hi in holidays:
        out &= ~((days >= np.datetime64(lo)) & (days < np.datetime64(hi)))
    return days[out]


def _school_columns(pupils: pd.DataFrame, schools: Schools) -> dict[str, np.ndarray]:
    school = pupils["school"].to_numpy()
    return {"laestab": schools.laestab[school], "school_name": schools.name[school]}


def eyfsp(pupils: pd.DataFrame, schools: Schools, year: int, cfg: EducationConfig, rng) -> pd.DataFrame:
    """Reception pupils with p_gld (expected) and gld, elgs_expected (realised)."""
    rec = pupils[pupils["grade"] == 0]
    p = gld_probability(
        cfg.gld,
        year,
        rec["male"].to_numpy(),
        rec["fsm"].to_numpy(),
        rec["sen"].to_numpy(),
        rec["eal"].to_numpy(),
        rec["birth_position"].to_numpy(),
        rec["cls_group"].to_numpy(),
        rec["known"].to_numpy(dtype=float),
    )
    n = len(rec)
    gld = rng.random(n) < p
    # GLD means all 12 prime and literacy/maths ELGs at the expected level; without it at least one
    # of those 12 is "emerging".
    elgs = np.where(gld, ELG_FOR_GLD + rng.binomial(5, 0.92, n), ELG_TOTAL - 1 - rng.binomial(16, 0.3, n))
    return pd.DataFrame(
        {
            "pupil": rec.index.to_numpy(),
            "upn": rec["upn"].to_numpy(),
            **_school_columns(rec, schools),
            "date_of_birth": rec["dob"].to_numpy(),
            "sex": rec["male"].to_numpy(),
            "elgs_expected": elgs,
            "gld": gld,
            "academic_year": academic_year(year),
            "p_gld": p,
        }
    )


def ks4(pupils: pd.DataFrame, schools: Schools, year: int, cfg: EducationConfig, rng) -> pd.DataFrame:
    """Year 11 pupils with expected_a8 / p_em5 (expected) and attainment8 / em_grade5 (realised)."""
    y11 = pupils[pupils["grade"] == 11]
    planted = cfg.ks4
    true_code = y11["true_code"].to_numpy(dtype=object)
    cls = ks4_class(y11["cls_group"].to_numpy(), true_code)
    recorded = y11["recorded"].to_numpy(dtype=object)
    weight = y11["known"].to_numpy() & ((cls < N_GROUPS) | (recorded == true_code))
    latent = ks4_latent_mean(
        planted,
        year,
        y11["male"].to_numpy(),
        y11["fsm"].to_numpy(),
        y11["sen"].to_numpy(),
        y11["eal"].to_numpy(),
        cls,
        weight.astype(float),
    )
    n = len(y11)
    a8 = np.round(np.clip(latent + rng.normal(0.0, planted.noise_sd, n), 0.0, 90.0), 1)
    em5 = a8 + rng.normal(0.0, planted.em5_sd, n) >= planted.em5_threshold
    return pd.DataFrame(
        {
            "pupil": y11.index.to_numpy(),
            "upn": y11["upn"].to_numpy(),
            **_school_columns(y11, schools),
            "date_of_birth": y11["dob"].to_numpy(),
            "sex": y11["male"].to_numpy(),
            "attainment8": a8,
            "em_grade5": em5,
            "academic_year": academic_year(year),
            "data_status": SYNTHETIC,
            "expected_a8": clipped_normal_mean(latent, planted.noise_sd),
            "p_em5": em5_probability(planted, latent),
            "ks4_class": cls,
        }
    )


def exclusion_expectations(
    pupils: pd.DataFrame, schools: Schools, year: int, cfg: EducationConfig
) -> pd.DataFrame:
    """Per pupil: expected suspensions (lam) and P(permanent exclusion) (p_perm)."""
    lam, perm = expected_exclusions(
        cfg.exclusions,
        year,
        pupils["grade"].to_numpy(),
        pupils["male"].to_numpy(),
        pupils["fsm"].to_numpy(),
        pupils["sen"].to_numpy(),
        pupils["cls_group"].to_numpy(),
        pupils["known"].to_numpy(dtype=float),
        schools.suspension_factor[pupils["school"].to_numpy()],
    )
    return pd.DataFrame({"lam": lam, "p_perm": perm}, index=pupils.index)


def _suspension_counts(lam: np.ndarray, stratum: np.ndarray, cfg: EducationConfig, rng) -> np.ndarray:
    """Suspensions per pupil: each stratum (recorded group x known) has a Poisson total with mean
    the sum of its pupils' expected suspensions, shared out in proportion to expected suspensions x
    a gamma frailty (mean 1). So a group's count varies as a Poisson count does (its rate ratio's
    Poisson CI covers the planted ratio as it should) while suspensions still pile up on a few pupils
    (about three per suspended pupil), as in real data."""
    frailty = rng.gamma(cfg.exclusions.frailty_shape, 1.0 / cfg.exclusions.frailty_shape, lam.size)
    weight = lam * frailty
    strata = int(stratum.max()) + 1 if stratum.size else 0
    totals = rng.poisson(np.bincount(stratum, lam, minlength=strata))
    order = np.argsort(stratum, kind="stable")
    cum = np.cumsum(weight[order])
    w_sum = np.bincount(stratum, weight, minlength=strata)
    before = np.concatenate([[0.0], np.cumsum(w_sum)[:-1]])
    event_stratum = np.repeat(np.arange(strata), totals)
    target = before[event_stratum] + rng.random(event_stratum.size) * w_sum[event_stratum]
    hit = np.minimum(np.searchsorted(cum, target, side="right"), lam.size - 1)
    return np.bincount(order[hit], minlength=lam.size)


def exclusions(
    pupils: pd.DataFrame, expect: pd.DataFrame, schools: Schools, year: int, cfg: EducationConfig, rng
) -> pd.DataFrame:
    """Suspension and permanent exclusion events, one row each, in date order.

    A pupil's suspensions fall in distinct equal slices of the school year (so never two on one
    day); a permanent exclusion comes after the pupil's last suspension."""
    n = len(pupils)
    days = school_days(year)
    n_days = days.size
    stratum = pupils["cls_group"].to_numpy() * 2 + pupils["known"].to_numpy()
    count = np.minimum(_suspension_counts(expect["lam"].to_numpy(), stratum, cfg, rng), n_days)
    perm = rng.random(n) < expect["p_perm"].to_numpy()

    pupil = np.repeat(np.arange(n), count)
    first = np.repeat(np.cumsum(count) - count, count)
    j = np.arange(pupil.size) - first
    m = count[pupil]
    # Slice j of a pupil's m slices is days [floor(j n / m), floor((j + 1) n / m)): non-empty as
    # m <= n_days, and disjoint, so no two of a pupil's suspensions share a day.
    m1 = np.maximum(m, 1)
    start = (j * n_days) // m1
    width = ((j + 1) * n_days) // m1 - start
    day = start + np.floor(rng.random(pupil.size) * width).astype(np.int64)
    last = np.full(n, -1)
    np.maximum.at(last, pupil, day)
    perm_pupil = np.flatnonzero(perm)
    lo = last[perm_pupil] + 1
    perm_day = np.minimum(
        lo + np.floor(rng.random(perm_pupil.size) * (n_days - lo)).astype(np.int64), n_days - 1
    )

    susp_p = np.array([r[2] for r in REASONS])
    perm_p = np.array([r[3] for r in REASONS])
    sessions = np.array([1, 2, 4, 6, 10, 20])[
        rng.choice(6, size=pupil.size, p=np.array([0.10, 0.45, 0.20, 0.12, 0.10, 0.03]))
    ]
    events = pd.DataFrame(
        {
            "pupil_pos": np.concatenate([pupil, perm_pupil]),
            "category": np.concatenate([np.zeros(pupil.size, np.int64), np.ones(perm_pupil.size, np.int64)]),
            "day": np.concatenate([day, perm_day]),
            "reason": np.concatenate(
                [
                    rng.choice(len(REASONS), size=pupil.size, p=susp_p / susp_p.sum()),
                    rng.choice(len(REASONS), size=perm_pupil.size, p=perm_p / perm_p.sum()),
                ]
            ),
            "sessions": np.concatenate([sessions.astype(float), np.full(perm_pupil.size, np.nan)]),
        }
    )
    pos = events["pupil_pos"].to_numpy()
    school = pupils["school"].to_numpy()[pos]
    events = events.assign(
        pupil=pupils.index.to_numpy()[pos],
        upn=pupils["upn"].to_numpy()[pos],
        laestab=schools.laestab[school],
        school_name=schools.name[school],
        start_date=days[events["day"].to_numpy()],
        academic_year=academic_year(year),
        data_status=SYNTHETIC,
    )
    events = events.sort_values(["start_date", "upn", "category"], kind="stable").reset_index(drop=True)
    return events.drop(columns=["pupil_pos", "day"])


def census_frame(pupils: pd.DataFrame, schools: Schools, year: int, when: date) -> pd.DataFrame:
    """The census extract's canonical columns."""
    school = pupils["school"].to_numpy()
    return pd.DataFrame(
        {
            "upn": pupils["upn"].to_numpy(),
            "laestab": schools.laestab[school],
            "urn": schools.urn[school],
            "school_name": schools.name[school],
            "nc_year": pupils["grade"].to_numpy(),
            "age": pupils["grade"].to_numpy() + 4,
            "date_of_birth": pupils["dob"].to_numpy(),
            "sex": pupils["male"].to_numpy(),
            "ethnicity": pupils["recorded"].to_numpy(),
            "fsm_eligible": pupils["fsm"].to_numpy(),
            "sen_provision": pupils["sen"].to_numpy(),
            "eal": pupils["eal"].to_numpy(),
            "census_date": np.datetime64(when.isoformat()),
            "data_status": SYNTHETIC,
        }
    )
