"""SSDA903 looked-after episodes: the simulation behind the ``cla`` source (see ``care``).

Each child looked after at some time in the year has a period of care that began on
``period_start`` (exponential time in care, never before birth) and one episode per placement or
legal-status change; the file holds every episode open at some time in the year: the one open on
1 April (started before the year, with its own DECOM), then one per change, the last ending on
the day care ended (with a REC reason that depends on age) or still open at 31 March.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from observatory.demo.authorities import CENSUS_CODES, Authority
from observatory.demo.justice_care_common import (
    SYNTHETIC,
    age_on,
    as_days,
    birth_dates,
    census_of_dfe,
    draw_children,
    old_la_code,
    pick,
    random_days,
    record_dfe_main,
    reporting_year,
    unique_ids,
)

AGES = np.arange(18)
# Children in care are older than children in general.
CLA_PROFILE = np.outer(
    [0.88, 1.12], [0.9, 0.6, 0.6, 0.6, 0.6, 0.7, 0.7, 0.7, 0.8, 0.8, 1.0, 1.1, 1.2, 1.3, 1.5, 1.7, 2.0, 2.1]
)
LEGAL_STATUS = (("C2", 0.50), ("C1", 0.16), ("V2", 0.22), ("E1", 0.08), ("J2", 0.02), ("L2", 0.02))
PLACEMENTS = (
    ("U1", 0.05), ("U2", 0.02), ("U3", 0.06), ("U4", 0.35), ("U5", 0.05), ("U6", 0.17),
    ("K2", 0.11), ("P1", 0.06), ("R1", 0.02), ("S1", 0.01), ("Z1", 0.01), ("H5", 0.09),
)  # fmt: skip
CATEGORY_OF_NEED = (
    ("N1", 0.64), ("N2", 0.03), ("N3", 0.03), ("N4", 0.08), ("N5", 0.13), ("N6", 0.02), ("N7", 0.005),
    ("N8", 0.065),
)  # fmt: skip
REASON_PLACE_CHANGE = (
    ("CARPL", 0.30), ("CLOSE", 0.05), ("ALLEG", 0.03), ("STAND", 0.05), ("APPRR", 0.10),
    ("CREQB", 0.08), ("CREQO", 0.10), ("CHILD", 0.08), ("LAREQ", 0.06), ("PLACE", 0.05), ("OTHER", 0.10),
)  # fmt: skip
REASON_CEASED = {  # (ages, reasons): how children of each age leave care
    "young": (("E11", 0.35), ("E12", 0.20), ("E13", 0.25), ("E4A", 0.15), ("E8", 0.05)),
    "child": (
        ("E13", 0.35), ("E4A", 0.20), ("E12", 0.15), ("E41", 0.05), ("E8", 0.15), ("E9", 0.02), ("E14", 0.08),
    ),
    "leaver": (("E5", 0.45), ("E8", 0.20), ("E17", 0.15), ("E13", 0.15), ("E9", 0.05)),
}  # fmt: skip


def _carry_forward(fresh: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """Each row takes the draw of the latest row at or before it where ``fresh`` is set."""
    idx = np.maximum.accumulate(np.where(fresh, np.arange(fresh.size), 0))
    return draws[idx]


def simulate_cla(rng: np.random.Generator, authority: Authority, year: int, p) -> pd.DataFrame:
    """Every episode open at some time in the year, with truth columns (census_code, group).
    ``p`` is the domain's ``care.CarePlanted``."""
    start, end = reporting_year(year)
    group, sex, age, in_care = draw_children(
        rng,
        authority,
        year,
        AGES,
        p.cla_rates(authority, year),
        CLA_PROFILE,
        p.ceased_per_looked_after,
        p.sampling,
    )
    n = group.size
    ref = np.where(in_care, end, random_days(rng, start, end, n))  # 31 March, or the day care ended
    dob = birth_dates(rng, age, ref)
    lived = (ref - dob).astype(np.int64)
    period_start = ref - as_days(np.minimum(rng.exponential(p.mean_years_in_care * 365.25, n), lived))
    window_start = np.maximum(period_start, start)
    window = (ref - window_start).astype(np.int64)
    moves = np.where(window >= 2, rng.poisson(p.placement_moves_per_year * window / 365.25), 0)

    # The episode open at the start of the window, then one more per move.
    before = np.minimum(rng.exponential(365.25 / p.placement_moves_per_year, n), 1e5)
    first_start = np.where(
        period_start >= start, period_start, np.maximum(period_start, start - as_days(before))
    )
    child = np.repeat(np.arange(n), 1 + moves)
    first = np.r_[True, child[1:] != child[:-1]]
    offset = 1 + np.floor(rng.random(child.size) * np.maximum(window[child] - 1, 1)).astype(np.int64)
    decom = np.where(first, first_start[child], window_start[child] + as_days(offset))
    order = np.lexsort((decom, ~first, child))
    child, decom, first = child[order], decom[order], first[order]
    keep = first | np.r_[True, (decom[1:] != decom[:-1])]  # two moves on one day make one
    child, decom, first = child[keep], decom[keep], first[keep]
    last = np.r_[child[1:] != child[:-1], True]
    rows = child.size

    started = first & (decom == period_start[child])
    rne = np.where(started, "S", pick(rng, (("T", 0.7), ("P", 0.15), ("L", 0.15)), rows))
    dec = np.where(
        last, np.where(in_care[child], np.datetime64("NaT"), ref[child]), np.r_[decom[1:], decom[:1]]
    )
    age_at_end = age[child]
    reason_by_age = np.select(
        [age_at_end < 5, age_at_end >= 17],
        [pick(rng, REASON_CEASED["young"], rows), pick(rng, REASON_CEASED["leaver"], rows)],
        pick(rng, REASON_CEASED["child"], rows),
    )
    rec = np.where(~last, "X1", np.where(in_care[child], "", reason_by_age))
    legal = _carry_forward(first | np.isin(rne, ("P", "L")), pick(rng, LEGAL_STATUS, rows))
    age_at_decom = age_on(dob[child], decom)
    place_draw = pick(rng, PLACEMENTS, rows)
    place_draw = np.where((place_draw == "H5") & (age_at_decom < 16), "U4", place_draw)
    place = _carry_forward(first | np.isin(rne, ("P", "T")), place_draw)
    provider = np.select(
        [
            place == "P1",
            np.isin(place, ("U1", "U2", "U3")),
            np.isin(place, ("U4", "U5", "U6")),
            np.isin(place, ("K2", "H5")),
        ],
        [
            "PR0",
            "PR1",
            np.where(rng.random(rows) < 0.55, "PR1", "PR4"),
            np.where(rng.random(rows) < 0.25, "PR1", "PR4"),
        ],
        "PR1",
    )
    reason_change = np.where(np.isin(rne, ("P", "T")), pick(rng, REASON_PLACE_CHANGE, rows), "")
    need = pick(rng, CATEGORY_OF_NEED, n)
    need = np.where((need == "N8") & (age < 12), "N1", need)
    upn = np.where(age < 6, "UN1", np.where(rng.random(n) < 0.03, "UN5", _upns(rng, authority, n)))
    ethnic = record_dfe_main(group, authority, rng, p.refused_share, p.not_obtained_share)
    ids = unique_ids(rng, n, 100_000, 1_000_000)

    frame = pd.DataFrame(
        {
            "child_id": ids[child].astype(str).astype(object),
            "sex": np.array(["Female", "Male"], dtype=object)[sex[child]],
            "date_of_birth": dob[child],
            "ethnicity": ethnic[child],
            "upn": upn[child],
            "episode_start": decom,
            "reason_new_episode": rne,
            "legal_status": legal,
            "category_of_need": need[child],
            "placement_type": place,
            "placement_provider": provider,
            "episode_end": dec,
            "reason_episode_ceased": rec,
            "reason_place_change": reason_change,
            "home_postcode": "",
            "placement_postcode": "",
            "data_status": SYNTHETIC,
            "census_code": np.array(CENSUS_CODES, dtype=object)[group[child]],
        }
    )
    frame["group"] = census_of_dfe(frame["ethnicity"].to_numpy())
    return frame.sort_values(["child_id", "episode_start"], kind="stable").reset_index(drop=True)


_UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"


def _upns(rng: np.random.Generator, authority: Authority, n: int) -> np.ndarray:
    """Unique pupil numbers in the DfE format: a check letter then 12 digits (the LA number, here
    the fictional ``old_la_code``, then school, year of issue and serial). The check letter follows
    the DfE rule: sum of each digit x its position weight 2..13, mod 23, indexing A-Z without I, O, S."""
    la = [int(d) for d in f"{old_la_code(authority):03d}"]
    digits = np.column_stack([np.tile(la, (n, 1)), rng.integers(0, 10, (n, 9))])
    check = np.array(list(_UPN_LETTERS))[(digits * np.arange(2, 14)).sum(axis=1) % 23]
    text = digits.astype(str)
    number = text[:, 0].astype(object)
    for i in range(1, 12):
        number = number + text[:, i]
    return (check.astype(object) + number).astype(object)
