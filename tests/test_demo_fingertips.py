"""The demo Fingertips exports: the real column layout, values computed by the OHID methods, the
planted health inequalities recoverable from the files, and dirty faults recorded where they are."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from observatory.contracts import parse_contract
from observatory.demo import fingertips as FT
from observatory.demo import fingertips_model as FM
from observatory.demo import fingertips_stats as S
from observatory.demo.authorities import all_authorities, authorities_for
from observatory.demo.context import DemoContext
from observatory.demo.faults import DirtyConfig
from observatory.demo.population_files import display_labels
from observatory.ingest.readers import read_extract

YEARS = 3  # + 2 published years of history = 5 periods: the latest rows have a recent trend


def _ctx(seed: int = 42, dirty: bool = False, progress=None) -> DemoContext:
    extra = {"on_progress": progress} if progress else {}
    return DemoContext(
        seed=seed,
        scale="borough",
        authorities=authorities_for("borough"),
        snapshot_dates=tuple(date(2025 - YEARS + 1 + i, 3, 31) for i in range(YEARS)),
        dirty=DirtyConfig() if dirty else None,
        **extra,
    )


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> tuple[Path, dict]:
    inbox = tmp_path_factory.mktemp("clean")
    calls = []
    truth = FT.write(inbox, _ctx(progress=lambda domain, n: calls.append((domain, n))))[FT.SOURCE]
    truth["_progress"] = calls
    return inbox, truth


@pytest.fixture(scope="module")
def dirty(tmp_path_factory) -> tuple[Path, dict]:
    inbox = tmp_path_factory.mktemp("dirty")
    return inbox, FT.write(inbox, _ctx(dirty=True))[FT.SOURCE]


@pytest.fixture(scope="module")
def frames(clean) -> dict[str, pd.DataFrame]:
    """Each indicator's file as text, keyed by indicator key."""
    inbox, truth = clean
    out = {}
    for record in truth["files"]:
        frame = pd.read_csv(inbox / record["file"], dtype=str, keep_default_na=False, encoding="utf-8")
        frame["_row"] = np.arange(len(frame)) + 2
        out[record["indicator"]] = frame
    return out


def _num(series: pd.Series) -> np.ndarray:
    return pd.to_numeric(series.replace("", np.nan)).to_numpy(dtype=float)


def test_statistics_reproduce_the_methods_test_vectors():
    lower, upper = S.wilson(np.array([65]), np.array([100]), S.Z95)
    assert (lower[0], upper[0]) == pytest.approx((0.552544432969, 0.736357517569), abs=1e-12)
    lower, upper = S.rate_limits(np.array([65, 1]), np.array([100, 100]), 100_000, S.Z95, 0.95)
    assert lower == pytest.approx([50163.18771, 25.31781], abs=1e-5)
    assert upper == pytest.approx([82849.13855, 5571.64339], abs=1e-5)
    chi2, slope = S.trend_chi2(
        np.array([994, 1023, 1199, 1332, 1367]), np.array([40299, 41527, 42811, 44064, 44701])
    )
    assert chi2 == pytest.approx(47.90, abs=0.01) and slope == 1
    assert S.trend_label(chi2, slope, "low") == "Increasing and getting worse"
    compared = S.compare(
        np.array([2.7, 3.2, 2.2]),
        np.array([3.1, 3.5, 2.8]),
        np.array([3.05, 3.3, 2.5]),
        np.full(3, 3.0),
        "low",
    )
    assert list(compared) == ["Similar", "Worse", "Better"]


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(clean, frames, tmp_path):
    inbox, truth = clean
    again = FT.write(tmp_path / "again", _ctx())[FT.SOURCE]
    assert again == {k: v for k, v in truth.items() if k != "_progress"}
    for record in truth["files"]:
        assert (tmp_path / "again" / record["file"]).read_bytes() == (inbox / record["file"]).read_bytes()
    # The counts written are the seed's draws: seed 42 reproduces the file, seed 7 does not.
    frame = frames["year6_healthy_weight"]
    row = frame[(frame["Area Code"] == "X09000001") & (frame["Time period"] == "2024/25")]
    written = row.set_index("Category")["Count"].replace("", None).dropna().astype(float)
    for seed in (42, 7):
        blocks = FM.Blocks()
        FM.simulate(_ctx(seed=seed), all_authorities()[0], 2025, FM.FingertipsPlanted(), blocks)
        drawn = blocks.frame().query("indicator == 'year6_healthy_weight'")
        labels = dict(display_labels())
        counts = dict(zip(drawn["census_code"].map({"": "", **labels}), drawn["count"], strict=True))
        same = [counts[k] == v for k, v in written.items()]
        assert all(same) if seed == 42 else not all(same)


def test_files_have_the_fingertips_export_columns_and_say_synthetic(clean, frames):
    inbox, truth = clean
    assert len(truth["files"]) == len(FT.INDICATORS) >= 5
    for record in truth["files"]:
        assert "synthetic" in record["file"]
        header = next(csv.reader(io.StringIO((inbox / record["file"]).read_text(encoding="utf-8"))))
        assert tuple(header) == FT.HEADER and len(header) == 27
        frame = frames[record["indicator"]]
        assert frame["Area Name"].str.endswith("(synthetic)").all()


def test_rows_cover_england_london_and_all_150_authorities_every_period(frames):
    codes = {"E92000001", "E12000007", *(a.code for a in all_authorities())}
    for indicator in FT.INDICATORS:
        frame = frames[indicator.key]
        persons = frame[frame["Category"] == ""]
        assert set(persons["Area Code"]) == codes
        periods = sorted(set(frame["Time period"]))
        assert len(periods) == YEARS + FT.HISTORY_YEARS
        assert len(persons) == len(codes) * len(periods) * len(indicator.sexes)
        assert set(frame["Sex"]) == set(indicator.sexes)
    assert sorted(set(frames["year6_overweight"]["Time period"]))[-1] == "2024/25"
    assert sorted(set(frames["life_expectancy"]["Time period"]))[-1] == "2022 - 24"
    categories = set(frames["year6_healthy_weight"]["Category"]) - {""}
    assert categories == {label for _, label in display_labels()}
    assert set(frames["year6_healthy_weight"]["Category Type"]) == {"", "Ethnic groups"}


def test_values_and_limits_follow_the_ohid_methods(frames):
    for indicator in FT.INDICATORS:
        frame = frames[indicator.key]
        shown = frame[frame["Value"] != ""]
        value, lo, hi = (_num(shown[c]) for c in ("Value", "Lower CI 95.0 limit", "Upper CI 95.0 limit"))
        assert (lo <= value).all() and (value <= hi).all() and (lo < hi).all()
        assert (_num(shown["Lower CI 99.8 limit"]) <= lo).all() and (
            _num(shown["Upper CI 99.8 limit"]) >= hi
        ).all()
        if indicator.kind == "life_expectancy":
            assert (shown["Count"] == "").all() and (shown["Denominator"] == "").all()
            continue
        count, den = _num(shown["Count"]), _num(shown["Denominator"])
        np.testing.assert_allclose(value, count / den * indicator.multiplier, rtol=0, atol=1e-6)
        if indicator.kind == "proportion":
            want_lo, want_hi = (x * 100 for x in S.wilson(count, den, S.Z95))
        else:
            want_lo, want_hi = S.rate_limits(count, den, indicator.multiplier, S.Z95, 0.95)
        np.testing.assert_allclose(lo, want_lo, rtol=0, atol=1e-6)
        np.testing.assert_allclose(hi, want_hi, rtol=0, atol=1e-6)


def test_small_counts_are_suppressed_with_a_value_note(frames):
    frame = frames["year6_overweight"]
    hidden = frame[frame["Value"] == ""]
    assert len(hidden) > 0  # small groups (Roma, Gypsy or Irish Traveller) in small authorities
    assert (hidden["Value note"] == FT.SUPPRESSED_NOTE).all() and (hidden["Count"] == "").all()
    assert (hidden["Denominator"] != "").all()
    assert (hidden["Compared to England value or percentiles"] == "Not compared").all()
    shown = frame[frame["Value"] != ""]
    assert (_num(shown["Count"]) == 0).any() or (_num(shown["Count"]) >= 5).all()


def test_england_and_london_are_the_sums_of_the_authorities(frames):
    frame = frames["year6_healthy_weight"]
    persons = frame[frame["Category"] == ""]
    london = {a.code for a in all_authorities() if a.region == "London"}
    for _, rows in persons.groupby("Time period"):
        las = rows[rows["Area Code"].str.startswith("X09")]
        for area, members in (("E92000001", las), ("E12000007", las[las["Area Code"].isin(london)])):
            row = rows[rows["Area Code"] == area].iloc[0]
            assert int(row["Count"]) == _num(members["Count"]).sum()
            assert int(row["Denominator"]) == _num(members["Denominator"]).sum()
            assert row["Value note"] == FT.AGGREGATED_NOTE


def test_trend_and_comparison_columns_use_the_fingertips_wording(frames):
    frame = frames["year6_overweight"]
    england = frame[(frame["Area Code"] == "E92000001") & (frame["Category"] == "")]
    assert list(england["Recent Trend"]) == ["Cannot be calculated"] * 4 + ["Increasing and getting worse"]
    assert set(england["Compared to England value or percentiles"]) == {"Not compared"}
    assert set(frame["Compared to England value or percentiles"]) <= {
        "Better",
        "Similar",
        "Worse",
        "Not compared",
    }
    healthy = frames["year6_healthy_weight"]  # no polarity: Higher / Lower, Increasing / Decreasing
    assert {"Higher", "Lower"} <= set(healthy["Compared to England value or percentiles"])
    assert set(healthy["Recent Trend"]) <= {
        "Cannot be calculated",
        "No significant change",
        "Increasing",
        "Decreasing",
    }
    assert set(frames["life_expectancy"]["Recent Trend"]) == {"Cannot be calculated"}
    latest = frame["Time period"] == "2024/25"
    assert (frame.loc[latest, "New data"] == "New data").all() and (
        frame.loc[~latest, "New data"] == ""
    ).all()


def test_ground_truth_values_are_the_values_written(clean, frames):
    _, truth = clean
    ids = {i.indicator_id: i.key for i in FT.INDICATORS}
    assert {v["area_code"] for v in truth["values"]} == {"E92000001", "E12000007", "X09000001"}
    keys = ["Area Code", "Sex", "Time period"]
    indexed = {k: f[f["Category"] == ""].set_index(keys) for k, f in frames.items()}
    for v in truth["values"]:
        row = indexed[ids[v["indicator_id"]]].loc[(v["area_code"], v["sex"], v["period"])]
        assert isinstance(row, pd.Series)  # exactly one row
        assert float(row["Value"]) == pytest.approx(v["value"], abs=1e-9)
        assert row["Recent Trend"] == v["recent_trend"]
        assert row["Compared to England value or percentiles"] == v["compared_to_england"]
        if v["count"] is not None:
            assert int(row["Count"]) == v["count"] and int(row["Denominator"]) == v["denominator"]


def _pooled(truth: dict, indicator_id: int, area: str) -> dict[str, tuple[int, int]]:
    """Count and denominator per ethnic group over every published period, from the ground truth."""
    out: dict[str, list[int]] = {}
    for entry in truth["ethnic_groups"]:
        if entry["indicator_id"] == indicator_id and entry["area_code"] == area:
            for code, (count, den) in entry["counts"].items():
                if count is not None:
                    acc = out.setdefault(code, [0, 0])
                    acc[0] += count
                    acc[1] += den
    return {k: (a, b) for k, (a, b) in out.items()}


def test_planted_healthy_weight_gaps_are_recoverable_from_the_files(clean, frames):
    """Black African and Bangladeshi children: lower healthy weight than White British, with 95%
    limits that exclude no difference; Indian children (no planted effect): limits include it."""
    _, truth = clean
    frame = frames["year6_healthy_weight"]
    la = frame[(frame["Area Code"] == "X09000001") & (frame["Category"] != "") & (frame["Count"] != "")]
    labels = dict(display_labels())
    pooled = la.groupby("Category")[["Count", "Denominator"]].agg(lambda s: _num(s).sum())
    assert {labels[c]: tuple(v) for c, v in _pooled(truth, 90323, "X09000001").items()} == {
        k: (int(a), int(b)) for k, (a, b) in pooled.iterrows()
    }

    def gap(group: str) -> tuple[float, float]:
        """Difference in proportions vs White British and its 95% half-width (normal approximation)."""
        (x1, n1), (x0, n0) = pooled.loc[labels[group]], pooled.loc["White British"]
        p1, p0 = x1 / n1, x0 / n0
        return (p1 - p0) * 100, S.Z95 * np.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0) * 100

    planted = truth["planted"]["year6_healthy_weight"]["gap_pp"]
    for group in ("BAFR", "ABAN"):
        diff, half = gap(group)
        assert diff + half < 0, group  # significantly lower
    diff, half = gap("BAFR")
    assert abs(diff - planted["BAFR"]) < half
    diff, half = gap("AIND")
    assert abs(diff) < half and planted["AIND"] == 0.0


def test_planted_trends_show_in_england_values(clean):
    _, truth = clean
    england = [v for v in truth["values"] if v["area_code"] == "E92000001"]

    def series(indicator_id: int) -> list[float]:
        rows = sorted((v for v in england if v["indicator_id"] == indicator_id), key=lambda v: v["period"])
        return [v["value"] for v in rows]

    healthy, smoking, readiness = series(90323), series(92443), series(90631)
    assert all(b < a for a, b in itertools.pairwise(healthy))  # -0.8 pp a year
    assert smoking[-1] < smoking[0] and readiness[-1] > readiness[0]
    # Bangladeshi children's healthy weight rises against the overall fall (a closing gap).
    bangladeshi = [
        e["counts"]["ABAN"][0] / e["counts"]["ABAN"][1]
        for e in sorted(truth["ethnic_groups"], key=lambda e: e["period"])
        if e["indicator_id"] == 90323 and e["area_code"] == "E92000001"
    ]
    assert bangladeshi[-1] > bangladeshi[0]


def test_planted_life_expectancy_gap_between_authorities(clean, frames):
    _, truth = clean
    planted = truth["planted"]["life_expectancy"]
    gap = planted["headline_gap"]
    assert gap["gap_years"] == 5.0
    frame = frames["life_expectancy"]
    latest = frame[frame["Time period"] == frame["Time period"].max()].set_index(["Area Code", "Sex"])
    for sex in ("Female", "Male"):
        observed = float(latest.at[(gap["higher"], sex), "Value"]) - float(
            latest.at[(gap["lower"], sex), "Value"]
        )
        assert abs(observed - gap["gap_years"]) < 2.0
        base = planted["planted_at_base_year"]
        assert base[gap["higher"]][sex] - base[gap["lower"]][sex] == pytest.approx(5.0)
    assert (latest.xs("Female", level="Sex")["Value"].astype(float) > 70).all()


def test_files_are_readable_by_ingest(clean):
    inbox, truth = clean
    columns = [
        {"name": h.lower().replace(" ", "_"), "type": "string", "aliases": [h], "required": h == "Area Code"}
        for h in FT.HEADER
    ]
    contract = parse_contract(
        {"name": "fingertips", "domain": "demo", "period": {"column": "time_period"}, "columns": columns}
    )
    for record in truth["files"]:
        if record["indicator"] == "year6_overweight":
            continue  # the same layout as year6_healthy_weight, read below; saves a second
        extract = read_extract(inbox / record["file"], contract)
        assert len(extract.frame) == record["data_rows"]
        assert extract.unknown_columns == [] and extract.malformed_rows == [] and extract.skipped_rows == []


def test_progress_advances_once_per_generated_authority(clean):
    assert clean[1]["_progress"] == [("fingertips", 1)]


def test_dirty_mode_records_every_fault_at_its_physical_row(dirty, clean):
    inbox, truth = dirty
    file_level = [f for f in truth["faults"] if f.get("level") == "file"]
    assert len(file_level) == 1 and file_level[0]["column"] == "Area Code"
    for record in truth["files"]:
        lines = list(csv.reader(io.StringIO((inbox / record["file"]).read_text(encoding="utf-8"))))
        if record["file"] == file_level[0]["file"]:
            assert "Area Code" not in lines[0]
            assert not any(v["indicator_id"] == record["indicator_id"] for v in truth["values"])
            continue
        faults = [f for f in truth["faults"] if f["file"] == record["file"]]
        assert {f["fault"] for f in faults} == set(FT._FAULT_NAMES.values())
        for f in faults:
            assert lines[f["row"] - 1][FT.HEADER.index(f["column"])] == f["value"], f
            if f["fault"] == "duplicate_row":
                assert lines[f["row"] - 1] == lines[f["duplicate_of_row"] - 1]
        clean_lines = list(csv.reader(io.StringIO((clean[0] / record["file"]).read_text(encoding="utf-8"))))
        faulty = {f["row"] for f in faults}
        copies = [f["row"] for f in faults if f["fault"] == "duplicate_row"]
        # A row's place in the clean file: one up for every duplicate copy inserted above it.
        in_clean = {r - sum(c < r for c in copies) for r in faulty - set(copies)}
        assert [r for i, r in enumerate(lines, 1) if i not in faulty] == [
            r for i, r in enumerate(clean_lines, 1) if i not in in_clean
        ]
    # The expected statistics leave the faulty rows out (a duplicate's original stays in).
    clean_keys = {(v["indicator_id"], v["area_code"], v["sex"], v["period"]) for v in clean[1]["values"]}
    dirty_keys = {(v["indicator_id"], v["area_code"], v["sex"], v["period"]) for v in truth["values"]}
    dropped = {
        (f["indicator_id"], f["area_code"], f["sex"], f["period"])
        for f in truth["faults"]
        if f.get("level") != "file" and f["fault"] != "duplicate_row" and f["census_code"] is None
    }
    smoking = {k for k in clean_keys if k[0] == file_level[0]["indicator_id"]}
    assert dirty_keys == clean_keys - (dropped & clean_keys) - smoking
