"""The children's social care demo sources (SSDA903 episodes, protection plans, DfE EES benchmarks):
deterministic, visibly synthetic, readable by ingest, realistic, and their ground truth is exactly
what the files hold."""

from __future__ import annotations

import csv
import math
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from observatory.config import DBT_PROJECT_DIR
from observatory.contracts import Column, Contract
from observatory.demo import care
from observatory.demo.authorities import CENSUS_CODES, all_authorities, authorities_for
from observatory.demo.context import DemoContext
from observatory.demo.faults import DirtyConfig
from observatory.demo.population import residents
from observatory.ingest.readers import ExtractError, read_extract

YEARS = (date(2024, 3, 31), date(2025, 3, 31))
Z = 1.959964
PERSON_SOURCES = ("cla", "child_protection")
EES_MINOR = {  # DfE minor group name -> DfE main code
    "White British": "WBRI", "White Irish": "WIRI", "Traveller of Irish heritage": "WIRT",
    "Gypsy/Roma": "WROM", "Any other White background": "WOTH", "White and Black Caribbean": "MWBC",
    "White and Black African": "MWBA", "White and Asian": "MWAS", "Any other Mixed background": "MOTH",
    "Indian": "AIND", "Pakistani": "APKN", "Bangladeshi": "ABAN", "Chinese": "CHNE",
    "Any other Asian background": "AOTH", "Caribbean": "BCRB", "African": "BAFR",
    "Any other Black background": "BOTH", "Any other ethnic group": "OOTH", "Refused": "REFU",
    "Information not yet obtained": "NOBT",
}  # fmt: skip


def _ctx(seed: int = 42, dirty: bool = False, authorities=None, years=YEARS) -> DemoContext:
    return DemoContext(
        seed=seed,
        scale="borough",
        authorities=authorities or authorities_for("borough"),
        snapshot_dates=years,
        dirty=DirtyConfig() if dirty else None,
    )


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> tuple[Path, dict]:
    inbox = tmp_path_factory.mktemp("care")
    return inbox, care.write(inbox, _ctx())


@pytest.fixture(scope="module")
def dirty(tmp_path_factory) -> tuple[Path, dict]:
    inbox = tmp_path_factory.mktemp("care_dirty")
    return inbox, care.write(inbox, _ctx(dirty=True))


@pytest.fixture(scope="module")
def systems(tmp_path_factory) -> tuple[Path, dict]:
    """Authority 2 uses the other SSDA903 and protection-plan export shapes."""
    inbox = tmp_path_factory.mktemp("care_systems")
    return inbox, care.write(inbox, _ctx(authorities=authorities_for("london")[1:2], years=YEARS[1:]))


def _files(inbox: Path) -> dict[str, bytes]:
    return {str(p.relative_to(inbox)): p.read_bytes() for p in sorted(inbox.rglob("*")) if p.is_file()}


def _read(inbox: Path, record: dict) -> pd.DataFrame:
    frame = pd.read_csv(inbox / record["file"], encoding=record["encoding"], dtype=str, keep_default_na=False)
    assert list(frame.columns) == record["header"]
    frame = frame.rename(columns=record["columns"])
    frame["_row"] = np.arange(len(frame)) + record["first_data_row"]
    return frame


def _dfe_groups() -> dict[str, str]:
    with (DBT_PROJECT_DIR / "seeds" / "ethnicity" / "ethnicity_dfe_codes.csv").open(encoding="utf-8") as f:
        return {
            r["dfe_code"]: r["census_code"] or "unknown"
            for r in csv.DictReader(f)
            if r["code_level"] != "extended"
        }


def _without_faults(frame: pd.DataFrame, faults: list[dict], file: str) -> pd.DataFrame:
    bad = {f["row"] for f in faults if f["file"] == file and f["level"] == "row"}
    return frame[~frame["_row"].isin(bad)]


def _dates(text: pd.Series) -> pd.Series:
    return pd.to_datetime(text.replace("", None), format="%d/%m/%Y")


def _cla_counts(frame: pd.DataFrame, year: int) -> pd.DataFrame:
    group = frame["ethnicity"].map(_dfe_groups())
    assert group.notna().all()
    start = pd.Timestamp(year - 1, 4, 1)
    open_end = frame["episode_end"] == ""
    started = (frame["reason_new_episode"] == "S") & (_dates(frame["episode_start"]) >= start)
    ceased = ~frame["reason_episode_ceased"].isin(("", "X1"))

    def children(mask: pd.Series) -> pd.Series:
        return frame[mask].groupby(group[mask])["child_id"].nunique()

    every = pd.Series(True, index=frame.index)
    return pd.DataFrame(
        {
            "episodes": group.value_counts(),
            "children": children(every),
            "looked_after_31_march": children(open_end),
            "started_in_year": children(started),
            "ceased_in_year": children(ceased),
        }
    ).fillna(0)


def _cpp_counts(frame: pd.DataFrame, year: int) -> pd.DataFrame:
    group = frame["ethnicity"].map(_dfe_groups())
    assert group.notna().all()
    start = pd.Timestamp(year - 1, 4, 1)
    abuse = {"NEG": "neglect", "EMO": "emotional", "PHY": "physical", "SAB": "sexual", "MUL": "multiple"}
    category = frame["category_of_abuse"].map(lambda v: abuse.get(v, v.split()[0].lower()))
    out = {
        "plans": group.value_counts(),
        "children": frame.groupby(group)["child_id"].nunique(),
        "plans_31_march": (frame["plan_end"] == "").groupby(group).sum(),
        "started_in_year": (_dates(frame["plan_start"]) >= start).groupby(group).sum(),
        "ended_in_year": (frame["plan_end"] != "").groupby(group).sum(),
    }
    for c in abuse.values():
        out[f"category_{c}"] = (category == c).groupby(group).sum()
    return pd.DataFrame(out).fillna(0)


def _compare(inbox: Path, truth: dict, source: str) -> int:
    counter = _cla_counts if source == "cla" else _cpp_counts
    compared = 0
    for record in truth[source]["files"]:
        if record["missing_columns"]:
            continue
        frame = _without_faults(
            _read(inbox, record), truth[source]["faults"], record["file"]
        ).drop_duplicates()
        got = counter(frame, record["year"])
        for row in (
            r for r in truth[source]["expected"] if r["file"] == record["file"] and r["level"] != "total"
        ):
            counted = got.loc[row["group"]] if row["group"] in got.index else got.iloc[0] * 0
            for column in got.columns:
                assert int(counted[column]) == row[column], (record["file"], row["group"], column)
            compared += 1
    return compared


def _rr_ci(a: float, n1: float, c: float, n0: float) -> tuple[float, float]:
    rr = (a / n1) / (c / n0)
    se = math.sqrt(1 / a + 1 / c)
    return rr * math.exp(-Z * se), rr * math.exp(Z * se)


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(clean, tmp_path):
    inbox, truth = clean
    assert care.write(tmp_path / "again", _ctx()) == truth
    assert _files(tmp_path / "again") == _files(inbox)
    care.write(tmp_path / "other", _ctx(seed=7))
    other = _files(tmp_path / "other")
    assert other.keys() == _files(inbox).keys()
    assert all(other[name] != data for name, data in _files(inbox).items())


def test_every_file_says_it_is_synthetic(clean, systems):
    for inbox, truth in (clean, systems):
        for source in care.SOURCES:
            for record in truth[source]["files"]:
                assert "synthetic" in record["file"]
                assert (_read(inbox, record)["data_status"] == "SYNTHETIC").all()
    inbox, truth = clean
    ees = _read(inbox, truth["benchmarks_ees"]["files"][0])
    local = ees[ees["geographic_level"] == "Local authority"]
    assert (
        local["la_name"].str.endswith("(synthetic)").all()
        and local["new_la_code"].str.startswith("X09").all()
    )


def test_ingest_readers_load_every_file_at_its_recorded_rows(clean, systems, dirty):
    for inbox, truth in (clean, systems, dirty):
        for source in care.SOURCES:
            if truth is systems[1] and source == "benchmarks_ees":
                continue  # the same format as the clean run's
            for record in truth[source]["files"]:
                columns = tuple(
                    Column(name=c, type="string", required=True, aliases=(h,))
                    for h, c in record["columns"].items()
                )
                missing = tuple(
                    Column(name=f"need_{h}", type="string", required=True, aliases=(h,))
                    for h in record["missing_columns"]
                )
                contract = Contract(
                    source, source, "care", "", columns + missing, columns[0].name, "snapshot"
                )
                if missing:
                    with pytest.raises(ExtractError, match="required column"):
                        read_extract(inbox / record["file"], contract)
                    continue
                extract = read_extract(inbox / record["file"], contract)
                rows = extract.frame["_source_row"]
                assert len(rows) == record["data_rows"] and extract.header_row == record["header_row"]
                assert (rows.iloc[0], rows.iloc[-1]) == (record["first_data_row"], record["last_data_row"])


def test_borough_sizes_are_realistic(clean):
    _, truth = clean
    for row in (r for r in truth["cla"]["expected"] if r["group"] == "all"):
        assert 75_000 < row["residents_0_17"] < 90_000
        assert 250 <= row["looked_after_31_march"] <= 700  # 30-90 per 10,000 children
        assert 1.2 <= row["episodes"] / row["children"] <= 2.5
        assert 0.25 <= row["ceased_in_year"] / row["looked_after_31_march"] <= 0.6
    for row in (r for r in truth["child_protection"]["expected"] if r["group"] == "all"):
        assert 150 <= row["plans_31_march"] <= 500 and row["ended_in_year"] > row["plans_31_march"]


def test_cla_and_plan_statistics_recomputed_from_the_files(clean, systems):
    for inbox, truth in (clean, systems):
        for source in PERSON_SOURCES:
            assert _compare(inbox, truth, source) >= 15
    _, truth = clean
    authority = authorities_for("borough")[0]
    for row in (r for r in truth["cla"]["expected"] if r["level"] == "census_code"):
        pop = residents(authority, row["year"]).between(0, 17).sum(axis=1)
        assert row["residents_0_17"] == pop[CENSUS_CODES.index(row["group"])]


def test_episodes_are_valid_ssda903(clean, systems):
    codes = {
        "sex": {"1", "2"},
        "reason_new_episode": {"S", "P", "T", "L"},
        "legal_status": {"C1", "C2", "V2", "E1", "J2", "L2"},
        "placement_type": {"U1", "U2", "U3", "U4", "U5", "U6", "K2", "P1", "R1", "S1", "Z1", "H5"},
        "placement_provider": {"PR0", "PR1", "PR4"},
        "category_of_need": {f"N{i}" for i in range(1, 9)},
    }
    for inbox, truth in (clean, systems):
        for record in truth["cla"]["files"]:
            frame = _read(inbox, record)
            for column, allowed in codes.items():
                assert set(frame[column]) <= allowed, column
            assert set(frame["ethnicity"]) <= set(_dfe_groups())
            assert frame["upn"].str.fullmatch(r"[A-HJ-NP-RT-Z]\d{12}|UN[15]").all()
            assert (frame["home_postcode"] == "").all() and (frame["placement_postcode"] == "").all()
            start, end = _dates(frame["episode_start"]), _dates(frame["episode_end"])
            assert (end.isna() | (end >= start)).all()
            year_end = pd.Timestamp(record["year"], 3, 31)
            assert (end.isna() | (end >= pd.Timestamp(record["year"] - 1, 4, 1))).all()  # overlaps the year
            same_child = frame["child_id"].eq(frame["child_id"].shift(-1))
            moved = frame["reason_episode_ceased"] == "X1"
            assert (moved == same_child).all()  # X1 exactly when another episode follows
            assert (end[moved] == start.shift(-1)[moved]).all()  # ...starting the same day
            assert frame.groupby("child_id")["episode_end"].apply(lambda e: (e == "").sum() <= 1).all()
            age = (year_end - _dates(frame["date_of_birth"])).dt.days / 365.25
            assert age[frame["episode_end"] == ""].between(0, 18).all()


def test_planted_rates_inside_their_confidence_intervals(clean):
    _, truth = clean
    for source, numerator in (("cla", "looked_after_31_march"), ("child_protection", "plans_31_march")):
        expected = {(r["year"], r["group"]): r for r in truth[source]["expected"]}
        for year in (2024, 2025):
            ref = expected[(year, "WBRI")]
            for group in ("MWBC", "BCRB", "BAFR", "AIND", "WOTH"):
                row = expected[(year, group)]
                low, high = _rr_ci(
                    row[numerator], row["residents_0_17"], ref[numerator], ref["residents_0_17"]
                )
                assert low <= row["planted_rate_ratio"] <= high, (source, year, group)
    cla = {(r["year"], r["group"]): r for r in truth["cla"]["expected"]}
    mixed = [r for (_, g), r in cla.items() if g.startswith("M") and len(g) == 4]
    asian = [r for (_, g), r in cla.items() if g in ("ABAN", "AIND", "APKN", "ACHN")]
    white = [r for (_, g), r in cla.items() if g == "WBRI"]
    totals = [
        sum(r[k] for r in rows)
        for rows in (mixed, asian, white)
        for k in ("looked_after_31_march", "residents_0_17")
    ]
    assert _rr_ci(*totals[:2], *totals[4:])[0] > 1.5  # Mixed clearly higher
    assert _rr_ci(*totals[2:4], *totals[4:])[1] < 0.7  # Asian clearly lower
    assert cla[(2025, "BAFR")]["planted_rate_ratio"] > cla[(2024, "BAFR")]["planted_rate_ratio"]  # rising


def test_ees_benchmarks_cover_every_authority_and_match_the_simulated_one(clean):
    inbox, truth = clean
    ees = truth["benchmarks_ees"]
    assert {f["measure"] for f in ees["files"]} == {"cla", "cpp"}
    for record in ees["files"]:
        assert Path(record["file"]).name.startswith(f"ees_{record['measure']}_")
        frame = _read(inbox, record)
        local = frame[frame["geographic_level"] == "Local authority"]
        assert local["new_la_code"].nunique() == len(all_authorities()) == 150
        assert set(frame["time_period"]) == {"2024", "2025"}
        assert (
            frame.groupby(["time_period", "geographic_level", "new_la_code", "region_code"])
            .size()
            .eq(27)
            .all()
        )
        values = pd.concat([frame["number"], frame["percentage"], frame["rate_per_10000"]])
        assert set(values[~values.str.fullmatch(r"\d+")]) <= {"c", "low", "x", "z"}
        assert {"c", "x", "z"} <= set(values)
        national = frame[frame["geographic_level"] == "National"]
        assert pd.to_numeric(national["number"]).mod(10).eq(0).all()
        # The simulated borough's rows are its realised children at 31 March (clean: = the truth).
        source, numerator = (
            ("cla", "looked_after_31_march")
            if record["measure"] == "cla"
            else ("child_protection", "plans_31_march")
        )
        borough = local[(local["new_la_code"] == "X09000001") & (local["group"] == "Ethnic group minor")]
        expected = {(r["year"], r["group"]): r[numerator] for r in truth[source]["expected"]}
        main_to_group = _dfe_groups()
        for _, row in borough.iterrows():
            group = main_to_group[EES_MINOR[row["characteristic"]]]
            if group == "unknown":
                continue
            count = expected[(int(row["time_period"]), group)]
            assert row["number"] == ("c" if 1 <= count <= 5 else str(count)), row["characteristic"]
        totals = local[local["group"] == "Total"]
        rates = pd.to_numeric(totals["rate_per_10000"])
        assert rates.between(15, 150).all()  # every authority plausible


def test_dirty_faults_sit_at_their_recorded_physical_rows(clean, dirty):
    clean_inbox, clean_truth = clean
    inbox, truth = dirty
    for source in care.SOURCES:
        faults = truth[source]["faults"]
        kinds = {f["fault"] for f in faults}
        assert {"duplicate_row", "text_in_numeric", "negative_number", "missing_required_column"} <= kinds
        assert any("unknown" in k for k in kinds) and any("range" in k for k in kinds)
        assert any("impossible" in k for k in kinds)
        assert sum(f["fault"] == "missing_required_column" for f in faults) == 1
        for record, clean_record in zip(truth[source]["files"], clean_truth[source]["files"], strict=True):
            lines = (inbox / record["file"]).read_text(encoding=record["encoding"]).splitlines()
            mine = [f for f in faults if f["file"] == record["file"]]
            if record["missing_columns"]:
                assert [f["fault"] for f in mine] == ["missing_required_column"]
                assert record["missing_columns"][0] not in lines[0].split(",")
                continue
            frame = _read(inbox, record)
            by_row = frame.set_index("_row")
            assert len(mine) >= 6
            for f in mine:
                assert by_row.loc[f["row"], f["canonical_column"]] == str(f["value"]), f
                if f["fault"] == "duplicate_row":
                    assert lines[f["row"] - 1] == lines[f["duplicate_of_row"] - 1]
            # Removing the faulty rows leaves exactly the clean file.
            kept = _without_faults(frame, faults, record["file"]).drop(columns="_row").reset_index(drop=True)
            clean_frame = _read(clean_inbox, clean_record).drop(columns="_row")
            copies = sorted(f["data_row"] for f in mine if f["fault"] == "duplicate_row")
            bad = [
                f["data_row"] - sum(c < f["data_row"] for c in copies) - 1
                for f in mine
                if f["fault"] != "duplicate_row"
            ]
            assert kept.equals(clean_frame.drop(index=bad).reset_index(drop=True))
    for source in PERSON_SOURCES:
        assert _compare(inbox, truth, source) >= 10
