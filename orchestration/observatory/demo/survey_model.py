"""The resident survey's model: the questionnaire, who responds, how they answer, the weights.

See ``survey`` for the model in words; ``SurveyConfig`` holds every parameter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from observatory.demo.authorities import CENSUS_CODES, Authority
from observatory.demo.population import AGES, SEXES, residents
from observatory.demo.truth import rounded

# (label, first age, last age); 90 means 90 and over in the population model.
AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("16-24", 16, 24),
    ("25-34", 25, 34),
    ("35-44", 35, 44),
    ("45-54", 45, 54),
    ("55-64", 55, 64),
    ("65-74", 65, 74),
    ("75+", 75, 90),
)
MIN_AGE = AGE_BANDS[0][1]
_GOLDEN = (np.sqrt(5.0) - 1) / 2
_SQRT2 = np.sqrt(2.0) - 1


@dataclass(frozen=True)
class Question:
    """A Likert question: ``positive`` answers make the top-2 box, ``other`` the rest (strongest
    first in both); splits say how positive / other answers divide between the labels."""

    name: str
    wording: str
    positive: tuple[str, ...]
    other: tuple[str, ...]
    positive_split: tuple[float, ...]
    other_split: tuple[float, ...]
    dont_know: str = "Don't know"


QUESTIONS: tuple[Question, ...] = (
    Question(
        "satisfaction_area",
        "Overall, how satisfied or dissatisfied are you with your local area as a place to live?",
        ("Very satisfied", "Fairly satisfied"),
        ("Neither satisfied nor dissatisfied", "Fairly dissatisfied", "Very dissatisfied"),
        (0.35, 0.65),
        (0.45, 0.33, 0.22),
    ),
    Question(
        "belonging",
        "How strongly do you feel you belong to your immediate neighbourhood?",
        ("Very strongly", "Fairly strongly"),
        ("Not very strongly", "Not at all strongly"),
        (0.35, 0.65),
        (0.65, 0.35),
    ),
    Question(
        "worry_crime",
        "How worried, if at all, are you about crime in your local area?",
        ("Very worried", "Fairly worried"),
        ("Not very worried", "Not at all worried"),
        (0.3, 0.7),
        (0.65, 0.35),
    ),
    Question(
        "trust_council",
        "How much do you trust your local council?",
        ("A great deal", "A fair amount"),
        ("Not very much", "Not at all"),
        (0.2, 0.8),
        (0.6, 0.4),
    ),
    Question(
        "treated_fairly",
        "To what extent do you agree or disagree that council services treat people like you fairly?",
        ("Strongly agree", "Tend to agree"),
        ("Neither agree nor disagree", "Tend to disagree", "Strongly disagree"),
        (0.3, 0.7),
        (0.4, 0.35, 0.25),
    ),
)
QUESTION_BY_NAME = {q.name: q for q in QUESTIONS}

TENURES = (
    ("Owned outright", 0.22),
    ("Owned with a mortgage or loan", 0.22),
    ("Rented from the council", 0.14),
    ("Rented from a housing association", 0.12),
    ("Rented from a private landlord", 0.25),
    ("Other", 0.02),
    ("Prefer not to say", 0.03),
)

# Collapsed ethnic groups the weights rake to (small groups cannot carry a raking cell alone).
WEIGHTING_GROUP: dict[str, str] = {
    "WBRI": "White British",
    "WIRI": "White other", "WGYP": "White other", "WROM": "White other", "WOTH": "White other",
    "MWBC": "Mixed", "MWBA": "Mixed", "MWAS": "Mixed", "MOTH": "Mixed",
    "AIND": "Indian", "APKN": "Pakistani", "ABAN": "Bangladeshi", "ACHN": "Other Asian",
    "AOTH": "Other Asian",
    "BAFR": "Black African", "BCRB": "Black Caribbean", "BOTH": "Other",
    "OARA": "Other", "OOTH": "Other",
}  # fmt: skip
_WEIGHT_GROUPS = tuple(dict.fromkeys(WEIGHTING_GROUP.values()))


@dataclass(frozen=True)
class QuestionEffect:
    """How one question's answers are planted (see the module docstring)."""

    reference_pct: tuple[tuple[int, float], ...]  # (survey year, % positive) anchors, linear between
    group_offset_pp: dict[str, float] = field(default_factory=dict)
    age_logit: tuple[float, ...] = (0.0,) * len(AGE_BANDS)
    dont_know: float = 0.03

    def target_pct(self, code: str, year: int) -> float:
        years, pcts = zip(*self.reference_pct, strict=True)
        base = float(np.interp(year, years, pcts)) if len(years) > 1 else float(pcts[0])
        return float(np.clip(base + self.group_offset_pp.get(code, 0.0), 2.0, 95.0 * (1 - self.dont_know)))


def _default_effects() -> dict[str, QuestionEffect]:
    return {
        "trust_council": QuestionEffect(
            reference_pct=((2022, 64.0), (2025, 55.0)),
            group_offset_pp={"BCRB": -25.0, "BAFR": -18.0, "BOTH": -12.0, "MWBC": -10.0, "AIND": 0.0},
            age_logit=(-0.7, -0.45, -0.2, 0.0, 0.25, 0.55, 0.75),
            dont_know=0.05,
        ),
        "treated_fairly": QuestionEffect(
            reference_pct=((2022, 66.0), (2025, 66.0)),
            group_offset_pp={"BCRB": -15.0, "BAFR": -12.0, "BOTH": -8.0, "MWBC": -8.0, "AIND": 0.0},
            age_logit=(-0.3, -0.2, -0.1, 0.0, 0.1, 0.3, 0.4),
            dont_know=0.08,
        ),
        "satisfaction_area": QuestionEffect(
            reference_pct=((2022, 80.0), (2025, 74.0)),
            age_logit=(-0.3, -0.2, -0.1, 0.0, 0.15, 0.35, 0.45),
            dont_know=0.01,
        ),
        "belonging": QuestionEffect(
            reference_pct=((2022, 62.0), (2025, 62.0)),
            group_offset_pp={"WOTH": -12.0, "WROM": -10.0},
            age_logit=(-0.6, -0.5, -0.2, 0.0, 0.3, 0.6, 0.8),
            dont_know=0.03,
        ),
        "worry_crime": QuestionEffect(reference_pct=((2022, 36.0), (2025, 40.0)), dont_know=0.02),
    }


@dataclass(frozen=True)
class SurveyPlanted:
    reference_group: str = "WBRI"
    effects: dict[str, QuestionEffect] = field(default_factory=_default_effects)
    headline_question: str = "trust_council"
    headline_groups: tuple[str, ...] = ("BCRB", "BAFR")
    null_effect_groups: tuple[str, ...] = ("AIND",)


@dataclass(frozen=True)
class SurveyDesign:
    """Sample size and who responds: realistic non-response that carries no planted effect itself."""

    respondents_range: tuple[int, int] = (1000, 2000)
    age_propensity: tuple[float, ...] = (0.35, 0.55, 0.8, 1.0, 1.3, 1.75, 1.6)
    female_propensity: float = 1.15  # relative to men
    group_propensity: dict[str, float] = field(
        default_factory=lambda: {"WBRI": 1.3, "WIRI": 1.2, "AIND": 0.9, "BCRB": 0.9, "BAFR": 0.8, "ACHN": 0.8}
    )
    other_group_propensity: float = 0.7
    prefer_not_to_say: float = 0.03
    blank_answer: float = 0.01  # skipped question: not in any denominator
    legacy_label_share: float = 0.0
    fieldwork: tuple[tuple[int, int], tuple[int, int]] = ((9, 10), (11, 30))  # (month, day) in year - 1


@dataclass(frozen=True)
class SurveyConfig:
    planted: SurveyPlanted = field(default_factory=SurveyPlanted)
    design: SurveyDesign = field(default_factory=SurveyDesign)


# --- the planted model ----------------------------------------------------------------------


def _band_of_age() -> np.ndarray:
    """Age band index for every single year of age 0..90 (-1 below the survey's minimum age)."""
    band = np.full(AGES.size, -1, dtype=np.int64)
    for i, (_, lo, hi) in enumerate(AGE_BANDS):
        band[lo : hi + 1] = i
    return band


def adults_by_band(authority: Authority, year: int) -> np.ndarray:
    """Residents aged 16+, shape (19 groups in CENSUS_CODES order, 2 sexes, 7 age bands)."""
    counts = residents(authority, year).counts
    return np.stack([counts[:, :, lo : hi + 1].sum(axis=2) for _, lo, hi in AGE_BANDS], axis=2)


def _logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def solve_alpha(effect: QuestionEffect, year: int, band_pop: np.ndarray) -> np.ndarray:
    """Per group, the intercept that makes the group's population % positive equal its target.

    ``band_pop`` is residents per (group, age band). Newton's method, vectorised over groups."""
    beta = np.array(effect.age_logit)
    share = band_pop / np.maximum(band_pop.sum(axis=1, keepdims=True), 1)
    target = np.array([effect.target_pct(c, year) for c in CENSUS_CODES]) / 100 / (1 - effect.dont_know)
    alpha = np.log(target / (1 - target))
    for _ in range(50):
        p = _logistic(alpha[:, None] + beta[None, :])
        f = (share * p).sum(axis=1) - target
        slope = (share * p * (1 - p)).sum(axis=1)
        alpha = alpha - f / np.maximum(slope, 1e-12)
        if np.abs(f).max() < 1e-13:
            break
    return alpha


def population_pct(effect: QuestionEffect, band_pop: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Expected % positive per group (the target, by construction) and, last, over everyone 16+."""
    p = (1 - effect.dont_know) * _logistic(alpha[:, None] + np.array(effect.age_logit)[None, :])
    per_group = (band_pop * p).sum(axis=1) / np.maximum(band_pop.sum(axis=1), 1)
    overall = (band_pop * p).sum() / band_pop.sum()
    return np.r_[per_group, overall] * 100


# --- respondents ----------------------------------------------------------------------------


def _propensity(design: SurveyDesign) -> np.ndarray:
    """Relative response propensity per (group, sex, single year of age 0..90)."""
    band = _band_of_age()
    age = np.where(band >= 0, np.array(design.age_propensity)[np.maximum(band, 0)], 0.0)
    sex = np.array([design.female_propensity if s == "Female" else 1.0 for s in SEXES])
    group = np.array([design.group_propensity.get(c, design.other_group_propensity) for c in CENSUS_CODES])
    return group[:, None, None] * sex[None, :, None] * age[None, None, :]


def intercepts(planted: SurveyPlanted, authority: Authority, year: int) -> dict[str, np.ndarray]:
    """``solve_alpha`` for every question, over the authority's residents aged 16+ that year."""
    band_pop = adults_by_band(authority, year).sum(axis=1)
    return {q.name: solve_alpha(planted.effects[q.name], year, band_pop) for q in QUESTIONS}


def simulate(
    rng: np.random.Generator,
    authority: Authority,
    year: int,
    cfg: SurveyConfig,
    wards: tuple[np.ndarray, np.ndarray],
    alphas: dict[str, np.ndarray],
) -> pd.DataFrame:
    """One survey year's respondents: canonical values plus truth columns (group_idx, band_idx).

    ``alphas`` are the questions' intercepts from ``intercepts``."""
    design, planted = cfg.design, cfg.planted
    lo, hi = design.respondents_range
    base = lo + (hi - lo) * ((authority.index * 0.6180339887) % 1.0)
    n = int(np.clip(round(base * rng.uniform(0.93, 1.07)), lo, hi))

    counts = residents(authority, year).counts
    weight = (counts * _propensity(design)).ravel()
    cell = rng.choice(weight.size, size=n, p=weight / weight.sum())
    g, s, age = np.unravel_index(cell, counts.shape)
    band = _band_of_age()[age]

    # Fieldwork dates in the autumn before the reporting year ends; ids follow interview order.
    (m0, d0), (m1, d1) = design.fieldwork
    start = np.datetime64(date(year - 1, m0, d0).isoformat(), "D")
    span = (np.datetime64(date(year - 1, m1, d1).isoformat(), "D") - start).astype(np.int64) + 1
    interviewed = np.sort(start + rng.integers(0, span, n).astype("timedelta64[D]"))

    declined = rng.random(n) < design.prefer_not_to_say
    frame = pd.DataFrame(
        {
            "fieldwork_date": interviewed,
            "age_band": np.array([b[0] for b in AGE_BANDS], dtype=object)[band],
            "sex": np.array(SEXES, dtype=object)[s],
            "census_code": np.where(declined, None, np.array(CENSUS_CODES, dtype=object)[g]),
            "ward": wards[0][rng.choice(wards[0].size, size=n, p=wards[1])],
            "tenure": _pick(rng, TENURES, n),
            # truth columns (never written)
            "group_idx": g,
            "band_idx": band,
        }
    )
    for q in QUESTIONS:
        effect = planted.effects[q.name]
        alpha = alphas[q.name]
        p = _logistic(alpha[g] + np.array(effect.age_logit)[band])
        u_blank, u_label = rng.random((2, n))
        u_pos, u_dk = _low_discrepancy(rng, g, band)
        positive = u_pos < p
        labels_pos = _split(q.positive, q.positive_split, u_label)
        labels_other = _split(q.other, q.other_split, u_label)
        answer = np.where(positive, labels_pos, labels_other)
        answer = np.where(u_dk < effect.dont_know, q.dont_know, answer)
        frame[q.name] = np.where(u_blank < design.blank_answer, "", answer)
    return frame


def _low_discrepancy(rng: np.random.Generator, group: np.ndarray, band: np.ndarray) -> tuple[np.ndarray, ...]:
    """Two uniform draws per respondent that are evenly spread within every (group, age band).

    Respondents are put in (group, band) order, ties broken at random afresh for each question,
    and given golden-ratio and sqrt(2) Kronecker sequences along that order: each group's share of
    positive answers then tracks its planted probability closely (the sample's composition still
    varies), so the planted gaps show in every file rather than wherever sampling noise takes them.
    """
    order = np.lexsort((rng.random(group.size), band, group))
    rank = np.empty(group.size, dtype=np.int64)
    rank[order] = np.arange(group.size)
    return (rng.random() + rank * _GOLDEN) % 1.0, (rng.random() + rank * _SQRT2) % 1.0


def _pick(rng: np.random.Generator, options: tuple[tuple[str, float], ...], n: int) -> np.ndarray:
    names = np.array([o[0] for o in options], dtype=object)
    p = np.array([o[1] for o in options])
    return names[rng.choice(len(options), size=n, p=p / p.sum())]


def _split(labels: tuple[str, ...], split: tuple[float, ...], u: np.ndarray) -> np.ndarray:
    cum = np.cumsum(split) / np.sum(split)
    idx = np.minimum(np.searchsorted(cum, u, side="right"), len(labels) - 1)
    return np.array(labels, dtype=object)[idx]


# --- weights --------------------------------------------------------------------------------


def rake(frame: pd.DataFrame, authority: Authority, year: int) -> np.ndarray:
    """Weights (mean 1) raking respondents to the 16+ population by age band x sex and weighting group.

    A margin cell with no respondents is dropped and the other cells' targets renormalised; the
    'Prefer not to say' cell's target is its own sample count."""
    n = len(frame)
    pop = adults_by_band(authority, year)  # (group, sex, band)
    sex_idx = frame["sex"].map({s: i for i, s in enumerate(SEXES)}).to_numpy()
    age_sex = frame["band_idx"].to_numpy() * 2 + sex_idx
    age_sex_target = pop.sum(axis=0).T.ravel().astype(np.float64)  # band-major, sex-minor

    wg_of_code = np.array([_WEIGHT_GROUPS.index(WEIGHTING_GROUP[c]) for c in CENSUS_CODES])
    known = frame["census_code"].notna().to_numpy()
    eth = np.where(known, wg_of_code[frame["group_idx"].to_numpy()], len(_WEIGHT_GROUPS))
    eth_pop = np.bincount(wg_of_code, weights=pop.sum(axis=(1, 2)), minlength=len(_WEIGHT_GROUPS))
    eth_target = np.r_[eth_pop.astype(np.float64), 0.0]

    margins = []
    for cells, target in ((age_sex, age_sex_target), (eth, eth_target)):
        present = np.bincount(cells, minlength=target.size) > 0
        target = np.where(present, target, 0.0)
        margins.append((cells, target))
    n_declined = float((~known).sum())
    cells, target = margins[1]
    target = target / target[:-1].sum() * (n - n_declined)
    target[-1] = n_declined
    margins[1] = (cells, target)
    margins[0] = (margins[0][0], margins[0][1] / margins[0][1].sum() * n)

    w = np.ones(n)
    for _ in range(200):
        for cells, target in margins:
            totals = np.bincount(cells, weights=w, minlength=target.size)
            w = w * np.divide(target, totals, out=np.ones_like(target), where=totals > 0)[cells]
        worst = max(np.abs(np.bincount(c, weights=w, minlength=t.size) - t).max() / n for c, t in margins)
        if worst < 1e-12:
            break
    return w


# --- expected statistics --------------------------------------------------------------------


def estimates(frame: pd.DataFrame, weight: np.ndarray, include: np.ndarray) -> list[dict]:
    """Unweighted and weighted % positive per question, for everyone and per Census 2021 code.

    Sums use bincount over the kept rows in file order, so they are reproducible to the last bit."""
    known = frame["census_code"].notna().to_numpy()
    slot = np.where(known, frame["group_idx"].to_numpy(), len(CENSUS_CODES))[include]  # last = declined
    w = weight[include]
    k = len(CENSUS_CODES) + 1
    out: list[dict] = []
    for q in QUESTIONS:
        answer = frame[q.name].to_numpy()[include]
        base = answer != ""
        positive = np.isin(answer, q.positive)
        n = np.bincount(slot[base], minlength=k)
        n_pos = np.bincount(slot[positive], minlength=k)
        w_base = np.bincount(slot[base], weights=w[base], minlength=k)
        w_pos = np.bincount(slot[positive], weights=w[positive], minlength=k)
        groups = [("all", "all", slice(None))] + [
            ("census_code", c, i) for i, c in enumerate(CENSUS_CODES) if n[i] > 0
        ]
        for level, group, at in groups:
            count, yes = int(n[at].sum()), int(n_pos[at].sum())
            wb, wy = float(np.sum(w_base[at])), float(np.sum(w_pos[at]))
            out.append(
                {
                    "question": q.name,
                    "level": level,
                    "group": group,
                    "n": count,
                    "n_positive": yes,
                    "pct_unweighted": rounded(yes / count * 100) if count else None,
                    "weighted_base": rounded(wb),
                    "weighted_positive": rounded(wy),
                    "pct_weighted": rounded(wy / wb * 100) if wb > 0 else None,
                }
            )
    return out
