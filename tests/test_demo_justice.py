"""The youth justice and stop and search demo sources: deterministic, visibly synthetic, readable
by ingest, realistic, and their ground truth is exactly what the files hold."""

from __future__ import annotations

import csv
import math
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from observatory.config import DBT_PROJECT_DIR
from observatory.contracts import Column, Contract, normalise_label
from observatory.demo import justice
from observatory.demo.authorities import CENSUS_CODES, authorities_for
from observatory.demo.context import DemoContext
from observatory.demo.faults import DirtyConfig
from observatory.demo.population import residents
from observatory.ingest.readers import ExtractError, read_extract
from openpyxl import load_workbook

YEARS = (date(2024, 3, 31), date(2025, 3, 31))
Z = 1.959964


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
    inbox = tmp_path_factory.mktemp("justice")
    return inbox, justice.write(inbox, _ctx())


@pytest.fixture(scope="module")
def dirty(tmp_path_factory) -> tuple[Path, dict]:
    inbox = tmp_path_factory.mktemp("justice_dirty")
    return inbox, justice.write(inbox, _ctx(dirty=True))


@pytest.fixture(scope="module")
def systems(tmp_path_factory) -> tuple[Path, dict]:
    """Authorities 2 and 3 use the other two case-management systems (XLSX report, canonical CSV)."""
    inbox = tmp_path_factory.mktemp("justice_systems")
    ctx = _ctx(authorities=authorities_for("london")[1:3], years=YEARS[1:])
    return inbox, justice.write(inbox, ctx)


def _files(inbox: Path) -> dict[str, bytes]:
    return {str(p.relative_to(inbox)): p.read_bytes() for p in sorted(inbox.rglob("*")) if p.is_file()}


def _read(inbox: Path, record: dict) -> pd.DataFrame:
    """A file's data rows as text with canonical column names and the physical row number."""
    path = inbox / record["file"]
    if record["format"] == "csv":
        frame = pd.read_csv(path, encoding=record["encoding"], dtype=str, keep_default_na=False)
    else:
        rows = list(load_workbook(path, read_only=True).worksheets[0].iter_rows(values_only=True))
        text = [
            ["" if v is None else v.strftime("%d/%m/%Y") if hasattr(v, "strftime") else str(v) for v in row]
            for row in rows[record["first_data_row"] - 1 : record["last_data_row"]]
        ]
        frame = pd.DataFrame(text, columns=list(rows[record["header_row"] - 1]))
    assert list(frame.columns) == record["header"]
    frame = frame.rename(columns=record["columns"])
    frame["_row"] = np.arange(len(frame)) + record["first_data_row"]
    return frame


def _seed_groups() -> dict[str, str]:
    """Written ethnicity value (normalised) -> Census code or 'unknown', straight from the seeds."""
    seeds = DBT_PROJECT_DIR / "seeds" / "ethnicity"
    with (seeds / "ethnicity_hr_labels.csv").open(encoding="utf-8") as f:
        out = {
            normalise_label(r["label_normalised"]): r["census_code"] or "unknown" for r in csv.DictReader(f)
        }
    with (seeds / "ethnicity_dfe_codes.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["code_level"] != "extended":
                out[normalise_label(r["dfe_code"])] = r["census_code"] or "unknown"
    return out


def _without_faults(frame: pd.DataFrame, faults: list[dict], file: str) -> pd.DataFrame:
    bad = {f["row"] for f in faults if f["file"] == file and f["level"] == "row"}
    return frame[~frame["_row"].isin(bad)]


def _yj_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Youth justice statistics per recorded group, from the text of a file."""
    yes = {"y", "yes", "true"}
    flag = {c: frame[c].str.lower().isin(yes) for c in ("first_time_entrant", "reoffended_12m", "custody")}
    remand = frame["remand"].map(normalise_label)
    court = ~frame["outcome"].map(normalise_label).isin({"youth caution", "youth conditional caution"})
    group = frame["ethnicity"].map(normalise_label).map(_seed_groups())
    assert group.notna().all()
    return pd.DataFrame(
        {
            "outcomes": group.value_counts(),
            "children": frame.groupby(group)["person_id"].nunique(),
            "first_time_entrants": flag["first_time_entrant"].groupby(group).sum(),
            "fte_reoffended_12m": (flag["first_time_entrant"] & flag["reoffended_12m"]).groupby(group).sum(),
            "sentenced": court.groupby(group).sum(),
            "remand_community": (
                court & remand.isin({"community", "remand to local authority accommodation"})
            )
            .groupby(group)
            .sum(),
            "remand_youth_detention": (
                court & remand.isin({"yda", "youth detention", "remand to youth detention accommodation"})
            )
            .groupby(group)
            .sum(),
            "custody": flag["custody"].groupby(group).sum(),
        }
    ).fillna(0)


def _compare_yj(inbox: Path, truth: dict) -> int:
    compared = 0
    yj = truth["youth_justice"]
    for record in yj["files"]:
        if record["missing_columns"]:
            continue
        frame = _without_faults(_read(inbox, record), yj["faults"], record["file"])
        frame = frame.drop_duplicates(subset="case_id", keep="first")
        got = _yj_counts(frame)
        for row in (r for r in yj["expected"] if r["file"] == record["file"] and r["level"] != "total"):
            counted = got.loc[row["group"]] if row["group"] in got.index else got.iloc[0] * 0
            for column in got.columns:
                assert int(counted[column]) == row[column], (record["file"], row["group"], column)
            compared += 1
    return compared


def _rr_ci(a: float, n1: float, c: float, n0: float) -> tuple[float, float]:
    """95% Poisson log interval of a rate ratio (methods.md section 3)."""
    rr = (a / n1) / (c / n0)
    se = math.sqrt(1 / a + 1 / c)
    return rr * math.exp(-Z * se), rr * math.exp(Z * se)


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(clean, tmp_path):
    inbox, truth = clean
    assert justice.write(tmp_path / "again", _ctx()) == truth
    assert _files(tmp_path / "again") == _files(inbox)
    justice.write(tmp_path / "other", _ctx(seed=7))
    other = _files(tmp_path / "other")
    assert other.keys() == _files(inbox).keys()
    assert all(other[name] != data for name, data in _files(inbox).items())


def test_every_file_says_it_is_synthetic(clean, systems):
    for inbox, truth in (clean, systems):
        for source in justice.SOURCES:
            for record in truth[source]["files"]:
                assert "synthetic" in record["file"]
                frame = _read(inbox, record)
                assert (frame["data_status"] == "SYNTHETIC").all()
    inbox, truth = systems
    xlsx = next(r for r in truth["youth_justice"]["files"] if r["format"] == "xlsx")
    first = next(
        load_workbook(inbox / xlsx["file"], read_only=True).worksheets[0].iter_rows(values_only=True)
    )
    assert first[0].startswith("SYNTHETIC DEMO DATA - Eastmarsh (synthetic)")


def test_ingest_readers_load_every_file_at_its_recorded_rows(clean, systems, dirty):
    for inbox, truth in (clean, systems, dirty):
        for source in justice.SOURCES:
            if truth is systems[1] and source == "stop_search":
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
                    source, source, "justice", "", columns + missing, columns[0].name, "snapshot"
                )
                if missing:
                    with pytest.raises(ExtractError, match="required column"):
                        read_extract(inbox / record["file"], contract)
                    continue
                extract = read_extract(inbox / record["file"], contract)
                rows = extract.frame["_source_row"]
                assert len(rows) == record["data_rows"] and extract.header_row == record["header_row"]
                assert (rows.iloc[0], rows.iloc[-1]) == (record["first_data_row"], record["last_data_row"])
                assert [r for r, why in extract.skipped_rows if why == "totals row"] == record["footer_rows"]


def test_borough_sizes_are_realistic(clean):
    _, truth = clean
    totals = [r for r in truth["youth_justice"]["expected"] if r["group"] == "all"]
    assert len(totals) == 2
    for row in totals:
        assert 30_000 < row["residents_10_17"] < 45_000
        assert 150 <= row["outcomes"] <= 600 and 60 <= row["first_time_entrants"] <= 200
        assert 1.5 <= row["first_time_entrants"] / row["residents_10_17"] * 1000 <= 6
    for row in truth["stop_search"]["expected"]:
        assert 2_000 <= row["person_searches"] <= 10_000 and 0 < row["vehicle_only_searches"] < 500


def test_youth_justice_statistics_recomputed_from_the_files(clean, systems):
    for inbox, truth in (clean, systems):
        assert _compare_yj(inbox, truth) >= 20
    _, truth = clean
    for row in truth["youth_justice"]["expected"]:
        if row["level"] == "census_code":
            authority = authorities_for("borough")[0]
            pop = residents(authority, row["year"]).between(10, 17).sum(axis=1)
            assert row["residents_10_17"] == pop[CENSUS_CODES.index(row["group"])]


def test_planted_first_time_entrant_ratios_inside_their_confidence_intervals_and_falling(clean):
    _, truth = clean
    expected = {(r["year"], r["group"]): r for r in truth["youth_justice"]["expected"]}
    for year in (2024, 2025):
        ref = expected[(year, "WBRI")]
        for group in ("BCRB", "MWBC", "BAFR", "AIND"):
            row = expected[(year, group)]
            low, high = _rr_ci(
                row["first_time_entrants"],
                row["residents_10_17"],
                ref["first_time_entrants"],
                ref["residents_10_17"],
            )
            assert low <= row["planted_fte_rate_ratio"] <= high, (year, group)
    # Black children's FTE rate is clearly above White British at borough scale (two years pooled).
    black = [r for (_, g), r in expected.items() if g in ("BAFR", "BCRB", "BOTH")]
    white = [r for (_, g), r in expected.items() if g == "WBRI"]
    low, _ = _rr_ci(
        *(
            sum(r[k] for r in rows)
            for rows in (black, white)
            for k in ("first_time_entrants", "residents_10_17")
        )
    )
    assert low > 1.3
    assert (
        expected[(2025, "BCRB")]["planted_fte_rate_ratio"]
        < expected[(2024, "BCRB")]["planted_fte_rate_ratio"]
    )
    assert expected[(2024, "AIND")]["planted_fte_rate_ratio"] == 1.0


def test_stop_search_statistics_recomputed_from_the_files(clean):
    inbox, truth = clean
    ss = truth["stop_search"]
    for record, stats in zip(ss["files"], ss["expected"], strict=True):
        frame = _read(inbox, record)
        people = frame[frame["type"] != "Vehicle search"]
        label_group = {
            **justice.SS.LABEL_GROUP,
            justice.SS.NOT_STATED_LABEL: "not_stated",
            "": "not_recorded",
        }
        groups = people["self_defined_ethnicity"].map(label_group)
        counts = groups.value_counts()
        arrests = (people["outcome"] == "Arrest").groupby(groups).sum()
        for row in stats["by_self_defined"]:
            assert row["searches"] == counts.get(row["group"], 0), row["group"]
            assert row["arrests"] == arrests.get(row["group"], 0), row["group"]
        officer = people["officer_defined_ethnicity"].replace("", "not_recorded").value_counts()
        assert stats["by_officer_defined"] == {k: int(officer.get(k, 0)) for k in stats["by_officer_defined"]}
        assert stats["vehicle_only_searches"] == int((frame["type"] == "Vehicle search").sum())
        assert pd.to_datetime(frame["date"], format="ISO8601", utc=True).is_monotonic_increasing
        assert frame["date"].str.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:00\+0[01]:00$").all()


def test_stop_search_rate_ratio_and_officer_mismatch_are_realistic(clean):
    _, truth = clean
    for stats in truth["stop_search"]["expected"]:
        rows = {r["group"]: r for r in stats["by_self_defined"]}
        black = [rows[g] for g in ("BAFR", "BCRB", "BOTH")]
        white = [rows[g] for g in ("WBRI", "WIRI", "WGYP", "WOTH")]
        ratio = (sum(r["searches"] for r in black) / sum(r["residents"] for r in black)) / (
            sum(r["searches"] for r in white) / sum(r["residents"] for r in white)
        )
        assert 3.0 <= ratio <= 4.5
        for group in ("BCRB", "AIND"):
            low, high = _rr_ci(
                rows[group]["searches"],
                rows[group]["residents"],
                rows["WBRI"]["searches"],
                rows["WBRI"]["residents"],
            )
            assert low <= rows[group]["planted_rate_ratio"] <= high
        cross = stats["self_major_by_officer"]
        assert cross["Mixed"]["Black"] > 0 and cross["Mixed"]["White"] > 0  # perceived variously
        assert cross["Black"]["Black"] / sum(cross["Black"].values()) > 0.9
        assert sum(cross["not_stated"].values()) > 0.1 * stats["person_searches"]


def test_every_youth_justice_system_holds_mappable_values(systems):
    inbox, truth = systems
    kinds = {r["system"] for r in truth["youth_justice"]["files"]}
    assert kinds == {"careworks_xlsx", "canonical_csv"}
    for record in truth["youth_justice"]["files"]:
        frame = _read(inbox, record)
        assert frame["ethnicity"].map(normalise_label).isin(_seed_groups()).all()
        assert pd.to_numeric(frame["age_at_offence"]).between(10, 17).all()
        for column in ("offence_date", "outcome_date"):
            pd.to_datetime(frame[column], format="%d/%m/%Y")
        assert frame["case_id"].is_unique


def test_dirty_faults_sit_at_their_recorded_physical_rows(clean, dirty):
    clean_inbox, clean_truth = clean
    inbox, truth = dirty
    for source in justice.SOURCES:
        faults = truth[source]["faults"]
        kinds = {f["fault"] for f in faults}
        assert {"duplicate_row", "impossible_date", "text_in_numeric", "missing_required_column"} <= kinds
        assert any("unknown" in k for k in kinds) and any("range" in k for k in kinds)
        assert sum(f["fault"] == "missing_required_column" for f in faults) == 1
        for record, clean_record in zip(truth[source]["files"], clean_truth[source]["files"], strict=True):
            lines = (inbox / record["file"]).read_text(encoding=record["encoding"]).splitlines()
            frame = _read(inbox, record)
            mine = [f for f in faults if f["file"] == record["file"]]
            if record["missing_columns"]:
                assert [f["fault"] for f in mine] == ["missing_required_column"]
                assert record["missing_columns"][0] not in lines[0]
                continue
            assert len(mine) >= 6
            by_row = frame.set_index("_row")
            for f in mine:
                cell = by_row.loc[f["row"], f["canonical_column"]]
                assert cell == str(f["value"]), f
                if f["fault"] == "duplicate_row":
                    assert lines[f["row"] - 1] == lines[f["duplicate_of_row"] - 1]
            # Every other row is exactly the clean file's row.
            kept = _without_faults(frame, faults, record["file"]).drop(columns="_row")
            clean_frame = _read(clean_inbox, clean_record).drop(columns="_row")
            bad = {f["data_row"] for f in mine if f["fault"] != "duplicate_row"}
            originals = clean_frame[~clean_frame.index.isin([r - 1 for r in _clean_rows(mine, bad)])]
            assert kept.reset_index(drop=True).equals(originals.reset_index(drop=True))
    assert _compare_yj(inbox, truth) >= 10


def _clean_rows(faults: list[dict], bad_data_rows: set[int]) -> list[int]:
    """Data-row numbers, in the clean file, of the rows given a (non-duplicate) fault: duplicates
    inserted above a row shift it down by one in the dirty file."""
    copies = sorted(f["data_row"] for f in faults if f["fault"] == "duplicate_row")
    return [r - sum(c < r for c in copies) for r in bad_data_rows]
