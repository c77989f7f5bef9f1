"""Expected and realised statistics for the ground truth, from the rows actually generated.

Groups are what a mart sees in the files: the ethnicity code the census row holds (its DfE main
code, and the Census 2021 code that maps from it), FSM, SEN and sex from the same census row.
Outcome rows join to the census row of the same academic year by UPN. Only rows that count are
used: in dirty mode a pupil whose census row is faulty (or whose census file lacks a required
column) drops out of every statistic, and a faulty outcome row drops out of its own.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from observatory.demo.authorities import CENSUS_CODES
from observatory.demo.education_config import EXTENDED_KS4, EducationConfig
from observatory.demo.population import dfe_codes
from observatory.demo.truth import rounded

SEN_LABELS = ("N", "K", "E")


def _census_of_recorded(pupils: pd.DataFrame) -> np.ndarray:
    """Census code from the recorded code: the main code's, except that extended codes which sit
    in a different Census group than their main code (WROG Gypsy, OARA Arab) keep their own."""
    codes = dfe_codes().set_index("dfe_code")["census_code"]
    by_code = pd.Series(pupils["recorded"].to_numpy(), dtype=object).map(codes).fillna("")
    unknown = ~pupils["known"].to_numpy()
    return np.where(unknown, "Unknown", by_code.to_numpy(dtype=object))


def characteristics(pupils: pd.DataFrame) -> pd.DataFrame:
    """The grouping columns a mart derives from each census row."""
    return pd.DataFrame(
        {
            "total": "All",
            "dfe_main": pupils["recorded_main"].to_numpy(),
            "census_code": _census_of_recorded(pupils),
            "fsm": np.where(pupils["fsm"], "FSM", "Not FSM"),
            "sen": np.array(SEN_LABELS)[pupils["sen"].to_numpy()],
            "sex": np.where(pupils["male"], "Male", "Female"),
        },
        index=pupils.index,
    )


def _records(key: dict, chars: pd.DataFrame, values: pd.DataFrame, levels: list[str]) -> list[dict]:
    """Sums of ``values`` columns (plus a pupils count) per group of each level, as records."""
    out = []
    for level in levels:
        sums = values.groupby(chars[level].to_numpy(), sort=True).sum()
        for group, row in sums.iterrows():
            out.append({**key, "level": level, "group": str(group), **_clean(row.to_dict())})
    return out


def _clean(d: dict) -> dict:
    return {k: (int(v) if k in _INTEGER else rounded(v)) for k, v in d.items()}


_INTEGER = {
    "pupils", "suspensions", "pupils_with_suspension", "permanent_exclusions", "gld", "em_grade5",
}  # fmt: skip
BASE_LEVELS = ["total", "dfe_main", "census_code", "fsm", "sen", "sex"]


def exclusion_stats(
    key: dict, pupils: pd.DataFrame, expect: pd.DataFrame, events: pd.DataFrame,
    census_in: np.ndarray, event_in: np.ndarray, cfg: EducationConfig,
) -> list[dict]:  # fmt: skip
    """Suspension and permanent exclusion counts per group, expected and realised, with the rate
    ratio to White British of the expected rates (the planted ratio in clean mode)."""
    kept = events[event_in & census_in[events["pupil"].to_numpy()]]
    susp = kept[kept["category"] == 0].groupby("pupil").size()
    perm = kept[kept["category"] == 1].groupby("pupil").size()
    values = pd.DataFrame(
        {
            "pupils": 1,
            "suspensions": susp.reindex(pupils.index, fill_value=0).to_numpy(),
            "pupils_with_suspension": (susp.reindex(pupils.index, fill_value=0) > 0).to_numpy(dtype=int),
            "permanent_exclusions": perm.reindex(pupils.index, fill_value=0).to_numpy(),
            "expected_suspensions": expect["lam"].to_numpy(),
            "expected_permanent_exclusions": expect["p_perm"].to_numpy(),
        },
        index=pupils.index,
    )[census_in]
    chars = characteristics(pupils)[census_in]
    planted = cfg.exclusions
    inter = chars["census_code"].isin([planted.intersection_group, planted.reference_group])
    chars["intersection"] = np.where(
        inter, chars["census_code"] + "|" + chars["sex"] + "|" + chars["fsm"], "other"
    )
    records = _records(key, chars, values, [*BASE_LEVELS, "intersection"])
    records = [r for r in records if not (r["level"] == "intersection" and r["group"] == "other")]
    _add_ratios(records, planted.reference_group, ("suspensions", "permanent_exclusions"))
    year = key["year"]
    for r in records:
        if r["level"] == "census_code" and r["group"] in CENSUS_CODES:
            r["planted_suspension_ratio"] = rounded(planted.ratio_in(r["group"], year))
    return records


def _add_ratios(records: list[dict], reference: str, measures: tuple[str, ...]) -> None:
    """expected_<measure>_rate_ratio for the ethnicity levels, vs the reference group's rate."""
    for level, ref in (("dfe_main", reference), ("census_code", reference)):
        rows = {r["group"]: r for r in records if r["level"] == level}
        base = rows.get(ref)
        for r in rows.values():
            for m in measures:
                e = f"expected_{m}"
                ok = base and base["pupils"] and base[e] and r["pupils"]
                r[f"{e}_rate_ratio"] = (
                    rounded((r[e] / r["pupils"]) / (base[e] / base["pupils"])) if ok else None
                )


def gld_stats(
    key: dict, pupils: pd.DataFrame, eyfsp: pd.DataFrame, census_in: np.ndarray, row_in: np.ndarray
) -> list[dict]:
    """Pupils assessed, GLD achieved (realised) and expected, per group."""
    keep = row_in & census_in[eyfsp["pupil"].to_numpy()]
    rows = eyfsp[keep]
    values = pd.DataFrame(
        {"pupils": 1, "gld": rows["gld"].to_numpy(dtype=int), "expected_gld": rows["p_gld"].to_numpy()},
        index=rows["pupil"].to_numpy(),
    )
    chars = characteristics(pupils).loc[values.index]
    records = _records(key, chars, values, BASE_LEVELS)
    ref = {r["level"]: r for r in records if r["group"] == "WBRI"}
    for r in records:
        base = ref.get(r["level"])
        r["gld_pct"] = rounded(100 * r["gld"] / r["pupils"])
        r["expected_gld_pct"] = rounded(100 * r["expected_gld"] / r["pupils"])
        if base and r["level"] in ("dfe_main", "census_code"):
            gap = r["expected_gld"] / r["pupils"] - base["expected_gld"] / base["pupils"]
            r["expected_gap_pp"] = rounded(100 * gap)
    return records


def ks4_stats(
    key: dict, pupils: pd.DataFrame, ks4: pd.DataFrame, census_in: np.ndarray, row_in: np.ndarray
) -> list[dict]:
    """Attainment 8 sums and means (realised, as written, and expected) and EM grade 5+ counts."""
    keep = row_in & census_in[ks4["pupil"].to_numpy()]
    rows = ks4[keep]
    values = pd.DataFrame(
        {
            "pupils": 1,
            "attainment8_sum": rows["attainment8"].to_numpy(),
            "expected_attainment8_sum": rows["expected_a8"].to_numpy(),
            "em_grade5": rows["em_grade5"].to_numpy(dtype=int),
            "expected_em_grade5": rows["p_em5"].to_numpy(),
        },
        index=rows["pupil"].to_numpy(),
    )
    chars = characteristics(pupils).loc[values.index]
    recorded = pupils.loc[values.index, "recorded"].to_numpy(dtype=object)
    chars["dfe_extended"] = np.where(np.isin(recorded, EXTENDED_KS4), recorded, "other")
    records = _records(key, chars, values, [*BASE_LEVELS, "dfe_extended"])
    records = [r for r in records if not (r["level"] == "dfe_extended" and r["group"] == "other")]
    wbri = next((r for r in records if r["level"] == "dfe_main" and r["group"] == "WBRI"), None)
    for r in records:
        r["attainment8_mean"] = rounded(r["attainment8_sum"] / r["pupils"])
        r["expected_attainment8_mean"] = rounded(r["expected_attainment8_sum"] / r["pupils"])
        if wbri and r["level"] in ("dfe_main", "census_code", "dfe_extended"):
            ref_mean = wbri["expected_attainment8_sum"] / wbri["pupils"]
            r["expected_gap_to_wbri"] = rounded(r["expected_attainment8_sum"] / r["pupils"] - ref_mean)
    return records


def census_counts(
    key: dict, pupils: pd.DataFrame, census_in: np.ndarray, previous: np.ndarray | None
) -> dict:
    """Headcounts of the census file: all rows written, rows that count, and by characteristic."""
    kept = pupils[census_in]
    chars = characteristics(kept)

    def counts(column: pd.Series) -> dict:
        return {str(k): int(v) for k, v in column.value_counts().sort_index().items()}

    return {
        **key,
        "pupils": len(pupils),
        "stats_pupils": len(kept),
        "dfe_code": counts(kept["recorded"]),
        "dfe_main": counts(chars["dfe_main"]),
        "census_code": counts(chars["census_code"]),
        "fsm": int(kept["fsm"].sum()),
        "sen": counts(chars["sen"]),
        "sex": counts(chars["sex"]),
        "nc_year": counts(kept["grade"]),
        "on_roll_previous_year": None if previous is None else int(pupils["upn"].isin(previous).sum()),
    }
