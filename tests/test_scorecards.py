"""The board scorecards on the demo borough (issue 7).

publish.scorecard_long_term_outcomes follows the framework seed (Hackney's long-term outcomes) and
publish.scorecard_hwb the Health and Wellbeing Board flags of the indicator catalogue. Both only
re-present published, disclosure-controlled figures, so every value must equal its row of
publish.outcome_indicators or publish.workforce_representation; a suppressed cell stays suppressed;
the largest gap between ethnic groups is recomputed here in pandas (and, for Year 6 healthy weight,
from the counts the demo generator wrote); measures no source holds are x rows naming the data needed;
the survey rows recover the generator's weighted estimates and its planted trust gap.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

SEEDS = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds"
TABLES = ("scorecard_long_term_outcomes", "scorecard_hwb", "outcome_indicators", "workforce_representation")
GAP_LEVELS = ["census2021", "dfe_main", "major"]  # var scorecard_gap_levels' default


@pytest.fixture(scope="module")
def published(demo_run) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(demo_run["paths"].snapshot), read_only=True) as con:
        return {table: con.execute(f"select * from publish.{table}").df() for table in TABLES}


@pytest.fixture(scope="module")
def framework() -> pd.DataFrame:
    return pd.read_csv(SEEDS / "reference" / "long_term_outcomes_framework.csv", dtype=str)


@pytest.fixture(scope="module")
def not_ethnic_groups() -> set[str]:
    """DfE codes for refused / not yet obtained: records, not ethnic groups."""
    codes = pd.read_csv(SEEDS / "ethnicity" / "ethnicity_dfe_codes.csv", dtype=str)
    return set(codes.loc[codes["code_level"] == "unknown", "dfe_code"])


def _overall_rows(outcomes: pd.DataFrame) -> pd.DataFrame:
    return outcomes[
        (outcomes["ethnicity_level"] == "all")
        & outcomes["breakdown"].isin(["total", "sex"])
        & (outcomes["fsm"] == "All")
        & (outcomes["sen"] == "All")
    ]


def _latest_periods(outcomes: pd.DataFrame) -> pd.Series:
    """(authority, indicator) -> the latest period with an overall value row."""
    overall = _overall_rows(outcomes).sort_values(["period_end_year", "period"])
    return overall.groupby(["authority_code", "indicator_id"])["period"].last()


def _held(framework, table):
    return framework[framework["source_table"] == table]


def test_every_framework_measure_held_shows_its_latest_value(published, framework):
    scorecard, outcomes = published["scorecard_long_term_outcomes"], published["outcome_indicators"]
    latest = _latest_periods(outcomes)
    authorities = sorted(outcomes["authority_code"].unique())
    assert authorities
    for authority in authorities:
        for indicator in _held(framework, "outcome_indicators")["indicator_id"]:
            rows = scorecard[
                (scorecard["authority_code"] == authority) & (scorecard["indicator_id"] == indicator)
            ]
            assert set(rows["period"]) == {latest[(authority, indicator)]}, indicator
            assert rows.loc[rows["is_overall"], "value"].notna().all() and rows["is_overall"].any(), indicator
    representation = published["workforce_representation"]
    for authority, staff in representation.groupby("authority_code"):
        rows = scorecard[
            (scorecard["authority_code"] == authority)
            & (scorecard["source_table"] == "workforce_representation")
        ]
        assert set(rows["period"]) == {staff.loc[staff["snapshot_date"].idxmax(), "reporting_year"]}
        assert rows["value"].notna().sum() >= len(staff["grade_band"].unique())


def test_black_groups_are_shown_apart_with_somali_and_nigerian_where_held(published, framework):
    scorecard = published["scorecard_long_term_outcomes"]
    by_group = scorecard.dropna(subset=["value"]).groupby("indicator_id")["ethnicity_code"].agg(set)
    for indicator in framework.loc[framework["source_table"].notna(), "indicator_id"]:
        if indicator == "hwb_life_expectancy":  # Fingertips publishes it by sex only (the seed's note)
            continue
        assert {"BAFR", "BCRB"} <= by_group[indicator], indicator
    for indicator in ("edu_gld_pct", "edu_attainment8_avg"):
        assert {"BSOM", "BNGN", "black_all"} <= by_group[indicator], indicator
    life = scorecard[scorecard["indicator_id"] == "hwb_life_expectancy"]
    assert set(life["sex"]) == {"Female", "Male"} and life["is_overall"].all()
    assert life["note"].str.contains("not by ethnic group").all()


def test_outcome_rows_equal_publish_outcome_indicators(published, framework, not_ethnic_groups):
    scorecard, outcomes = published["scorecard_long_term_outcomes"], published["outcome_indicators"]
    rows = scorecard[scorecard["source_table"] == "outcome_indicators"]
    keys = ["authority_code", "indicator_id", "period", "sex", "ethnicity_level", "ethnicity_code"]
    source = outcomes[(outcomes["fsm"] == "All") & (outcomes["sen"] == "All")]
    source = source[(source["ethnicity_level"] == "all") | (source["sex"] == "All")]
    source = source[source["breakdown"].isin(["total", "sex", "ethnicity"])]
    merged = rows.merge(source, on=keys, how="left", suffixes=("", "_source"), indicator=True)
    assert (merged["_merge"] == "both").all()
    pairs = {
        "value": "value_source", "lower_ci": "lower_ci_source", "upper_ci": "upper_ci_source",
        "overall_value": "authority_value", "gap_to_overall": "gap_to_authority",
        "compared_with_overall": "compared_with_authority", "gap_to_reference": "gap_to_reference_source",
        "rri": "rri_source", "compared_with_reference": "compared_with_reference_source",
        "trend": "trend_source", "london_value": "london_value_source",
        "compared_with_england": "compared_with_england_source",
        "neighbours_value": "neighbours_value_source",
    }  # fmt: skip
    for shown, published_as in pairs.items():
        pd.testing.assert_series_equal(
            merged[shown].astype(object).where(merged[shown].notna(), None),
            merged[published_as].astype(object).where(merged[published_as].notna(), None),
            check_names=False,
            obj=shown,
        )
    assert (merged["value_symbol"].fillna("") == merged["value_symbol_source"].fillna("")).all()
    # Every group the seed asks for at its own level is there (ethnic groups only, latest period).
    latest = _latest_periods(outcomes)
    for spec in _held(framework, "outcome_indicators").itertuples():
        for authority in rows["authority_code"].unique():
            expected = source[
                (source["authority_code"] == authority)
                & (source["indicator_id"] == spec.indicator_id)
                & (source["period"] == latest[(authority, spec.indicator_id)])
                & (source["ethnicity_level"] == spec.ethnicity_level)
                & ~source["ethnicity_code"].isin(not_ethnic_groups)
            ]["ethnicity_code"]
            shown = rows[
                (rows["authority_code"] == authority)
                & (rows["indicator_id"] == spec.indicator_id)
                & (rows["ethnicity_level"] == spec.ethnicity_level)
            ]["ethnicity_code"]
            assert set(shown) == set(expected), spec.indicator_id


def test_workforce_rows_equal_publish_workforce_representation(published):
    scorecard = published["scorecard_long_term_outcomes"]
    representation = published["workforce_representation"]
    rows = scorecard[scorecard["source_table"] == "workforce_representation"]
    latest = representation[
        representation["snapshot_date"]
        == representation.groupby("authority_code")["snapshot_date"].transform("max")
    ]
    expected = latest[(latest["ethnicity_level"] == "census2021") | (latest["ethnicity_code"] == "EM")]
    keys = ["authority_code", "grade_band", "ethnicity_level", "ethnicity_code"]
    merged = rows.merge(expected, on=keys, how="outer", suffixes=("", "_source"), indicator=True)
    assert (merged["_merge"] == "both").all()
    assert len(merged) == len(expected) > 0
    for shown, published_as in {
        "value": "share_pct", "lower_ci": "share_lower_ci", "overall_value": "workforce_share_pct",
        "gap_to_overall": "difference_from_workforce_pp",
        "population_share_pct": "population_share_pct_source",
    }.items():  # fmt: skip
        np.testing.assert_array_equal(merged[shown].to_numpy(float), merged[published_as].to_numpy(float))
    assert (merged["value_symbol"].fillna("") == merged["headcount_symbol"].fillna("")).all()
    assert (merged["period"] == merged["reporting_year"]).all()
    assert set(merged["grade_band"]) == set(representation["grade_band"])


def test_suppressed_cells_stay_suppressed(published):
    scorecard = published["scorecard_long_term_outcomes"]
    suppressed = scorecard[scorecard["value_symbol"] == "c"]
    assert len(suppressed) > 0  # the demo has small groups (Traveller of Irish heritage, senior staff)
    withheld = ["value", "lower_ci", "upper_ci", "gap_to_overall", "gap_to_reference", "rri"]
    assert suppressed[withheld].isna().all().all()
    assert (suppressed["gap_to_overall_symbol"] == "c").all()
    shown = scorecard[scorecard["value_symbol"].isna()]
    assert shown["value"].notna().all()


def test_survey_rows_recover_the_generators_weighted_estimates(demo_run, published):
    """Trust in the council: the weighted percentages the generator computed, and its planted gap
    (Black Caribbean 25 points below White British) significant; Indian (no effect) similar."""
    scorecard = published["scorecard_long_term_outcomes"]
    estimates = pd.DataFrame(demo_run["truth"]["sources"]["resident_survey"]["estimates"])
    trust = scorecard[scorecard["indicator_id"] == "rs_trust_council_pct"]
    year = int(trust["period_end_year"].iloc[0])
    truth = estimates[(estimates["question"] == "trust_council") & (estimates["year"] == year)]
    checked = 0
    for row in truth.itertuples():
        code = "All" if row.group == "all" else row.group
        cell = trust[(trust["authority_code"] == row.authority_code) & (trust["ethnicity_code"] == code)]
        if code != "All" and cell.empty:
            continue
        if cell["value_symbol"].iloc[0] == "c":  # 1 to 4 respondents (disclosure_min_count 5)
            assert 1 <= row.n < 5, code
            continue
        assert cell["value"].iloc[0] == pytest.approx(row.pct_weighted, abs=1e-3), code
        checked += 1
    assert checked >= 15
    by_code = trust.set_index("ethnicity_code")
    assert by_code.loc["BCRB", "compared_with_reference"] == "Worse"
    assert bool(by_code.loc["BCRB", "is_gap_to_reference_significant"])
    assert by_code.loc["AIND", "compared_with_reference"] == "Similar"


def test_unheld_measures_are_x_rows_naming_the_data_needed(published, framework):
    scorecard = published["scorecard_long_term_outcomes"]
    unheld = framework.loc[framework["source_table"].isna(), "indicator_id"]
    assert {"res_employment_rate_pct", "res_median_pay"} <= set(unheld)
    rows = scorecard[scorecard["indicator_id"].isin(unheld)]
    authorities = scorecard["authority_code"].nunique()
    assert len(rows) == len(unheld) * authorities
    assert (rows["value_symbol"] == "x").all() and rows["value"].isna().all()
    assert rows["note"].str.contains("Data needed").all()
    employment = rows.loc[rows["indicator_id"] == "res_employment_rate_pct", "note"]
    assert employment.str.contains("Annual Population Survey").all()
    held = scorecard[~scorecard["indicator_id"].isin(unheld)]
    assert not (held["value_symbol"] == "x").any()  # every held measure has figures for the demo borough


def test_hwb_rows_are_the_flagged_indicators_as_published(published):
    hwb, outcomes = published["scorecard_hwb"], published["outcome_indicators"]
    catalogue = pd.read_csv(SEEDS / "reference" / "indicators.csv")
    flagged = set(catalogue.loc[catalogue["on_hwb_scorecard"], "indicator_id"])
    assert set(hwb["indicator_id"]) == flagged
    latest = _latest_periods(outcomes)
    overall = _overall_rows(outcomes)
    for row in hwb.itertuples():
        assert row.period == latest[(row.authority_code, row.indicator_id)]
        source = overall[
            (overall["authority_code"] == row.authority_code)
            & (overall["indicator_id"] == row.indicator_id)
            & (overall["period"] == row.period)
            & (overall["sex"] == row.sex)
        ]
        assert len(source) == 1, (row.indicator_id, row.sex)
        source = source.iloc[0]
        for column in ("value", "lower_ci", "upper_ci", "england_value", "london_value"):
            shown, expected = getattr(row, column), source[column]
            assert (pd.isna(shown) and pd.isna(expected)) or shown == expected, (row.indicator_id, column)
        assert row.compared_with_england == source["compared_with_england"]
        assert row.trend == source["trend"]
    colours = {"Better": "#92d050", "Similar": "#ffc000", "Worse": "#c00000", "Not compared": "#c9c9c9"}
    known = hwb[hwb["compared_with_england"].isin(colours)]
    assert (known["england_comparison_colour"] == known["compared_with_england"].map(colours)).all()
    # Life expectancy comes by sex only; the others once for everyone.
    assert set(hwb.loc[hwb["indicator_id"] == "hwb_life_expectancy", "sex"]) == {"Female", "Male"}
    assert (hwb.loc[hwb["indicator_id"] != "hwb_life_expectancy", "sex"] == "All").all()


def test_hwb_largest_gap_matches_a_pandas_recomputation(published, not_ethnic_groups):
    hwb, outcomes = published["scorecard_hwb"], published["outcome_indicators"]
    latest = _latest_periods(outcomes)
    cells = outcomes[
        (outcomes["breakdown"] == "ethnicity")
        & (outcomes["sex"] == "All")
        & (outcomes["fsm"] == "All")
        & (outcomes["sen"] == "All")
        & ~outcomes["ethnicity_code"].isin(not_ethnic_groups)
    ]
    checked = 0
    for row in hwb.itertuples():
        period = latest[(row.authority_code, row.indicator_id)]
        mine = cells[
            (cells["authority_code"] == row.authority_code)
            & (cells["indicator_id"] == row.indicator_id)
            & (cells["period"] == period)
        ]
        published_at = mine.dropna(subset=["value"])["ethnicity_level"].value_counts()
        level = next((lv for lv in GAP_LEVELS if published_at.get(lv, 0) >= 2), None)
        if level is None:
            assert row.largest_gap_symbol == "x" and pd.isna(row.largest_gap), row.indicator_id
            continue
        groups = mine[(mine["ethnicity_level"] == level) & mine["value"].notna()]
        assert groups["value_symbol"].isna().all()  # published cells only
        # Ties: the first group in display order is the highest, the last the lowest.
        high = groups.sort_values(["value", "display_order"], ascending=[False, True]).iloc[0]
        low = groups.sort_values(["value", "display_order"], ascending=[True, False]).iloc[0]
        assert row.gap_ethnicity_level == level
        assert row.gap_groups_compared == len(groups)
        assert (row.gap_highest_group, row.gap_lowest_group) == (
            high["ethnicity_group"],
            low["ethnicity_group"],
        )
        assert row.largest_gap == pytest.approx(high["value"] - low["value"], abs=1e-4)
        if low["value"] > 0:
            assert row.largest_gap_ratio == pytest.approx(high["value"] / low["value"], abs=1e-4)
        assert bool(row.is_largest_gap_significant) == bool(low["upper_ci"] < high["lower_ci"])
        checked += 1
    # Every flagged indicator with an ethnic breakdown: not life expectancy nor the totals-only ones.
    assert checked >= 6


def test_hwb_year6_gap_is_between_the_groups_the_generator_counted(demo_run, published):
    """From the counts written to the Fingertips file: the highest and lowest published group shares."""
    hwb = published["scorecard_hwb"]
    census = pd.read_csv(SEEDS / "ethnicity" / "ethnicity_census2021.csv", index_col="census_code")
    labels = census["display_label"]
    row = hwb[hwb["indicator_id"] == "hwb_year6_healthy_weight_pct"].iloc[0]
    written = next(
        entry
        for entry in demo_run["truth"]["sources"]["fingertips"]["ethnic_groups"]
        if entry["area_code"] == row["authority_code"]
        and entry["indicator_id"] == 90323
        and entry["period"] == row["period"]
    )
    shares = {
        code: 100 * count / base for code, (count, base) in written["counts"].items() if count is not None
    }
    high, low = max(shares, key=shares.get), min(shares, key=shares.get)
    assert (row["gap_highest_group"], row["gap_lowest_group"]) == (labels[high], labels[low])
    assert row["largest_gap"] == pytest.approx(shares[high] - shares[low], abs=1e-3)
    assert row["gap_groups_compared"] == len(shares)
