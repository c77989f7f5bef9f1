"""Resident survey (source ``resident_survey``): respondent-level files from a council's research supplier.

One file per authority per survey year, as the market-research supplier delivers its annual
residents' survey: a respondent-level data file exported from SPSS (CSV with value labels) or an
XLSX data table, with demographics, Likert answers as text labels and a weight. Three fictional
suppliers write three layouts (column names, label spellings, encoding, normalised or grossed
weights); a council that re-tenders its survey changes supplier in 2024/25, so the latest file of
an authority has another layout than its earlier ones (see docs/demo/survey.md).

Respondents are drawn from ``population.residents`` (aged 16+), so the survey describes the same
people the denominators do. Response is uneven, as in every real survey: young people, men and
most minority groups respond less, older White British residents more (``SurveyDesign``). Each
file's ``weight`` rakes the respondents back to the authority's 16+ population on two margins,
age band x sex and ethnic group (collapsed weighting groups; "Prefer not to say" keeps its own
sample share), so unweighted percentages are biased and weighted ones are not.

Planted truths (``SurveyPlanted``, configurable, written to ground_truth.json):

* Each question's answer is positive (top-2 box, e.g. "A great deal" or "A fair amount" of
  trust) with probability ``(1 - dont_know) * logistic(alpha[g, year] + age_logit[band])``.
  ``alpha`` is solved so that the POPULATION percentage of group g (over its own 16+ age mix,
  "Don't know" in the denominator) equals the target: the reference group's anchors
  (``reference_pct``, interpolated by year) plus the group's offset in percentage points.
* Trust in the council: 64% of White British residents in 2022 falling to 55% in 2025 (a trend
  of -3 points a year); Black Caribbean residents 25 points lower and Black African residents 18
  points lower (e.g. 39% and 46% in 2022); Indian residents exactly as White British (a null
  effect). Older residents trust more (age_logit), and they over-respond, as do White British
  residents, so the unweighted overall percentage overstates trust by several points: the
  difference is written per file (``weighting_effect``) so a mart that ignores the weights fails.
* Treated fairly by council services: Black Caribbean -15 and Black African -12 points, flat
  over years. Satisfaction with the area (falling), belonging (lower for White Other residents)
  and worry about crime (no ethnic effect) complete the questionnaire.
* Sex and ward carry no planted effect.

The ground truth holds, per authority x year x question x group (``all`` and each Census 2021
code), the exact unweighted and weighted counts and percentages computed from the rows and the
weights as written, next to the planted population percentage.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from observatory.demo.authorities import CENSUS_CODES, Authority
from observatory.demo.context import DemoContext
from observatory.demo.survey_format import SOURCE, SUPPLIERS, WARD_NAMES, Supplier, supplier_for, write_file
from observatory.demo.survey_model import (
    AGE_BANDS,
    QUESTIONS,
    SurveyConfig,
    SurveyPlanted,
    adults_by_band,
    estimates,
    intercepts,
    population_pct,
    rake,
    simulate,
)
from observatory.demo.truth import rounded

__all__ = ["AGE_BANDS", "DOMAIN", "QUESTIONS", "SOURCES", "SurveyConfig", "adults_by_band", "write"]

DOMAIN = "survey"
SOURCES = (SOURCE,)
CONTRACT = "sources/resident_survey.yml"  # the next issue writes it; survey_format.column_aliases drafts it

DEFINITIONS = {
    "positive": (
        "a question's top-2 box: trust_council 'A great deal' or 'A fair amount'; treated_fairly "
        "'Strongly agree' or 'Tend to agree'; satisfaction_area 'Very satisfied' or 'Fairly "
        "satisfied'; belonging 'Very strongly' or 'Fairly strongly'; worry_crime 'Very worried' or "
        "'Fairly worried'"
    ),
    "base": "respondents with a non-blank answer to the question ('Don't know' is in the base)",
    "pct_unweighted": "n_positive / n * 100",
    "pct_weighted": (
        "sum of weight over positive answers / sum of weight over the base * 100, weights as written"
    ),
    "groups": (
        "level 'all': every respondent (including 'Prefer not to say'); level 'census_code': "
        "respondents whose ethnicity label maps to that Census 2021 code"
    ),
    "weight": (
        "raked (iterative proportional fitting) to the authority's residents aged 16+ by age band x "
        "sex and by weighting group (WEIGHTING_GROUP; 'Prefer not to say' keeps its sample share); "
        "suppliers 0 and 1 scale weights to mean 1, supplier 2 grosses them to the 16+ population"
    ),
    "population_pct": "the planted model's expected percentage over the group's residents aged 16+",
    "rejected_files": (
        "a file listed with a 'missing_required_column' fault is rejected whole by ingest: it has "
        "no estimates and no weighting_effect"
    ),
}


def _ward_list(rng: np.random.Generator, authority: Authority) -> tuple[np.ndarray, np.ndarray]:
    """The authority's fictional wards and each one's share of residents (fixed across years)."""
    k = int(rng.integers(16, 23))
    names = [WARD_NAMES[i] for i in np.sort(rng.choice(len(WARD_NAMES), size=k, replace=False))]
    names[0] = f"{authority.short_name} Central"
    share = rng.dirichlet(np.full(k, 30.0))
    return np.array(names, dtype=object), share


def write(inbox: Path, ctx: DemoContext, config: SurveyConfig | None = None) -> dict[str, dict]:
    """The domain entry point: resident survey files into ``inbox/resident_survey/``."""
    return {SOURCE: write_survey(inbox / SOURCE, ctx, config)}


def write_survey(inbox_dir: Path, ctx: DemoContext, config: SurveyConfig | None = None) -> dict:
    """Write every authority's survey years into ``inbox_dir``; return this source's ground truth."""
    cfg = config or SurveyConfig()
    inbox_dir.mkdir(parents=True, exist_ok=True)
    for old in inbox_dir.glob(f"{SOURCE}_X09*_synthetic.*"):
        old.unlink()  # only this generator's own files

    files, faults, estimates_out, weighting, samples = [], [], [], [], []
    for authority in ctx.authorities:
        wards = _ward_list(ctx.rng(SOURCE, authority.index), authority)
        for year in ctx.years:
            alphas = intercepts(cfg.planted, authority, year)
            rng = ctx.rng(SOURCE, authority.index, year)
            frame = simulate(rng, authority, year, cfg, wards, alphas)
            supplier = SUPPLIERS[supplier_for(authority, year)]
            weight = rake(frame, authority, year) * _weight_scale(supplier, authority, year, len(frame))
            weight_written = np.round(weight, supplier.weight_places)
            # Dirty mode: one file of the run (the first authority's first year) lacks its weights.
            first_file = authority == ctx.authorities[0] and year == ctx.years[0]
            drop = "weight" if (ctx.dirty is not None and first_file) else None
            record, fault_records, include = write_file(
                inbox_dir, authority, year, frame, weight_written, ctx, drop
            )
            files.append(record)
            faults.extend(fault_records)
            key = {"authority_code": authority.code, "year": year, "file": record["file"]}
            samples.append({**key, **_sample_summary(frame, weight, authority, year)})
            if record["rejected"]:
                continue
            est = estimates(frame, weight_written, include)
            targets = _targets(cfg.planted, authority, year, alphas)
            for e in est:
                e["population_pct"] = targets[e["question"]][e["group"]]
            estimates_out.extend({**key, **e} for e in est)
            headline = next(
                e for e in est if e["question"] == cfg.planted.headline_question and e["level"] == "all"
            )
            weighting.append(
                {
                    **key,
                    "question": headline["question"],
                    "pct_unweighted": headline["pct_unweighted"],
                    "pct_weighted": headline["pct_weighted"],
                    "population_pct": headline["population_pct"],
                    "unweighted_minus_weighted_pp": rounded(
                        headline["pct_unweighted"] - headline["pct_weighted"]
                    ),
                }
            )
        ctx.advance(DOMAIN)

    return {
        "contract": CONTRACT,
        "folder": SOURCE,
        "definitions": DEFINITIONS,
        "planted": _planted_truth(cfg.planted),
        "questions": {
            q.name: {
                "wording": q.wording,
                "positive": list(q.positive),
                "other": list(q.other),
                "dont_know": q.dont_know,
            }
            for q in QUESTIONS
        },
        "files": files,
        "samples": samples,
        "estimates": estimates_out,
        "weighting_effect": weighting,
        "faults": faults,
    }


def _weight_scale(supplier: Supplier, authority: Authority, year: int, n: int) -> float:
    if supplier.weight_scale == "grossed":
        return float(adults_by_band(authority, year).sum()) / n
    return 1.0


def _targets(
    planted: SurveyPlanted, authority: Authority, year: int, alphas: dict[str, np.ndarray]
) -> dict[str, dict[str, float]]:
    """The planted population % per question and group ('all' = everyone aged 16+)."""
    band_pop = adults_by_band(authority, year).sum(axis=1)
    out = {}
    for q in QUESTIONS:
        pct = population_pct(planted.effects[q.name], band_pop, alphas[q.name])
        out[q.name] = {c: rounded(v) for c, v in zip((*CENSUS_CODES, "all"), pct, strict=True)}
    return out


def _sample_summary(frame: pd.DataFrame, weight: np.ndarray, authority: Authority, year: int) -> dict:
    """Who responded against who lives there: the skew the weights correct."""
    pop = adults_by_band(authority, year)
    old = frame["band_idx"] >= 5
    wbri = frame["census_code"] == "WBRI"
    return {
        "respondents": len(frame),
        "population_16_plus": int(pop.sum()),
        "prefer_not_to_say": int(frame["census_code"].isna().sum()),
        "share_65_plus_sample_pct": rounded(old.mean() * 100),
        "share_65_plus_population_pct": rounded(pop[:, :, 5:].sum() / pop.sum() * 100),
        "share_white_british_sample_pct": rounded(wbri.mean() * 100),
        "share_white_british_population_pct": rounded(
            pop[CENSUS_CODES.index("WBRI")].sum() / pop.sum() * 100
        ),
        "weight_min": rounded(weight.min()),
        "weight_max": rounded(weight.max()),
        "design_effect_kish": rounded(len(weight) * (weight**2).sum() / weight.sum() ** 2),
    }


def _planted_truth(planted: SurveyPlanted) -> dict:
    effects = {
        name: {
            "reference_pct_anchors": {str(y): p for y, p in e.reference_pct},
            "group_offset_pp": dict(sorted(e.group_offset_pp.items())),
            "age_logit": dict(zip([b[0] for b in AGE_BANDS], e.age_logit, strict=True)),
            "dont_know": e.dont_know,
        }
        for name, e in planted.effects.items()
    }
    return {
        "mechanism": (
            "P(positive) = (1 - dont_know) * logistic(alpha[group, year] + age_logit[band]); alpha "
            "solved so the group's population % (over its residents 16+) equals reference_pct(year) "
            "+ group_offset_pp; answers drawn independently per question"
        ),
        "reference_group": planted.reference_group,
        "effects": effects,
        "headline": {
            "question": planted.headline_question,
            "groups": list(planted.headline_groups),
            "finding": "trust in the council is lower among Black Caribbean and Black African residents",
        },
        "null_effect": {
            "groups": list(planted.null_effect_groups),
            "mechanism": "offset 0: the same population % as the reference group for every question",
        },
        "trend": (
            "trust_council reference falls 64% (2022) to 55% (2025); satisfaction_area falls; "
            "worry_crime rises"
        ),
        "weighting": (
            "response propensity by age band, sex and group (older White British residents over-respond); "
            "weighting_effect gives the unweighted minus weighted trust % per file"
        ),
        "sex": "no planted effect",
        "ward": "no planted effect",
        "expected_values": "estimates (exact, per authority, year, question and group)",
    }
