"""The resident survey demo source: deterministic, visibly synthetic, readable by ingest, and its
ground truth (weighted and unweighted estimates, planted gaps, faults) agrees with the files."""

from __future__ import annotations

import csv
from datetime import date
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from observatory.config import DBT_PROJECT_DIR
from observatory.contracts import normalise_label, parse_contract
from observatory.demo import survey
from observatory.demo.authorities import CENSUS_CODES, authorities_for
from observatory.demo.context import DemoContext
from observatory.demo.faults import DirtyConfig
from observatory.demo.survey_format import SUPPLIERS, column_aliases
from observatory.ingest.readers import ROW_COLUMN, ExtractError, RawExtract, read_extract

SOURCE = survey.SOURCE
REQUIRED = ("respondent_id", "fieldwork_date", "age_band", "sex", "ethnicity", "trust_council", "weight")


def _ctx(seed: int = 42, years: tuple[int, ...] = (2024, 2025), dirty: bool = False, authorities=None):
    return DemoContext(
        seed=seed,
        scale="borough",
        authorities=authorities or authorities_for("borough"),
        snapshot_dates=tuple(date(y, 3, 31) for y in years),
        dirty=DirtyConfig() if dirty else None,
    )


def _run(inbox: Path, **kwargs) -> dict:
    return survey.write(inbox, _ctx(**kwargs))[SOURCE]


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> tuple[Path, dict]:
    inbox = tmp_path_factory.mktemp("survey_clean")
    return inbox, _run(inbox)


@pytest.fixture(scope="module")
def dirty(tmp_path_factory) -> tuple[Path, dict]:
    inbox = tmp_path_factory.mktemp("survey_dirty")
    return inbox, _run(inbox, dirty=True)


@pytest.fixture(scope="module")
def suppliers(tmp_path_factory) -> tuple[Path, dict]:
    """Authorities 1-3 in one year: each of the three suppliers' layouts."""
    inbox = tmp_path_factory.mktemp("survey_suppliers")
    return inbox, _run(inbox, years=(2024,), authorities=authorities_for("london")[:3])


def _contract():
    aliases = column_aliases()
    doc = {
        "name": SOURCE,
        "domain": "survey",
        "period": {"column": "survey_wave"},
        "columns": [
            {"name": c, "type": "string", "required": c in REQUIRED, "aliases": list(a)}
            for c, a in aliases.items()
        ],
    }
    return parse_contract(doc)


@cache
def _extract(path: str, mtime_ns: int) -> RawExtract:
    """Read once per file version: openpyxl takes most of a second per survey workbook."""
    return read_extract(Path(path), _contract())


def _read(inbox: Path, record: dict) -> pd.DataFrame:
    path = inbox / record["file"]
    extract = _extract(str(path), path.stat().st_mtime_ns)
    assert extract.malformed_rows == [] and extract.header_row == record["header_row"]
    return extract.frame.copy()


def _label_codes() -> dict[str, str]:
    with (DBT_PROJECT_DIR / "seeds/ethnicity/ethnicity_hr_labels.csv").open(encoding="utf-8") as f:
        return {normalise_label(r["label_normalised"]): r["census_code"] for r in csv.DictReader(f)}


def _files(inbox: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((inbox / SOURCE).iterdir())}


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(clean, tmp_path):
    inbox, truth = clean
    assert _run(tmp_path / "again") == truth
    assert _files(tmp_path / "again") == _files(inbox)
    _run(tmp_path / "other", seed=7)
    other = _files(tmp_path / "other")
    assert other.keys() == _files(inbox).keys()
    assert all(other[name] != data for name, data in _files(inbox).items())


def test_every_file_says_synthetic(clean, suppliers):
    for inbox, truth in (clean, suppliers):
        for record in truth["files"]:
            path = inbox / record["file"]
            assert "synthetic" in path.name and path.name.startswith(f"{SOURCE}_X09")
            frame = _read(inbox, record)
            if record["format"] == "csv":
                assert (frame["data_status"] == "SYNTHETIC").all()
            else:
                assert record["title_rows"] == [1, 2]
                extract = _extract(str(path), path.stat().st_mtime_ns)
                assert extract.skipped_rows[0] == (1, "title row above the header")
                assert (record["footer_rows"][0], "totals row") in extract.skipped_rows


def test_files_are_read_by_ingest_with_their_physical_rows(clean, suppliers):
    for inbox, truth in (clean, suppliers):
        for record in truth["files"]:
            frame = _read(inbox, record)
            assert len(frame) == record["data_rows"] == record["respondents"]
            rows = frame[ROW_COLUMN].tolist()
            assert rows == list(range(record["first_data_row"], record["last_data_row"] + 1))
            assert frame["respondent_id"].is_unique
            assert (frame["authority_code"] == record["authority_code"]).all()


def test_each_supplier_has_its_own_layout_and_a_retender_changes_it(clean, suppliers):
    inbox, truth = suppliers
    assert [r["supplier"] for r in truth["files"]] == [0, 1, 2]
    assert len({tuple(r["header"]) for r in truth["files"]}) == 3
    assert [r["format"] for r in truth["files"]] == ["csv", "csv", "xlsx"]
    cp1252 = (inbox / truth["files"][1]["file"]).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        cp1252.decode("utf-8")  # curly apostrophes in ward names are single cp1252 bytes
    assert (inbox / truth["files"][0]["file"]).read_bytes().startswith(b"\xef\xbb\xbf")
    # Northbrook changed supplier for 2024/25: its two years come in two layouts.
    assert [r["supplier"] for r in clean[1]["files"]] == [0, 2]
    grossed = _read(inbox, truth["files"][2])["weight"].astype(float).sum()
    assert grossed == pytest.approx(truth["samples"][2]["population_16_plus"], rel=1e-5)


def test_sizes_and_the_skew_the_weights_correct(clean):
    _, truth = clean
    for sample in truth["samples"]:
        assert 1000 <= sample["respondents"] <= 2000
        assert sample["share_65_plus_sample_pct"] > sample["share_65_plus_population_pct"] + 8
        assert sample["share_white_british_sample_pct"] > sample["share_white_british_population_pct"] + 5
        assert 1.2 < sample["design_effect_kish"] < 2.0


def _recompute(inbox: Path, record: dict, include_rows: set[int] | None = None) -> dict[tuple, tuple]:
    """(question, group) -> (n, n_positive, weighted base, weighted positive) from the file alone."""
    frame = _read(inbox, record)
    if include_rows is not None:
        frame = frame[frame[ROW_COLUMN].isin(include_rows)]
    codes = frame["ethnicity"].map(normalise_label).map(_label_codes()).replace("", None)
    weight = frame["weight"].astype(float)
    out = {}
    for q in survey.QUESTIONS:
        base = frame[q.name] != ""
        positive = frame[q.name].isin(q.positive)
        groups = [("all", base)] + [(c, base & (codes == c)) for c in CENSUS_CODES]
        for group, mask in groups:
            if mask.any():
                out[(q.name, group)] = (
                    int(mask.sum()),
                    int((mask & positive).sum()),
                    weight[mask].sum(),
                    weight[mask & positive].sum(),
                )
    return out


def _check_estimates(inbox: Path, truth: dict, record: dict, include_rows=None) -> int:
    got = _recompute(inbox, record, include_rows)
    expected = [e for e in truth["estimates"] if e["file"] == record["file"]]
    assert len(expected) == len(got)
    for e in expected:
        n, n_pos, w_base, w_pos = got[(e["question"], e["group"])]
        assert (n, n_pos) == (e["n"], e["n_positive"]), e
        assert n_pos / n * 100 == pytest.approx(e["pct_unweighted"], abs=1e-5)
        assert w_base == pytest.approx(e["weighted_base"], abs=1e-5)
        assert w_pos / w_base * 100 == pytest.approx(e["pct_weighted"], abs=1e-5)
    return len(expected)


def test_estimates_recomputed_from_the_files_match_the_ground_truth(clean, suppliers):
    for inbox, truth in (clean, suppliers):
        for record in truth["files"]:
            assert _check_estimates(inbox, truth, record) > 50


def _trust(truth: dict, year: int, group: str) -> dict:
    return next(
        e
        for e in truth["estimates"]
        if e["year"] == year and e["question"] == "trust_council" and e["group"] == group
    )


def test_planted_trust_gaps_null_effect_and_trend(clean):
    _, truth = clean
    for year in (2024, 2025):
        wbri = _trust(truth, year, "WBRI")
        assert _trust(truth, year, "BCRB")["population_pct"] == wbri["population_pct"] - 25
        assert _trust(truth, year, "BAFR")["population_pct"] == wbri["population_pct"] - 18
        assert wbri["pct_weighted"] - _trust(truth, year, "BCRB")["pct_weighted"] > 15
        assert wbri["pct_weighted"] - _trust(truth, year, "BAFR")["pct_weighted"] > 10
        assert _trust(truth, year, "AIND")["population_pct"] == wbri["population_pct"]  # null effect
        assert abs(_trust(truth, year, "AIND")["pct_weighted"] - wbri["pct_weighted"]) < 6
        for group in ("WBRI", "BCRB", "BAFR", "all"):
            e = _trust(truth, year, group)
            assert abs(e["pct_weighted"] - e["population_pct"]) < 8, e
    assert _trust(truth, 2024, "WBRI")["population_pct"] - _trust(truth, 2025, "WBRI")["population_pct"] == 3


def test_weighting_matters_unweighted_overstates_trust(clean):
    _, truth = clean
    for effect in truth["weighting_effect"]:
        assert effect["unweighted_minus_weighted_pp"] > 3
        weighted_error = abs(effect["pct_weighted"] - effect["population_pct"])
        assert abs(effect["pct_unweighted"] - effect["population_pct"]) > weighted_error + 2


def test_weights_rake_to_the_population_16_plus(clean):
    inbox, truth = clean
    authority = authorities_for("borough")[0]
    for record in truth["files"]:
        frame = _read(inbox, record)
        weight = frame["weight"].astype(float)
        pop = survey.adults_by_band(authority, record["year"])
        spelling = SUPPLIERS[record["supplier"]].age_band
        band = frame["age_band"].map({label: i for i, label in enumerate(spelling)})
        got = weight.groupby(band.astype(int)).sum() / weight.sum()
        expected = pop.sum(axis=(0, 1)) / pop.sum()
        np.testing.assert_allclose(got.sort_index().to_numpy(), expected, atol=2e-5)


def test_dirty_faults_are_recorded_at_their_physical_rows(dirty, clean):
    inbox, truth = dirty
    rejected = [r for r in truth["files"] if r["rejected"]]
    assert len(rejected) == 1 and "weight" not in rejected[0]["columns"].values()
    with pytest.raises(ExtractError, match="required column"):
        read_extract(inbox / rejected[0]["file"], _contract())
    assert not [e for e in truth["estimates"] if e["file"] == rejected[0]["file"]]
    missing = [f for f in truth["faults"] if f["fault"] == "missing_required_column"]
    assert [(f["file"], f["column"]) for f in missing] == [(rejected[0]["file"], "Weight")]

    for record in (r for r in truth["files"] if not r["rejected"]):
        faults = [f for f in truth["faults"] if f["file"] == record["file"]]
        assert {f["fault"] for f in faults} >= {
            "unknown_ethnicity_label", "unknown_answer_code", "duplicate_row", "impossible_date",
            "negative_weight", "text_in_numeric", "weight_out_of_range",
        }  # fmt: skip
        assert len(faults) == pytest.approx(0.01 * record["respondents"], abs=2)
        frame = _read(inbox, record).set_index(ROW_COLUMN)
        for f in faults:
            value = frame.at[f["row"], f["canonical_column"]]
            assert value == f["value"] or float(value) == f["value"], f
            assert frame.at[f["row"], "respondent_id"] == f["respondent_id"]
            if f["fault"] == "duplicate_row":
                assert frame.loc[f["duplicate_of_row"]].equals(frame.loc[f["row"]])
        # The statistics are those of every row not listed (a duplicate's original counts).
        listed = {f["row"] for f in faults}
        kept = set(frame.index) - listed
        _check_estimates(inbox, truth, record, include_rows=kept)
        # Every other row is the clean row.
        clean_frame = _read(clean[0], record).set_index("respondent_id")
        other = frame[~frame.index.isin(listed)].set_index("respondent_id")
        pd.testing.assert_frame_equal(other.drop(columns=ROW_COLUMN, errors="ignore"),
                                      clean_frame.loc[other.index].drop(columns=ROW_COLUMN))  # fmt: skip
