"""Configuration of the education demo domain: the pupil population and the planted truths.

Everything a test or a demo might want to change is a field of a frozen dataclass here, and all
of it is written to ``ground_truth.json``. Groups are Census 2021 codes (the resident population's
groups); KS4 also plants three DfE extended codes inside Black African (see ``KS4Planted``).

"Stated exactly" means: in every authority and year, over the pupils actually generated whose
ethnicity the school recorded, the EXPECTED crude statistic of the group (mean of the per-pupil
expected values) stands in exactly the stated relation to White British. The module solves one
constant per group to make it so (``education_model.calibrate_*``); FSM, SEN, sex and the
intersection act inside every group the same way, so they never disturb the stated relation.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

EXTENDED_KS4 = ("BSOM", "BNGN", "BGHA")  # DfE extended codes planted separately inside BAFR


def interp_anchors(anchors: tuple[tuple[int, float], ...], year: int) -> float:
    """Linear between (year, value) anchors, flat outside them."""
    years, values = zip(*anchors, strict=True)
    return float(np.interp(year, years, values))


_FSM_SHARE: dict[str, float] = {
    "WBRI": 0.22, "WIRI": 0.15, "WGYP": 0.55, "WROM": 0.45, "WOTH": 0.20, "MWBC": 0.42,
    "MWBA": 0.30, "MWAS": 0.20, "MOTH": 0.28, "ABAN": 0.32, "ACHN": 0.08, "AIND": 0.10,
    "APKN": 0.33, "AOTH": 0.20, "BAFR": 0.33, "BCRB": 0.42, "BOTH": 0.38, "OARA": 0.45,
    "OOTH": 0.35,
}  # fmt: skip


_EAL_SHARE: dict[str, float] = {
    "WBRI": 0.01, "WIRI": 0.05, "WGYP": 0.05, "WROM": 0.90, "WOTH": 0.80, "MWBC": 0.03,
    "MWBA": 0.20, "MWAS": 0.15, "MOTH": 0.30, "ABAN": 0.90, "ACHN": 0.70, "AIND": 0.70,
    "APKN": 0.80, "AOTH": 0.80, "BAFR": 0.60, "BCRB": 0.05, "BOTH": 0.30, "OARA": 0.90,
    "OOTH": 0.80,
}  # fmt: skip


_RATIO: dict[str, float] = {
    "WBRI": 1.0, "WIRI": 1.0, "WGYP": 3.5, "WROM": 3.5, "WOTH": 0.6, "MWBC": 2.5,
    "MWBA": 1.3, "MWAS": 0.9, "MOTH": 1.2, "ABAN": 0.45, "ACHN": 0.15, "AIND": 1.0,
    "APKN": 0.6, "AOTH": 0.4, "BAFR": 0.7, "BCRB": 2.5, "BOTH": 1.3, "OARA": 0.5,
    "OOTH": 0.6,
}  # fmt: skip


_GAP_PP: dict[str, float] = {
    "WGYP": -30.0, "WROM": -28.0, "APKN": -6.0, "ABAN": -3.0, "BAFR": -4.0, "BCRB": -3.0,
    "OOTH": -6.0, "WOTH": -5.0, "ACHN": 2.0, "MWBC": -2.0, "AIND": 0.0,
}  # fmt: skip


_GAP: dict[str, float] = {
    "BSOM": -9.0, "BNGN": 6.0, "BGHA": 3.0, "BAFR": 0.0, "BCRB": -6.0, "MWBC": -5.0,
    "WGYP": -22.0, "WROM": -20.0, "AIND": 12.0, "ACHN": 17.0, "ABAN": 4.0, "APKN": 1.0,
    "AOTH": 8.0, "WOTH": 0.0, "WIRI": 3.0, "MWBA": 2.0, "MWAS": 5.0, "MOTH": 1.0,
    "BOTH": -2.0, "OARA": 3.0, "OOTH": 2.0,
}  # fmt: skip


@dataclass(frozen=True)
class PupilPopulation:
    """Who is on roll: realistic proportions with no planted effect on outcomes."""

    roll_share_london: float = 0.80  # residents aged 4-15 on a state-funded school roll
    roll_share_elsewhere: float = 0.87
    mobility_london: float = 0.03  # share of a year group leaving (and replaced) each year
    mobility_elsewhere: float = 0.02
    refused_share: float = 0.012  # REFU
    not_obtained_share: float = 0.008  # NOBT
    extended_recording_london: float = 0.8  # share of schools recording DfE extended codes
    extended_recording_elsewhere: float = 0.45
    primary_size: int = 420
    secondary_size: int = 1000
    school_segregation_sd: float = 0.6  # log-sd of each school's pull on each group
    # FSM eligibility in 2025 outside London, per Census group; x london factor and year factor.
    fsm_share: dict[str, float] = field(default_factory=lambda: dict(_FSM_SHARE))
    fsm_london_factor: float = 1.1
    fsm_year_factor: tuple[tuple[int, float], ...] = ((2022, 0.88), (2023, 0.93), (2024, 0.97), (2025, 1.0))
    # SEN support (K) and EHC plan (E) prevalence by grade R..11, averaged over sexes, in 2025.
    sen_support: tuple[float, ...] = (0.07, 0.10, 0.12, 0.14, 0.15, 0.16, 0.16, 0.13, 0.12, 0.12, 0.11, 0.11)
    ehc_plan: tuple[float, ...] = (0.02, 0.025, 0.03, 0.035, 0.04, 0.045, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05)
    sen_male_factor: float = 1.45  # boys x1.45, girls x0.55
    sen_support_growth: float = 0.02  # per year, relative to 2025
    ehc_growth: float = 0.06
    eal_share: dict[str, float] = field(default_factory=lambda: dict(_EAL_SHARE))


@dataclass(frozen=True)
class ExclusionPlanted:
    """Suspensions and permanent exclusions.

    Expected events of pupil i: ``k_g * base[grade] * year_factor * fsm_rr^FSM * sen_rr * male_rr^male
    * intersection * school_factor``; ``k_g`` is solved so that the group's expected suspensions
    per pupil are exactly ``ratio(g, year)`` times White British's (same for permanent exclusions,
    solved separately). Each group's suspension total is Poisson (mean: the sum of its pupils' expected
    suspensions), shared out in proportion to expected suspensions x a gamma frailty (mean 1,
    ``frailty_shape``), so a few pupils account for most suspensions; permanent exclusion is
    Bernoulli.
    """

    reference_group: str = "WBRI"
    ratio: dict[str, float] = field(default_factory=lambda: dict(_RATIO))
    # Groups whose ratio moves over the years: (year, ratio) anchors, overriding ``ratio``.
    trend: dict[str, tuple[tuple[int, float], ...]] = field(
        default_factory=lambda: {"BCRB": ((2022, 2.8), (2025, 2.2))}
    )
    null_effect_groups: tuple[str, ...] = ("AIND",)
    # Expected suspensions per year of a reference pupil (girl, no FSM, no SEN) by grade R..11.
    base: tuple[float, ...] = (
        0.001, 0.002, 0.003, 0.004, 0.005, 0.006, 0.007, 0.060, 0.075, 0.080, 0.075, 0.055,
    )  # fmt: skip
    permanent_base: tuple[float, ...] = (
        0.00002, 0.00003, 0.00004, 0.00005, 0.00006, 0.00008, 0.0001,
        0.0006, 0.0008, 0.0009, 0.0008, 0.0004,
    )  # fmt: skip
    year_factor: tuple[tuple[int, float], ...] = ((2022, 0.70), (2023, 0.88), (2024, 1.0), (2025, 1.05))
    fsm_rr: float = 3.5
    sen_support_rr: float = 3.0
    ehc_rr: float = 2.5
    male_rr: float = 2.3
    # Black Caribbean boys eligible for FSM: x1.5 on top of their group, sex and FSM effects.
    intersection_group: str = "BCRB"
    intersection_sex: str = "Male"
    intersection_factor: float = 1.5
    school_sd: float = 0.35  # log-sd of the school factor (mean 1)
    frailty_shape: float = 0.05

    def ratio_in(self, group: str, year: int) -> float:
        if group in self.trend:
            return interp_anchors(self.trend[group], year)
        return float(self.ratio.get(group, 1.0))


@dataclass(frozen=True)
class GLDPlanted:
    """Good level of development (EYFSP, Reception): logistic in the pupil's characteristics.

    ``gap_pp[g]`` is the group's expected GLD percentage minus White British's, exactly (solved
    per group); groups not listed have gap 0."""

    reference_group: str = "WBRI"
    intercept: float = 1.55  # log-odds of a girl, no FSM, no SEN, no EAL, born mid-year, in 2025
    year_shift: tuple[tuple[int, float], ...] = ((2022, -0.12), (2025, 0.0))
    male: float = -0.65
    fsm: float = -0.75
    sen_support: float = -2.0
    ehc: float = -4.0
    eal: float = -0.35
    birth_position: float = -1.0  # per year of relative age: summer-born (position 1) lower
    gap_pp: dict[str, float] = field(default_factory=lambda: dict(_GAP_PP))
    null_effect_groups: tuple[str, ...] = ("AIND",)


@dataclass(frozen=True)
class KS4Planted:
    """Attainment 8 (0-90): clip(latent, 0, 90) with latent ~ Normal(linear predictor, noise_sd).

    ``gap[c]`` is the class's expected Attainment 8 mean minus White British's, exactly. Classes are
    Census groups, except that Black African pupils whose DfE code is BSOM, BNGN or BGHA form their
    own classes (keyed by that code; "BAFR" then means the other Black African pupils). English and
    maths grade 5+ is ``A8 + Normal(0, em5_sd) >= em5_threshold``."""

    reference_group: str = "WBRI"
    intercept: float = 51.0  # latent mean of a girl, no FSM, no SEN, no EAL, in 2025
    year_shift: tuple[tuple[int, float], ...] = ((2022, 2.5), (2023, 0.3), (2024, 0.0), (2025, 0.0))
    male: float = -4.5
    fsm: float = -13.0
    sen_support: float = -16.0
    ehc: float = -30.0
    eal: float = 1.5
    noise_sd: float = 15.0
    gap: dict[str, float] = field(default_factory=lambda: dict(_GAP))
    null_effect_groups: tuple[str, ...] = ("WOTH",)
    em5_threshold: float = 48.0
    em5_sd: float = 6.0


@dataclass(frozen=True)
class EducationConfig:
    population: PupilPopulation = field(default_factory=PupilPopulation)
    exclusions: ExclusionPlanted = field(default_factory=ExclusionPlanted)
    gld: GLDPlanted = field(default_factory=GLDPlanted)
    ks4: KS4Planted = field(default_factory=KS4Planted)

    def as_dict(self) -> dict:
        """JSON-ready (tuples of anchors become {year: value})."""

        def fix(value):
            if isinstance(value, dict):
                return {str(k): fix(v) for k, v in value.items()}
            if isinstance(value, tuple | list):
                if value and all(isinstance(v, tuple | list) and len(v) == 2 for v in value):
                    return {str(k): v for k, v in value}
                return [fix(v) for v in value]
            return value

        return fix(asdict(self))
