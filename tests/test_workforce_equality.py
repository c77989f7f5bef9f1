"""Workforce equality tables on the demo borough recover the planted truths (issue 6, part B).

publish.workforce_relative_likelihood must count exactly what the generator counted (a, n1, c, n0 of
every comparison in ground_truth.json, in either orientation), hold the planted relative likelihoods
inside its Katz intervals in at least 90% of cells, and call the measures without a planted effect
Similar to parity in most cells. publish.workforce_representation shares add to 100 within a grade
band, and publish.workforce_declaration matches the payroll truth and a pandas recomputation.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

SOURCES = ("hr_recruitment", "hr_casework", "hr_leavers", "hr_training")
# Measures with no planted effect (docs/demo/hr_people.md, "Planted truths").
NULL_MEASURES = (
    "shortlisted_from_application", "entering_grievance", "entering_capability",
    "entering_bullying_and_harassment", "accessing_non_mandatory_training", "promotion", "acting_up",
)  # fmt: skip


def _read(demo_run, table: str) -> pd.DataFrame:
    with duckdb.connect(str(demo_run["paths"].snapshot), read_only=True) as con:
        return con.execute(f"select * from publish.{table}").df()


@pytest.fixture(scope="module")
def likelihoods(demo_run) -> pd.DataFrame:
    return _read(demo_run, "workforce_relative_likelihood")


@pytest.fixture(scope="module")
def representation(demo_run) -> pd.DataFrame:
    return _read(demo_run, "workforce_representation")


@pytest.fixture(scope="module")
def declaration(demo_run) -> pd.DataFrame:
    return _read(demo_run, "workforce_declaration")


def _ours(group: dict) -> tuple[str, str]:
    """The truth's (level, group) in the published vocabulary."""
    level, name = group["level"], group["group"]
    if level == "census_code":
        return "census2021", "White British" if name == "WBRI" else name
    if level == "major_group":
        return "major", name
    return "minority_binary", "White British" if name == "White British" else "Ethnic minorities"


def _matched(likelihoods: pd.DataFrame, truth: dict):
    """Each truth comparison with its published row and whether the orientation is swapped."""
    rows = likelihoods.set_index(
        ["authority_code", "financial_year", "measure", "reference_group", "ethnicity_group"]
    )
    for source in SOURCES:
        for comp in truth["sources"][source]["comparisons"]:
            num, den = _ours(comp["numerator_group"]), _ours(comp["denominator_group"])
            reference = "White British" if "White British" in (num[1], den[1]) else "White"
            group = den if num[1] == reference else num
            key = (comp["authority_code"], comp["financial_year"], comp["measure"], reference, group[1])
            row = rows.loc[key] if key in rows.index else None
            swapped = row is not None and row["numerator_group"] != num[1]
            yield comp, row, swapped


def test_counts_equal_the_truths_comparisons(demo_run, likelihoods):
    checked, missing = 0, []
    for comp, row, swapped in _matched(likelihoods, demo_run["truth"]):
        if row is None:
            missing.append((comp["measure"], comp["financial_year"]))
            continue
        expected = (
            (comp["c"], comp["n0"], comp["a"], comp["n1"])
            if swapped
            else (comp["a"], comp["n1"], comp["c"], comp["n0"])
        )
        published = tuple(row[["a", "n1", "c", "n0"]])
        for got, want in zip(published, expected, strict=True):
            if pd.isna(got):  # suppressed: a small count, or secondary suppression
                assert row["counts_symbol"] == "c", (comp, row.to_dict())
            else:
                assert got == want, (comp, row.to_dict())
        if comp["ratio"] is not None and row["counts_symbol"] != "c":
            ratio = 1 / comp["ratio"] if swapped else comp["ratio"]
            assert row["ratio"] == pytest.approx(ratio, abs=6e-4), comp
        checked += 1
    # Only leaving in the first year has no row: its opening payroll snapshot is not in the inbox.
    first_year = min(c["financial_year"] for c in demo_run["truth"]["sources"]["hr_leavers"]["comparisons"])
    assert set(missing) <= {("leaving", first_year)}, missing
    assert checked >= 80


def test_planted_likelihoods_lie_inside_the_published_intervals(demo_run, likelihoods):
    inside = []
    for comp, row, swapped in _matched(likelihoods, demo_run["truth"]):
        if row is None or comp["planted"] is None or pd.isna(row["ratio_lower_ci"]):
            continue
        planted = 1 / comp["planted"] if swapped else comp["planted"]
        inside.append(row["ratio_lower_ci"] <= planted <= row["ratio_upper_ci"])
    assert len(inside) >= 80
    coverage = sum(inside) / len(inside)
    print(f"planted relative likelihoods inside the 95% interval: {coverage:.1%} of {len(inside)}")
    assert coverage >= 0.9


def test_headline_disparities_are_significant(likelihoods):
    """WRES indicator 2 (appointment, planted 1.6 falling to 1.3) and Black staff entering
    disciplinary (planted 1.8) are published as significant, in the WRES orientation."""
    appointed = likelihoods[
        (likelihoods["measure"] == "appointed_from_shortlisting")
        & (likelihoods["ethnicity_group"] == "Ethnic minorities")
    ]
    assert len(appointed) == 5
    assert (appointed["numerator_group"] == "White British").all()
    assert appointed["is_significant"].all() and (appointed["ratio"] > 1).all()
    assert appointed["reading"].str.contains("times as likely as Ethnic minorities to be appointed").all()
    disciplinary = likelihoods[
        (likelihoods["measure"] == "entering_disciplinary")
        & (likelihoods["ethnicity_group"] == "Black")
        & (likelihoods["reference_group"] == "White British")
    ]
    assert len(disciplinary) == 5
    assert (disciplinary["numerator_group"] == "Black").all()
    assert (disciplinary["compared_with_parity"] == "Higher").sum() >= 4


def test_null_effect_measures_are_similar_in_most_cells(likelihoods):
    null = likelihoods[likelihoods["measure"].isin(NULL_MEASURES) & likelihoods["ratio"].notna()]
    assert len(null) >= 100
    similar = (null["compared_with_parity"] == "Similar").mean()
    print(f"null-effect measures Similar to parity: {similar:.1%} of {len(null)} cells")
    assert similar >= 0.9
    assert (null["is_significant"] == (null["compared_with_parity"] != "Similar")).all()


def test_readings_say_times_less_likely_below_one(likelihoods):
    below = likelihoods[likelihoods["ratio"] < 1].iloc[0]
    assert f"{1 / below['ratio']:.2f}"[:3] in below["reading"]
    assert "times less likely than" in below["reading"]


def test_suppressed_counts_withhold_the_ratio(likelihoods):
    suppressed = likelihoods[likelihoods["counts_symbol"] == "c"]
    assert suppressed[["ratio", "ratio_lower_ci", "ratio_upper_ci", "reading"]].isna().all().all()
    assert (suppressed["ratio_symbol"] == "c").all()
    for column in ("a", "n1", "c", "n0"):
        shown = likelihoods[column].dropna()
        assert not shown.between(1, 4).any(), column


def test_representation_shares_add_to_100_within_a_band(representation):
    for _, cells in representation.groupby(
        ["authority_code", "snapshot_date", "grade_band", "ethnicity_level"]
    ):
        if cells["headcount"].isna().any():
            continue  # suppressed cells: the rest cannot add up
        assert cells["headcount"].sum() == cells["band_known_headcount"].iloc[0]
        assert cells["share_pct"].sum() == pytest.approx(100, abs=0.05 * len(cells) + 1e-9)
    senior = representation[representation["is_senior"]]
    assert not senior.empty and senior["grade_band"].nunique() == 1
    assert representation["population_share_pct"].notna().all()


def test_whole_workforce_headcounts_equal_the_payroll_truth(demo_run, representation):
    whole = representation[
        (representation["grade_band"] == "All grades") & (representation["ethnicity_level"] == "census2021")
    ]
    for file in demo_run["truth"]["sources"]["hr_payroll"]["headcounts"]:
        cells = whole[whole["snapshot_date"].astype(str) == file["snapshot_date"]].set_index("ethnicity_code")
        counts = {
            code: n
            for code, n in file["ethnicity"].items()
            if code not in ("not_recorded", "prefer_not_to_say")
        }
        for code, n in counts.items():
            if n >= 5 and pd.notna(cells.loc[code, "headcount"]):
                assert cells.loc[code, "headcount"] == n, (file["snapshot_date"], code)
        assert cells["band_known_headcount"].iloc[0] == sum(counts.values())


def test_declaration_matches_the_payroll_truth(demo_run, declaration):
    whole = declaration[declaration["is_all_directorates"]]
    overall = whole.set_index(whole["snapshot_date"].astype(str))
    for file in demo_run["truth"]["sources"]["hr_payroll"]["headcounts"]:
        row = overall.loc[file["snapshot_date"]]
        ethnicity = file["ethnicity"]
        assert row["headcount"] == file["employees"]
        assert row["prefer_not_to_say"] == ethnicity["prefer_not_to_say"]
        assert row["not_recorded"] == ethnicity["not_recorded"]
        assert (
            row["declared"] == file["employees"] - ethnicity["prefer_not_to_say"] - ethnicity["not_recorded"]
        )
        assert row["prefer_not_to_say_pct"] == pytest.approx(
            round(100 * ethnicity["prefer_not_to_say"] / file["employees"], 1)
        )


def test_declaration_by_directorate_matches_a_pandas_recomputation(demo_run, declaration):
    with duckdb.connect(str(demo_run["paths"].warehouse), read_only=True) as con:
        staff = con.execute(
            "select snapshot_date, directorate, ethnicity_status from staging.stg_hr__payroll"
        ).df()
    staff["declared"] = staff["ethnicity_status"].isin(["known", "unmapped"])
    staff["prefer_not_to_say"] = staff["ethnicity_status"] == "prefer_not_to_say"
    expected = staff.groupby(["snapshot_date", "directorate"])[["declared", "prefer_not_to_say"]].sum()
    expected["headcount"] = staff.groupby(["snapshot_date", "directorate"]).size()
    published = declaration[~declaration["is_all_directorates"]].set_index(["snapshot_date", "directorate"])
    assert len(published) == len(expected)
    for key, want in expected.iterrows():
        got = published.loc[key]
        for column in ("headcount", "declared", "prefer_not_to_say"):
            if pd.notna(got[column]):
                assert got[column] == want[column], (key, column)
            else:
                assert got[f"{column}_symbol"] == "c"
        if pd.notna(got["declared_pct"]):
            assert got["declared_pct"] == pytest.approx(round(100 * want["declared"] / want["headcount"], 1))
