"""The synthetic demo generator: deterministic, visibly synthetic, valid per contract, and its
ground truth agrees with the files it wrote (so pipeline tests can trust it)."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
import zipfile
from datetime import date
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from observatory.config import DBT_PROJECT_DIR
from observatory.contracts import get_contract, normalise_label
from observatory.demo import generate, hr
from observatory.demo.authorities import authorities_for
from observatory.demo.context import DemoContext
from observatory.ingest.load import check_file
from openpyxl import load_workbook

SOURCE = "hr_payroll"
DAYS = {"weekly": 7, "fortnightly": 14, "four-weekly": 28, "monthly": 30.44, "annual": 365.25}


@pytest.fixture(scope="module")
def borough(tmp_path_factory) -> tuple[Path, dict]:
    inbox = tmp_path_factory.mktemp("borough")
    return inbox, generate(inbox, seed=42)


@pytest.fixture(scope="module")
def dirty(tmp_path_factory) -> tuple[Path, dict]:
    inbox = tmp_path_factory.mktemp("dirty")
    return inbox, generate(inbox, seed=42, dirty=True, years=2)


def _files(inbox: Path) -> dict[str, bytes]:
    return {str(p.relative_to(inbox)): p.read_bytes() for p in sorted(inbox.rglob("*")) if p.is_file()}


def _hr(truth: dict) -> dict:
    return truth["sources"][SOURCE]


def _label_codes() -> dict[str, str]:
    """normalised label -> census code ('' for declined / not recorded)."""
    with (DBT_PROJECT_DIR / "seeds/ethnicity/ethnicity_hr_labels.csv").open(encoding="utf-8") as f:
        return {normalise_label(r["label_normalised"]): r["census_code"] for r in csv.DictReader(f)}


@cache
def _xlsx_rows(path: Path) -> list[tuple]:
    """Every row of the first sheet, read by openpyxl as ingest does (~2 s a sheet, so cached)."""
    return list(load_workbook(path, read_only=True).worksheets[0].iter_rows(values_only=True))


def _sheet_cells(path: Path) -> dict[str, str]:
    """Cell reference -> text straight from the sheet XML: a fast check of where a cell sits."""
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    with zipfile.ZipFile(path) as z, z.open("xl/worksheets/sheet1.xml") as f:
        return {c.get("r"): "".join(c.itertext()) for c in ET.parse(f).iter(f"{ns}c")}


def _read_file(path: Path, fmt: str, header_row: int, first: int, last: int) -> pd.DataFrame:
    """Cells as text, UK dates as a CSV would print them."""
    if fmt == "csv":
        return pd.read_csv(path, encoding="cp1252", dtype=str, keep_default_na=False)
    rows = _xlsx_rows(path)
    text = [
        ["" if v is None else v.strftime("%d/%m/%Y") if hasattr(v, "strftime") else str(v) for v in row]
        for row in rows[first - 1 : last]
    ]
    return pd.DataFrame(text, columns=list(rows[header_row - 1]))


def _read(inbox: Path, record: dict) -> pd.DataFrame:
    """A file's data rows as text, with canonical column names and the physical row number."""
    frame = _read_file(
        inbox / record["file"],
        record["format"],
        record["header_row"],
        record["first_data_row"],
        record["last_data_row"],
    )
    assert list(frame.columns) == record["header"]
    frame = frame.rename(columns=record["columns"])
    frame["_row"] = np.arange(len(frame)) + record["first_data_row"]
    return frame


def _money(text: pd.Series) -> pd.Series:
    return pd.to_numeric(text.str.replace(r"[£,]", "", regex=True))


def _hourly(frame: pd.DataFrame) -> pd.DataFrame:
    """Regulation hourly pay from the text columns of a payroll extract."""
    contract = get_contract(SOURCE)
    period = frame["pay_period"].map(normalise_label).map(contract.column("pay_period").value_lookup())
    days = period.map(DAYS)
    basic, allow, bonus = (
        _money(frame[c]) for c in ("basic_pay_in_period", "allowances_in_period", "bonus_pay_12m")
    )
    out = pd.DataFrame(
        {
            "hourly": (basic + allow + bonus * days / 365.25)
            * 7
            / days
            / pd.to_numeric(frame["weekly_hours"]),
            "code": frame["ethnicity"].map(normalise_label).map(_label_codes()).replace("", None),
            "fpr": frame["reduced_pay_due_to_leave"] == "N",
        }
    )
    return out[out["fpr"]]


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(borough, tmp_path):
    inbox, truth = borough
    again = tmp_path / "again"
    assert generate(again, seed=42) == truth
    assert _files(again) == _files(inbox)
    other = generate(tmp_path / "other", seed=7, years=1)
    name = f"{SOURCE}/{SOURCE}_X09000001_2025-03-31_synthetic.xlsx"
    assert (tmp_path / "other" / name).read_bytes() != (inbox / name).read_bytes()
    assert other["seed"] == 7


def test_ground_truth_file_matches_return_value(borough):
    inbox, truth = borough
    assert json.loads((inbox / "ground_truth.json").read_text(encoding="utf-8")) == truth
    assert truth["synthetic"] is True and truth["mode"] == "clean" and _hr(truth)["faults"] == []
    assert truth["snapshot_dates"] == ["2021-03-31", "2022-03-31", "2023-03-31", "2024-03-31", "2025-03-31"]


def test_everything_says_synthetic(borough):
    inbox, truth = borough
    files = [p for p in (inbox / SOURCE).iterdir()]
    assert len(files) == 5 and all("synthetic" in p.name for p in files)
    assert [a["code"] for a in truth["authorities"]] == ["X09000001"]
    assert truth["authorities"][0]["name"] == "Northbrook (synthetic)"
    xlsx = [r for r in _hr(truth)["files"] if r["format"] == "xlsx"]
    assert [r["snapshot_date"] for r in xlsx] == ["2025-03-31"]  # the latest year only
    rows = _xlsx_rows(inbox / xlsx[0]["file"])
    assert rows[0][0] == "SYNTHETIC DEMO DATA - Northbrook (synthetic) payroll snapshot 31/03/2025"
    assert xlsx[0]["title_rows"] == [1, 2] and xlsx[0]["header_row"] == 3
    assert rows[xlsx[0]["footer_rows"][0] - 1][0] == "Total"
    assert len(rows) == xlsx[0]["footer_rows"][0]


def test_csv_is_cp1252_with_the_header_first(borough):
    inbox, truth = borough
    for record in (r for r in _hr(truth)["files"] if r["format"] == "csv"):
        data = (inbox / record["file"]).read_bytes()
        text = data.decode("cp1252")
        assert text.encode("cp1252") == data
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")  # '£' and accented names are single cp1252 bytes
        assert "£" in text and "\r\n" in text
        assert next(csv.reader([text.splitlines()[0]])) == record["header"]


def test_headcounts_in_range_and_match_files(borough):
    inbox, truth = borough
    for record, counts in zip(_hr(truth)["files"], _hr(truth)["headcounts"], strict=True):
        frame = _read(inbox, record)
        assert 4000 <= len(frame) <= 7000
        assert len(frame) == record["data_rows"] == counts["employees"] == counts["stats_rows"]
        assert frame["employee_id"].is_unique
        assert sum(counts["ethnicity"].values()) == len(frame)


def _assert_valid_per_contract(inbox: Path, record: dict) -> None:
    contract = get_contract(SOURCE)
    assert {h: contract.resolve_header(h) for h in record["header"]} == record["columns"]
    frame = _read(inbox, record)
    for column in contract.columns:
        values = frame[column.name]
        if column.required:
            assert (values.str.strip() != "").all(), column.name
        if column.type == "category":
            assert values.map(normalise_label).isin(column.value_lookup()).all(), column.name
        if column.type == "decimal":
            numbers = _money(values.replace("", np.nan))
            assert numbers.notna().all() or not column.required, column.name
            assert numbers.dropna().between(column.min or 0, column.max or np.inf).all(), column.name
        if column.type == "date":
            pd.to_datetime(values, format="%d/%m/%Y")  # raises on an impossible date
    assert frame["ethnicity"].map(normalise_label).isin(_label_codes()).all()
    assert set(frame["reduced_pay_due_to_leave"]) == {"Y", "N"}
    assert (frame["snapshot_date"] == pd.Timestamp(record["snapshot_date"]).strftime("%d/%m/%Y")).all()
    assert frame["employee_id"].is_unique


def test_clean_rows_are_valid_per_contract(borough):
    inbox, truth = borough
    for record in _hr(truth)["files"]:
        assert all(h != c for h, c in record["columns"].items())  # Northbrook's own aliases
        _assert_valid_per_contract(inbox, record)


def test_every_hr_system_writes_valid_extracts(tmp_path):
    """Authorities 2-5 use the other HR systems: other aliases, spellings and money formats."""
    ctx = DemoContext(
        seed=42,
        scale="london",
        authorities=authorities_for("london")[1:5],
        snapshot_dates=(date(2024, 3, 31),),
        dirty=None,
    )
    truth = hr.write_payroll(tmp_path / SOURCE, ctx)
    assert len({tuple(r["header"]) for r in truth["files"]}) == 4
    for record in truth["files"]:
        _assert_valid_per_contract(tmp_path, record)


def test_planted_gap_recomputed_from_the_files(borough):
    """The median (and mean) hourly gap of Black African vs White British staff, from the files alone."""
    inbox, truth = borough
    hr = _hr(truth)
    for record in hr["files"]:
        pay = _hourly(_read(inbox, record))
        expected = {
            g["group"]: g
            for g in hr["pay_gaps"]
            if g["snapshot_date"] == record["snapshot_date"] and g["level"] == "census_code"
        }
        wbri, bafr = pay[pay["code"] == "WBRI"]["hourly"], pay[pay["code"] == "BAFR"]["hourly"]
        median_gap = (wbri.median() - bafr.median()) / wbri.median() * 100
        mean_gap = (wbri.mean() - bafr.mean()) / wbri.mean() * 100
        assert median_gap == pytest.approx(expected["BAFR"]["median_gap_pct"], abs=1e-4)
        assert mean_gap == pytest.approx(expected["BAFR"]["mean_gap_pct"], abs=1e-4)
        assert expected["BAFR"]["n"] == len(bafr)
        assert 10 < median_gap < 20  # the planted ~15%
        assert abs(expected["AIND"]["median_gap_pct"]) < 3  # no planted effect


def test_top_earners_share_recomputed_and_rising(borough):
    inbox, truth = borough
    hr = _hr(truth)
    shares = []
    for record, top in zip(hr["files"], hr["top_earners"], strict=True):
        pay = _hourly(_read(inbox, record))
        top_rows = pay[pay["hourly"] >= pay["hourly"].quantile(0.95)]
        known = top_rows["code"].notna()
        share = (top_rows["code"][known] != "WBRI").mean() * 100
        assert share == pytest.approx(top["minority_share_pct"], abs=1e-4)
        assert abs(share - top["target_share_pct"]) < 3
        shares.append(share)
    assert shares[0] < shares[-1] and shares[0] == pytest.approx(25, abs=3)


def test_dirty_mode_records_every_fault(dirty, borough):
    inbox, truth = dirty
    hr = _hr(truth)
    assert truth["mode"] == "dirty" and truth["dirty_config"]["rate"] == 0.01
    assert {r["format"] for r in hr["files"]} == {"csv", "xlsx"}
    known_labels = _label_codes()
    for record in hr["files"]:
        faults = [f for f in hr["faults"] if f["file"] == record["file"]]
        assert {f["fault"] for f in faults} == {
            "unknown_ethnicity_label",
            "duplicate_row",
            "impossible_date",
            "negative_pay",
            "text_in_numeric",
            "weekly_hours_out_of_range",
        }
        assert len(faults) == pytest.approx(0.01 * record["data_rows"], abs=2)
        if record["format"] == "csv":
            frame = _read(inbox, record).set_index("_row")

            def cell(row: int, column: str, frame=frame) -> str:
                return frame.at[row, column]
        else:
            sheet = _sheet_cells(inbox / record["file"])
            letter = {record["columns"][h]: chr(65 + i) for i, h in enumerate(record["header"])}

            def cell(row: int, column: str, sheet=sheet, letter=letter) -> str:
                return sheet.get(f"{letter[column]}{row}", "")

        for f in faults:
            value = cell(f["row"], f["canonical_column"])
            assert value == f["value"] or float(value) == f["value"], f
            assert cell(f["row"], "employee_id") == f["employee_id"]
            if f["fault"] == "duplicate_row":
                assert cell(f["duplicate_of_row"], "employee_id") == f["employee_id"]
            if f["fault"] == "unknown_ethnicity_label":
                assert normalise_label(value) not in known_labels
        # Every other row is exactly the clean row: dirty = clean + the recorded faults.
        if record["format"] == "csv":
            faulty = {f["employee_id"] for f in faults}
            clean = (borough[0] / record["file"]).read_bytes().decode("cp1252").splitlines()
            lines = (inbox / record["file"]).read_bytes().decode("cp1252").splitlines()
            assert len(lines) == len(clean) + sum(f["fault"] == "duplicate_row" for f in faults)
            assert [x for x in lines if x.split(",")[0] not in faulty] == [
                x for x in clean if x.split(",")[0] not in faulty
            ]


def test_authorities_are_fictional_and_distinct():
    london, england = authorities_for("london"), authorities_for("england")
    assert len(london) == 33 and len(england) == 150 and england[:33] == london
    assert all(a.code.startswith("X09") and len(a.code) == 9 for a in england)
    assert len({a.code for a in england}) == len({a.name for a in england}) == 150
    assert all(a.name.endswith("(synthetic)") for a in england)
    assert all(a.region == "London" for a in london)
    mixes = {tuple(round(v, 3) for _, v in a.workforce_mix) for a in england}
    assert len(mixes) == 150
    assert all(abs(sum(a.mix.values()) - 1) < 1e-9 for a in england)
    top = {a.short_name: max(a.mix, key=lambda c: 0 if c == "WBRI" else a.mix[c]) for a in london[:4]}
    assert top["Eastmarsh"] == "ABAN" and top["Kestrel Vale"] == "BAFR" and top["Hollowgate"] == "WOTH"


def test_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError):
        generate(tmp_path, scale="world")
    with pytest.raises(ValueError):
        generate(tmp_path, years=0)


def test_ingest_quarantines_exactly_the_planted_row_faults(dirty, monkeypatch):
    """Dirty mode and ingest agree: every planted row fault is quarantined at its physical row, and
    nothing else; an unknown ethnicity label loads (it is a data-quality finding for the marts)."""
    monkeypatch.setenv("OBSERVATORY_AUTHORITY_CODE", "X09000001")
    inbox, truth = dirty
    hr = _hr(truth)
    contract = get_contract(SOURCE)
    for record, counts in zip(hr["files"], hr["headcounts"], strict=True):
        validated, result = check_file(contract, inbox / record["file"], demo=True)
        faults = [f for f in hr["faults"] if f["file"] == record["file"]]
        row_faults = {f["row"] for f in faults if f["fault"] != "unknown_ethnicity_label"}
        assert set(validated.quarantine["source_row"]) == row_faults, record["file"]
        assert result.rows_in == record["data_rows"]
        assert result.rows_loaded == counts["stats_rows"] + sum(
            f["fault"] == "unknown_ethnicity_label" for f in faults
        )
