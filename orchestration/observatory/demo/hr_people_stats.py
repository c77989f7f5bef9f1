"""Expected statistics for the HR people sources, computed from the rows actually written, and the
balanced draws that plant their effects.

Counts per ethnic group at every level the marts report (Census 2021 code, major group, White
British vs ethnic minority, and the known / prefer-not-to-say / not-recorded split), and relative
likelihoods with their Katz log confidence interval (methods.md §3, §6), so a later test can put a
mart's figure next to the exact value and the planted one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from observatory.demo.ethnicity import load_labels
from observatory.demo.truth import rounded

Z95 = 1.959964
REFERENCE = "WBRI"
WHITE_BRITISH = "White British"
ETHNIC_MINORITY = "Ethnic minority"
KEY_FIELDS = ("authority_code", "financial_year", "file", "file_rejected")

DEFINITIONS = {
    "levels": (
        "census_code: Census 2021 code (known ethnicity only); major_group: the code's major_group in "
        "the census seed; white_british_vs_minority: 'White British' (WBRI) or 'Ethnic minority' (every "
        "other known code); ethnicity_status: known / prefer_not_to_say / not_recorded (blank)"
    ),
    "relative_likelihood": (
        "ratio = (a / n1) / (c / n0), a/n1 the numerator group's events and base, c/n0 the denominator "
        "group's; 95% CI exp(ln ratio +- 1.959964 * sqrt(1/a - 1/n1 + 1/c - 1/n0)) (Katz); null when "
        "a or c is 0"
    ),
    "dirty_mode": (
        "numerators count only rows not listed in faults (a duplicate's original counts, its copy "
        "does not); payroll denominators count only payroll rows not listed in hr_payroll faults; "
        "statistics of a file with a file-level fault carry file_rejected=true"
    ),
}


def group_levels(code: np.ndarray, status: np.ndarray) -> dict[str, np.ndarray]:
    """Each row's group at every level (None where a level does not apply, e.g. unknown ethnicity)."""
    status = np.asarray(status, dtype=object)
    known = status == "known"
    code = np.where(known, np.asarray(code, dtype=object), None)
    major = pd.Series(code, dtype=object).map(load_labels().major_group).to_numpy(dtype=object)
    binary = np.where(known, np.where(code == REFERENCE, WHITE_BRITISH, ETHNIC_MINORITY), None)
    return {
        "census_code": code,
        "major_group": np.where(known, major, None),
        "white_british_vs_minority": binary,
        "ethnicity_status": status,
    }


def tabulate(key: dict, levels: dict[str, np.ndarray], measures: dict[str, np.ndarray]) -> list[dict]:
    """Sum each measure per group at each level: one record per (level, group) with any row.
    (bincount rather than a pandas groupby: this runs thousands of times at England scale.)"""
    values = {m: np.asarray(v, dtype=np.int64) for m, v in measures.items()}
    out = []
    for level, groups in levels.items():
        codes, names = pd.factorize(np.asarray(groups, dtype=object), sort=True)  # None -> -1
        kept = codes >= 0
        sums = {m: np.bincount(codes[kept], weights=v[kept], minlength=len(names)) for m, v in values.items()}
        for i, group in enumerate(names):
            out.append({**key, "level": level, "group": group, **{m: int(s[i]) for m, s in sums.items()}})
    return out


def katz(a: int, n1: int, c: int, n0: int) -> dict:
    """Relative likelihood (a/n1)/(c/n0) and its 95% Katz CI; None when it cannot be computed."""
    if min(a, c, n1, n0) <= 0:
        return {"ratio": None, "ci_low": None, "ci_high": None}
    ratio = (a / n1) / (c / n0)
    se = math.sqrt(max(1 / a - 1 / n1 + 1 / c - 1 / n0, 0.0))
    return {
        "ratio": rounded(ratio),
        "ci_low": rounded(math.exp(math.log(ratio) - Z95 * se)),
        "ci_high": rounded(math.exp(math.log(ratio) + Z95 * se)),
    }


def compare(
    table: list[dict],
    measure: str,
    event: str,
    base: str,
    numerator: tuple[str, str],
    denominator: tuple[str, str],
    planted: float | None,
) -> dict:
    """One relative likelihood from tabulated counts: ``numerator`` and ``denominator`` are
    (level, group); ``event``/``base`` name the counted measure and its base."""
    rows = {(r["level"], r["group"]): r for r in table}
    empty = {event: 0, base: 0}
    num, den = rows.get(numerator, empty), rows.get(denominator, empty)
    key = {k: table[0][k] for k in KEY_FIELDS if table and k in table[0]}  # the file's key
    return {
        **key,
        "measure": measure,
        "event": event,
        "base": base,
        "numerator_group": {"level": numerator[0], "group": numerator[1]},
        "denominator_group": {"level": denominator[0], "group": denominator[1]},
        "a": num[event],
        "n1": num[base],
        "c": den[event],
        "n0": den[base],
        **katz(num[event], num[base], den[event], den[base]),
        "planted": rounded(planted),
    }


def per_person(person: np.ndarray, mask: np.ndarray, n_people: int) -> np.ndarray:
    """How many of the rows in ``mask`` belong to each person (``person`` = row -> person index)."""
    return np.bincount(np.asarray(person)[mask], minlength=n_people)


def expected_ratio(
    levels: dict[str, np.ndarray],
    multiplier: np.ndarray,
    base: np.ndarray,
    numerator: tuple[str, str],
    denominator: tuple[str, str],
) -> float | None:
    """The planted ratio given who is in each group: mean planted multiplier of the numerator group
    over that of the denominator group (rates are base rate x multiplier, so this is the ratio the
    mechanism aims at for the realised group composition)."""
    means = []
    for level, group in (numerator, denominator):
        chosen = (levels[level] == group) & base
        means.append(float(multiplier[chosen].mean()) if chosen.any() else math.nan)
    ratio = means[0] / means[1]
    return None if math.isnan(ratio) else ratio


@dataclass(frozen=True)
class Workforce:
    """A payroll snapshot as hr.write generates it: the people employee-linked sources draw from.

    ``include`` marks the payroll rows in the denominators (in dirty mode, rows hr_payroll lists as
    faulty are out; a duplicated row's original stays). ``written`` says whether the snapshot is in
    the inbox (a snapshot before the first generated year is simulated but not written)."""

    frame: pd.DataFrame
    include: np.ndarray
    snapshot: date
    written: bool

    @property
    def levels(self) -> dict[str, np.ndarray]:
        return group_levels(self.frame["census_code"].to_numpy(), self.frame["status"].to_numpy())

    def multiplier(self, by_code: dict[str, float]) -> np.ndarray:
        """Planted multiplier per employee from their recorded Census code (1 where none applies)."""
        return self.frame["census_code"].map(by_code).fillna(1.0).to_numpy(dtype=np.float64)


def balanced_draw(rng: np.random.Generator, p: np.ndarray, strata: np.ndarray) -> np.ndarray:
    """Bernoulli(p_i) draws balanced within each stratum (systematic sampling in a random order).

    Every person keeps exactly probability p_i, but each stratum's (ethnic group's) count lands
    within 1 of its expected sum(p), so every file's realised relative likelihood sits close to the
    planted value instead of wherever binomial noise takes it (hr.py plants its pay gap the same
    way). ``strata`` may hold None (unrecorded ethnicity): that is a stratum too."""
    p = np.asarray(p, dtype=np.float64)
    n = p.size
    out = np.zeros(n, dtype=bool)
    if n == 0:
        return out
    perm = rng.permutation(n)
    codes = pd.factorize(np.asarray(strata, dtype=object)[perm])[0]
    order = perm[np.argsort(codes, kind="stable")]
    sorted_codes = np.sort(codes, kind="stable")
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_codes)) + 1]
    lengths = np.diff(np.r_[starts, n])
    pp = p[order]
    cumulative = np.cumsum(pp)
    local = cumulative - np.repeat(cumulative[starts] - pp[starts], lengths)
    u = np.repeat(rng.random(starts.size), lengths)
    out[order] = np.floor(local + u) > np.floor(local - pp + u)
    return out
