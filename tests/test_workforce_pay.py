"""Pay gaps, pay quartiles and top earners (issue 6, part A) recomputed independently from staging.

The demo borough through the whole pipeline (`demo_run`): plain pandas applies the 2017 regulations
(SI 2017/353 Sch. 1, methods reference §5) to `staging.stg_hr__payroll`, read-only from the
warehouse, and the published tables in the snapshot must agree.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

PERIOD_DAYS = {"weekly": 7.0, "fortnightly": 14.0, "four-weekly": 28.0, "monthly": 30.44, "annual": 365.25}
COMPARATOR = "WBRI"
MIN_GROUP = 10  # pay_gap_min_group_size
TOLERANCE = 0.1  # percentage points, the acceptance criterion
EPS = 1e-9


@pytest.fixture(scope="module")
def payroll(demo_run) -> pd.DataFrame:
    """Every relevant employee with hourly pay by the regulations, computed here, not by dbt."""
    with duckdb.connect(str(demo_run["paths"].warehouse), read_only=True) as con:
        frame = con.execute(
            """
            select authority_code, snapshot_date, census_code, ethnicity_status, sex, weekly_hours,
                   pay_period, basic_pay_in_period, allowances_in_period, bonus_pay_12m,
                   is_on_reduced_pay_leave
            from staging.stg_hr__payroll
            """
        ).df()
        census = con.execute(
            "select census_code, display_label, major_group from reference.ethnicity_census2021"
        ).df()
    frame["snapshot_date"] = pd.to_datetime(frame["snapshot_date"]).dt.date
    days = frame["pay_period"].map(PERIOD_DAYS)
    assert days.notna().all()
    ordinary = frame["basic_pay_in_period"].astype(float) + frame["allowances_in_period"].astype(float)
    bonus_in_period = frame["bonus_pay_12m"].astype(float) * days / 365.25
    frame["hourly"] = (ordinary + bonus_in_period) * 7 / days / frame["weekly_hours"].astype(float)
    frame["full_pay"] = ~frame["is_on_reduced_pay_leave"].astype(bool)
    frame["known"] = frame["ethnicity_status"].eq("known") & frame["census_code"].notna()
    labels = census.set_index("census_code")
    frame["detailed"] = frame["census_code"].map(labels["display_label"])
    major = frame["census_code"].map(labels["major_group"])
    wb = frame["census_code"].eq(COMPARATOR)
    wb_label = labels.loc[COMPARATOR, "display_label"]
    frame["major"] = np.where(wb, wb_label, np.where(major.eq("White"), "White other than British", major))
    frame["minority_binary"] = np.where(wb, wb_label, "Ethnic minorities")
    frame.loc[~frame["known"], ["detailed", "major", "minority_binary"]] = None
    return frame


@pytest.fixture(scope="module")
def published(demo_run) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(demo_run["paths"].snapshot), read_only=True) as con:
        tables = {
            name: con.execute(f"select * from publish.{name}").df()
            for name in ("pay_gap", "pay_gap_by_sex", "pay_quartiles", "top_earners")
        }
    for table in tables.values():
        table["snapshot_date"] = pd.to_datetime(table["snapshot_date"]).dt.date
    return tables


def _gap(reference: float, value: float) -> float:
    return (reference - value) / reference * 100


def _expected_gaps(rows: pd.DataFrame, group_column: str, comparator) -> pd.DataFrame:
    """Mean and median hourly gaps of every group against the comparator, full-pay relevant only."""
    full = rows[rows["full_pay"]]
    stats = full.groupby(group_column)["hourly"].agg(["count", "mean", "median"])
    ref = stats.loc[comparator]
    stats["mean_gap"] = _gap(ref["mean"], stats["mean"])
    stats["median_gap"] = _gap(ref["median"], stats["median"])
    stats["comparator_n"] = ref["count"]
    return stats


def _check(stats: pd.DataFrame, got: pd.Series, comparator) -> bool:
    """One published row against the recomputation; True when a gap was compared."""
    stat = stats.loc[got.name]
    if got["is_comparator"]:
        assert got.name == comparator and got["gap_symbol"] == "z"
        return False
    if got["gap_symbol"] == "c":
        assert stat["count"] < MIN_GROUP or stat["comparator_n"] < MIN_GROUP
        return False
    assert stat["count"] >= MIN_GROUP and stat["comparator_n"] >= MIN_GROUP
    assert abs(got["mean_hourly_gap_pct"] - stat["mean_gap"]) <= TOLERANCE + EPS, got.name
    assert abs(got["median_hourly_gap_pct"] - stat["median_gap"]) <= TOLERANCE + EPS, got.name
    # Published to one decimal place: the recomputation rounds to the published value.
    assert got["median_hourly_gap_pct"] == pytest.approx(round(stat["median_gap"], 1), abs=0.05 + EPS)
    return True


def test_ethnicity_gaps_agree_with_pandas_at_every_level(payroll, published):
    wb_label = payroll.loc[payroll["census_code"].eq(COMPARATOR), "detailed"].iloc[0]
    pay_gap = published["pay_gap"]
    compared = 0
    for (authority, snapshot), rows in payroll[payroll["known"]].groupby(["authority_code", "snapshot_date"]):
        cells = pay_gap[(pay_gap["authority_code"] == authority) & (pay_gap["snapshot_date"] == snapshot)]
        for level in ("detailed", "major", "minority_binary"):
            stats = _expected_gaps(rows, level, wb_label)
            got = cells[cells["ethnicity_level"] == level].set_index("ethnicity_group")
            assert set(got.index) == set(stats.index), (authority, snapshot, level)
            compared += sum(_check(stats, row, wb_label) for _, row in got.iterrows())
    assert compared >= 100


def test_gender_gap_present_and_agrees_with_pandas(payroll, published):
    by_sex = published["pay_gap_by_sex"]
    gender = by_sex[by_sex["dimension"] == "sex"]
    snapshots = payroll[["authority_code", "snapshot_date"]].drop_duplicates()
    assert len(gender[gender["sex"] == "Female"]) == len(snapshots)
    for (authority, snapshot), rows in payroll[payroll["sex"].isin(["Female", "Male"])].groupby(
        ["authority_code", "snapshot_date"]
    ):
        stats = _expected_gaps(rows, "sex", "Male")
        got = gender[(gender["authority_code"] == authority) & (gender["snapshot_date"] == snapshot)]
        got = got.set_index("sex")
        assert _check(stats, got.loc["Female"], "Male")
        assert got.loc["Female", "is_headline"]
        assert got.loc["Male", "is_comparator"] and got.loc["Male", "comparator_sex"] == "Male"
    # No sex effect is planted: the demo's gender gap is small.
    assert (gender.loc[gender["sex"] == "Female", "median_hourly_gap_pct"].abs() < 5).all()


def test_ethnicity_by_sex_gaps_against_white_british_men(payroll, published):
    wb_label = payroll.loc[payroll["census_code"].eq(COMPARATOR), "detailed"].iloc[0]
    comparator = f"{wb_label} | Male"
    by_sex = published["pay_gap_by_sex"]
    cells = by_sex[by_sex["dimension"] == "ethnicity_sex"]
    rows = payroll[payroll["known"] & payroll["sex"].isin(["Female", "Male"])].copy()
    compared = 0
    for level in ("detailed", "major", "minority_binary"):
        rows["cell"] = rows[level] + " | " + rows["sex"]
        for (authority, snapshot), part in rows.groupby(["authority_code", "snapshot_date"]):
            stats = _expected_gaps(part, "cell", comparator)
            got = cells[
                (cells["authority_code"] == authority)
                & (cells["snapshot_date"] == snapshot)
                & (cells["ethnicity_level"] == level)
            ]
            got = got.set_index(got["ethnicity_group"] + " | " + got["sex"])
            assert set(got.index) == set(stats.index)
            compared += sum(_check(stats, row, comparator) for _, row in got.iterrows())
    assert compared >= 100


def test_headline_rule_is_stated_on_every_row(published):
    pay_gap = published["pay_gap"].assign(sex="All")
    by_sex = published["pay_gap_by_sex"]
    withheld_rows = 0
    for table in (pay_gap, by_sex[by_sex["dimension"] == "ethnicity_sex"]):
        assert table["headline_reason"].notna().all()
        detailed = table[(table["ethnicity_level"] == "detailed") & ~table["is_comparator"]]
        # A published detailed gap is the headline; a withheld one names the broader level to read.
        assert (detailed["is_headline"] == detailed["gap_symbol"].isna()).all()
        withheld = detailed[detailed["gap_symbol"] == "c"]
        assert withheld["headline_level"].isin(["major", "minority_binary"]).all()
        # Each withheld detailed group is named by a headline row of that level (same sex).
        for _, row in withheld.iterrows():
            cover = table[
                (table["authority_code"] == row["authority_code"])
                & (table["snapshot_date"] == row["snapshot_date"])
                & (table["sex"] == row["sex"])
                & (table["ethnicity_level"] == row["headline_level"])
                & table["is_headline"]
            ]
            assert cover["headline_reason"].str.contains(row["ethnicity_group"], regex=False).any()
        # A broader row is a headline exactly when it stands for withheld groups.
        broader = table[table["ethnicity_level"].isin(["major", "minority_binary"]) & table["is_headline"]]
        assert broader["headline_reason"].str.startswith("Headline for ").all()
        withheld_rows += len(withheld)
    assert withheld_rows > 0  # small intersectional cells (e.g. Gypsy or Irish Traveller men)


def test_bonus_proportion_agrees_with_pandas(payroll, published):
    pay_gap = published["pay_gap"]
    rows = payroll[payroll["known"]]
    expected = rows.groupby(["authority_code", "snapshot_date", "major"])["bonus_pay_12m"].apply(
        lambda b: (b > 0).mean() * 100
    )
    got = pay_gap[(pay_gap["ethnicity_level"] == "major") & pay_gap["bonus_recipient_pct"].notna()]
    assert len(got) > 0
    for _, row in got.iterrows():
        value = expected[(row["authority_code"], row["snapshot_date"], row["ethnicity_group"])]
        assert abs(row["bonus_recipient_pct"] - value) <= 0.05 + EPS


def _quartile_memberships(hourly: np.ndarray) -> np.ndarray:
    """Fractional membership (n x 4) by the tie rule: each rate's run of positions cut at N/4, N/2, 3N/4."""
    n = len(hourly)
    _, inverse, tied = np.unique(hourly, return_inverse=True, return_counts=True)
    start = np.concatenate([[0], np.cumsum(tied)[:-1]]).astype(float)
    bounds = np.arange(5) * n / 4
    lo, hi = np.maximum(start[:, None], bounds[:-1]), np.minimum((start + tied)[:, None], bounds[1:])
    per_rate = np.clip(hi - lo, 0, None) / tied[:, None]
    return per_rate[inverse]


def test_pay_quartiles_sum_to_100_and_agree_with_pandas(payroll, published):
    quartiles = published["pay_quartiles"]
    shown = quartiles[quartiles["share_symbol"].isna()]
    keys = ["authority_code", "snapshot_date", "dimension", "ethnicity_level", "quartile"]
    complete = quartiles.groupby(keys)["share_symbol"].apply(lambda s: s.isna().all())
    sums = shown.groupby(keys)["share_of_quartile_pct"].sum()
    # Rounded to 1 d.p. per group: at most 0.05 per group off.
    groups = shown.groupby(keys).size()
    assert (abs(sums[complete[complete].index] - 100) <= 0.05 * groups[complete[complete].index] + EPS).all()
    assert complete.mean() > 0.5

    compared = 0
    full_pay = payroll[payroll["full_pay"]]
    for (authority, snapshot), rows in full_pay.groupby(["authority_code", "snapshot_date"]):
        hourly = rows["hourly"].round(8).to_numpy()  # the warehouse's rounding: equal pay ties exactly
        member = pd.DataFrame(_quartile_memberships(hourly), index=rows.index, columns=[1, 2, 3, 4])
        assert np.allclose(member.sum(axis=0), len(rows) / 4)
        got = quartiles[(quartiles["authority_code"] == authority) & (quartiles["snapshot_date"] == snapshot)]
        for level, key in (("detailed", "detailed"), ("major", "major"), ("all", "sex")):
            keep = rows[key].notna() & (rows["sex"].isin(["Female", "Male"]) if key == "sex" else True)
            counts = member[keep].groupby(rows.loc[keep, key]).sum()
            share = counts / counts.sum(axis=0) * 100
            cells = got[(got["ethnicity_level"] == level) & got["share_symbol"].isna()]
            for _, row in cells.iterrows():
                group = row["sex"] if key == "sex" else row["ethnicity_group"]
                assert row["employees_in_quartile"] == pytest.approx(
                    counts.loc[group, row["quartile"]], abs=0.005
                )
                assert abs(row["share_of_quartile_pct"] - share.loc[group, row["quartile"]]) <= 0.05 + EPS
                compared += 1
    assert compared >= 400  # 5 snapshots x 26 groups x 4 quartiles, less withheld cells


def test_top_earners_match_the_truth(demo_run, published):
    truth = demo_run["truth"]["sources"]["hr_payroll"]["top_earners"]
    top = published["top_earners"].set_index(["authority_code", "snapshot_date"])
    assert len(top) == len(truth)
    for expected in truth:
        got = top.loc[(expected["authority_code"], pd.Timestamp(expected["snapshot_date"]).date())]
        assert got["top_earners_headcount"] == expected["n_top"]
        assert got["top_earners_known_ethnicity"] == expected["n_top_known"]
        assert got["top_earners_ethnic_minority"] == expected["n_top_minority"]
        assert abs(got["minority_share_pct"] - expected["minority_share_pct"]) <= 0.05 + EPS
        assert abs(got["threshold_hourly_pay"] - expected["threshold_hourly"]) <= 0.005 + EPS
        assert got["minority_share_lower_ci"] <= got["minority_share_pct"] <= got["minority_share_upper_ci"]
        # The planted expected share lies in the interval (published limits are rounded to 0.1).
        assert (
            got["minority_share_lower_ci"] - 0.05
            <= expected["target_share_pct"]
            <= got["minority_share_upper_ci"] + 0.05
        )
        assert got["target_pct"] == 35.0 and got["target_id"] == "top5_minority_share"
        assert bool(got["is_target_met"]) == (expected["minority_share_pct"] >= 35.0)
    for _, rows in published["top_earners"].groupby("authority_code"):
        rows = rows.sort_values("snapshot_date")
        first = rows.iloc[0]
        assert first["change_since_first_pp"] == 0
        change = rows["minority_share_pct"] - first["minority_share_pct"]
        assert (abs(rows["change_since_first_pp"] - change) <= 0.1 + EPS).all()
        assert rows["change_since_first_pp"].iloc[-1] > 0  # the planted share rises
