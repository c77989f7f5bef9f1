"""Population denominators of the demo generator: the Census TS021 bulk CSV and the mid-year tables
hold exactly the shared resident population, in readable real-world shapes, and dirty mode records
every fault where it is."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
import zipfile
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from observatory.contracts import parse_contract
from observatory.demo import population as P
from observatory.demo import population_census as PC
from observatory.demo import population_files as PF
from observatory.demo.authorities import CENSUS_CODES, all_authorities, authorities_for
from observatory.demo.context import DemoContext
from observatory.demo.faults import DirtyConfig
from observatory.ingest.readers import read_extract
from openpyxl import load_workbook

YEARS = 2


def _ctx(seed: int = 42, dirty: bool = False, authorities=None) -> DemoContext:
    return DemoContext(
        seed=seed,
        scale="borough",
        authorities=authorities or authorities_for("borough"),
        snapshot_dates=tuple(date(2025 - YEARS + 1 + i, 3, 31) for i in range(YEARS)),
        dirty=DirtyConfig() if dirty else None,
    )


def _both(inbox: Path, ctx: DemoContext) -> dict:
    """The two sources' truths as one: the census file first, then the mid-year tables."""
    out = PF.write(inbox, ctx)
    census, mye = out[PC.CENSUS_SOURCE], out[PF.SOURCE]
    return {
        **mye,
        "files": census["files"] + mye["files"],
        "faults": census["faults"] + mye["faults"],
        "census_ts021": census["census_ts021"],
    }


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> tuple[Path, dict]:
    inbox = tmp_path_factory.mktemp("clean")
    return inbox, _both(inbox, _ctx())


@pytest.fixture(scope="module")
def dirty(tmp_path_factory) -> tuple[Path, dict]:
    inbox = tmp_path_factory.mktemp("dirty")
    return inbox, _both(inbox, _ctx(dirty=True))


@pytest.fixture(scope="module")
def publishers(tmp_path_factory) -> tuple[Path, dict]:
    """Authorities 1-3: one of each publisher's shape (ONS XLSX, GLA CSV, council CSV)."""
    inbox = tmp_path_factory.mktemp("publishers")
    return inbox, _both(inbox, _ctx(authorities=authorities_for("london")[:3]))


def _files(inbox: Path) -> dict[str, bytes]:
    return {str(p.relative_to(inbox)): p.read_bytes() for p in sorted(inbox.rglob("*")) if p.is_file()}


def _rows(inbox: Path, record: dict) -> list[list[str]]:
    """Every physical row of a file as text (row 1 first), XLSX dates as dd/mm/yyyy."""
    path = inbox / record["file"]
    if record["format"] == "csv":
        text = path.read_bytes().decode(record["encoding"])
        return list(csv.reader(io.StringIO(text, newline="")))
    sheet = load_workbook(path, read_only=True).worksheets[0]
    return [
        ["" if v is None else v.strftime("%d/%m/%Y") if hasattr(v, "strftime") else str(v) for v in row]
        for row in sheet.iter_rows(values_only=True)
    ]


def _data(inbox: Path, record: dict, skip_rows: frozenset[int] = frozenset()) -> pd.DataFrame:
    """A file's data rows (but the physical rows in ``skip_rows``) with canonical column names,
    counts as integers."""
    rows = _rows(inbox, record)
    header = rows[record["header_row"] - 1]
    assert header[: len(record["header"])] == record["header"]
    first, last = record["first_data_row"], record["last_data_row"]
    body = [rows[i - 1][: len(header)] for i in range(first, last + 1) if i not in skip_rows]
    frame = pd.DataFrame(body, columns=header).rename(columns=record["columns"])
    for column in PF.BAND_COLUMNS:
        if column in frame:
            frame[column] = frame[column].str.replace(",", "").astype(int)
    return frame


def _mye(truth: dict) -> list[dict]:
    return [r for r in truth["files"] if r["table"] == "mid_year_estimates"]


def test_same_seed_gives_identical_bytes_and_the_population_is_a_fixed_fact(clean, tmp_path):
    inbox, truth = clean
    assert _both(tmp_path / "again", _ctx()) == truth
    assert _files(tmp_path / "again") == _files(inbox)
    other = _files(_write(tmp_path / "other", _ctx(seed=7)))
    for name, data in _files(inbox).items():
        # The population does not depend on the seed; only the XLSX title row says which seed it was.
        assert (other[name] == data) == name.endswith(".csv"), name


def _write(inbox: Path, ctx: DemoContext) -> Path:
    PF.write(inbox, ctx)
    return inbox


def test_dirty_faults_depend_on_the_seed(dirty, tmp_path):
    other = _both(tmp_path, _ctx(seed=7, dirty=True))
    assert [(f["file"], f["row"]) for f in other["faults"]] != [
        (f["file"], f["row"]) for f in dirty[1]["faults"]
    ]


def test_every_file_says_synthetic(publishers):
    inbox, truth = publishers
    assert {r["format"] for r in truth["files"]} == {"csv", "xlsx"}
    for record in truth["files"]:
        assert "synthetic" in record["file"]
        rows = _rows(inbox, record)
        data = rows[record["first_data_row"] - 1 : record["last_data_row"]]
        assert all(any("(synthetic)" in cell for cell in row) for row in data), record["file"]
        if record["format"] == "xlsx":
            assert rows[0][0].startswith("SYNTHETIC DEMO DATA")
            assert rows[record["footer_rows"][0] - 1][0] == "Total"


def test_census_file_is_the_ts021_bulk_shape_with_every_authority(clean):
    inbox, truth = clean
    record = truth["files"][0]
    assert record["file"] == "population_census/population_census2021_ts021_synthetic.csv"
    header = _rows(inbox, record)[0]
    assert header[:4] == ["date", "geography", "geography code", "Ethnic group: Total: All usual residents"]
    assert len(header) == 3 + 1 + 5 + 19
    assert "Ethnic group: Asian, Asian British or Asian Welsh: Bangladeshi" in header
    assert "Ethnic group: Black, Black British, Black Welsh, Caribbean or African: African" in header
    frame = pd.read_csv(inbox / record["file"], dtype={"date": str})
    assert len(frame) == 152 and set(frame["date"]) == {"2021"}
    assert list(frame["geography code"][:2]) == ["E92000001", "E12000007"]
    assert list(frame["geography code"][2:]) == [a.code for a in all_authorities()]
    detailed = [h for k, h in PC.TS021 if k in CENSUS_CODES]
    majors = [h for k, h in PC.TS021 if k in PC.MAJORS]
    total = frame["Ethnic group: Total: All usual residents"]
    assert (frame[detailed].sum(axis=1) == total).all() and (frame[majors].sum(axis=1) == total).all()
    london = frame["geography code"].isin([a.code for a in all_authorities() if a.region == "London"])
    assert (frame.loc[2:, detailed].sum() == frame.loc[0, detailed]).all()  # England = all authorities
    assert (frame.loc[london, detailed].sum() == frame.loc[1, detailed]).all()
    assert 50e6 < total[0] < 60e6 and 8e6 < total[1] < 11e6  # England- and London-like sizes


def test_census_counts_are_the_shared_residents_of_mid_2021(clean):
    inbox, truth = clean
    frame = pd.read_csv(inbox / truth["files"][0]["file"]).set_index("geography code")
    detailed = [h for k, h in PC.TS021 if k in CENSUS_CODES]
    expected = {r["geography_code"]: r for r in truth["census_ts021"]}
    for authority in all_authorities()[:40:7]:
        by_group = P.residents(authority, 2022).counts.sum(axis=(1, 2))
        by_code = {k: int(frame.at[authority.code, h]) for k, h in PC.TS021 if h in detailed}
        assert by_code == dict(zip(CENSUS_CODES, by_group.tolist(), strict=True))
        assert expected[authority.code]["counts"] == by_code


def test_mid_year_tables_hold_residents_by_sex_group_and_band(publishers):
    inbox, truth = publishers
    labels = {}
    for record in _mye(truth):
        frame = _data(inbox, record)
        assert len(frame) == 38 == record["data_rows"]
        authority = next(a for a in all_authorities() if a.code == record["authority_code"])
        residents = P.residents(authority, record["residents_year"])
        code = frame["ethnic_group"].map(record["ethnic_group_labels"])
        sex = frame["sex"].map(record["sex_labels"])
        assert code.notna().all() and sex.notna().all()
        for column, low, high in PF.BANDS:
            want = residents.between(low, high)[
                [CENSUS_CODES.index(c) for c in code], [P.SEXES.index(s) for s in sex]
            ]
            assert (frame[column].to_numpy() == want).all(), (record["file"], column)
        assert (
            frame["age_0_17"] == frame[["age_0_4", "age_5_9", "age_10_14", "age_15_17"]].sum(axis=1)
        ).all()
        labels[record["publisher"]] = frame["ethnic_group"].iloc[0]
    assert labels == {
        "ons_xlsx": "Asian, Asian British or Asian Welsh: Bangladeshi",
        "gla_csv": "Bangladeshi",
        "council_csv": "ABAN",
    }


def test_sizes_look_like_real_boroughs(publishers):
    inbox, truth = publishers
    for record in _mye(truth):
        frame = _data(inbox, record)
        total, children = frame["all_ages"].sum(), frame["age_0_17"].sum()
        assert 250_000 <= total <= 360_000
        assert 0.18 < children / total < 0.32
        assert 0.07 < frame["age_10_17"].sum() / total < 0.13


def _contract(record: dict):
    """A throwaway contract naming the file's own headers (the real one is the next issue's)."""
    required = {"area_code", "geography_code", "sex", "ethnic_group", "all_ages"}
    columns = [
        {"name": c, "type": "string", "aliases": [h], "required": c in required}
        for h, c in record["columns"].items()
    ]
    return parse_contract(
        {"name": "population", "domain": "demo", "period": {"column": columns[0]["name"]}, "columns": columns}
    )


def test_files_are_readable_by_ingest(publishers):
    inbox, truth = publishers
    for record in truth["files"]:
        extract = read_extract(inbox / record["file"], _contract(record))
        assert len(extract.frame) == record["data_rows"], record["file"]
        assert extract.header_row == record["header_row"]
        assert extract.malformed_rows == [] and extract.unknown_columns == []
        assert [line for line, _ in extract.skipped_rows] == record["title_rows"] + record["footer_rows"]


def _expected_denominators(inbox: Path, record: dict, skip_rows: frozenset[int]) -> dict[str, dict]:
    frame = _data(inbox, record, skip_rows)
    frame["code"] = frame["ethnic_group"].map(record["ethnic_group_labels"])
    sums = frame.groupby("code")[list(PF.TRUTH_BANDS)].sum()
    return {c: {b: int(sums.at[c, b]) for b in PF.TRUTH_BANDS} for c in sums.index}


def test_denominators_in_the_truth_are_recomputed_from_the_files(publishers):
    inbox, truth = publishers
    for record in _mye(truth):
        got = _expected_denominators(inbox, record, frozenset())
        want = {
            d["census_code"]: {b: d[b] for b in PF.TRUTH_BANDS}
            for d in truth["denominators"]
            if d["authority_code"] == record["authority_code"]
            and d["residents_year"] == record["residents_year"]
        }
        assert got == want and len(want) == 19


def _cell_reader(inbox: Path, record: dict):
    if record["format"] == "csv":
        rows = _rows(inbox, record)
        return lambda row, column: rows[row - 1][record["header"].index(column)]
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    with zipfile.ZipFile(inbox / record["file"]) as z, z.open("xl/worksheets/sheet1.xml") as f:
        cells = {c.get("r"): "".join(c.itertext()) for c in ET.parse(f).iter(f"{ns}c")}
    letter = {h: chr(65 + i) for i, h in enumerate(record["header"])}
    return lambda row, column: cells.get(f"{letter[column]}{row}", "")


def test_dirty_mode_records_every_fault_at_its_physical_row(dirty, clean):
    inbox, truth = dirty
    file_level = [f for f in truth["faults"] if f.get("level") == "file"]
    assert len(file_level) == 1 and file_level[0]["fault"] == "missing_required_column"
    dropped = next(r for r in truth["files"] if r["file"] == file_level[0]["file"])
    assert file_level[0]["column"] not in dropped["header"]
    assert not any(d["residents_year"] == dropped["residents_year"] for d in truth["denominators"])
    for record in truth["files"]:
        if record is dropped:
            continue
        faults = [f for f in truth["faults"] if f["file"] == record["file"]]
        kinds = {f["fault"] for f in faults}
        assert kinds == set(PC.FAULT_NAMES.values()), record["file"]
        cell = _cell_reader(inbox, record)
        for f in faults:
            value = cell(f["row"], f["column"])
            assert value == f["value"] or float(value) == f["value"], f
            if f["fault"] == "duplicate_row":
                rows = _rows(inbox, record)
                assert rows[f["row"] - 1] == rows[f["duplicate_of_row"] - 1]
        if record["format"] == "csv":  # every other line is exactly the clean file's
            faulty = {f["row"] for f in faults}
            copies = [f["row"] for f in faults if f["fault"] == "duplicate_row"]
            # A row's place in the clean file: one up for every duplicate copy inserted above it.
            in_clean = {r - sum(c < r for c in copies) for r in faulty - set(copies)}
            lines, clean_lines = _rows(inbox, record), _rows(clean[0], record)
            kept = [r for i, r in enumerate(lines, 1) if i not in faulty]
            assert kept == [r for i, r in enumerate(clean_lines, 1) if i not in in_clean]


def test_dirty_truth_keeps_only_rows_without_a_fault(dirty):
    inbox, truth = dirty
    for record in _mye(truth):
        faults = [f for f in truth["faults"] if f["file"] == record["file"]]
        if any(f.get("level") == "file" for f in faults):
            continue
        skip = frozenset(f["row"] for f in faults)  # for a duplicate, the copy's row: the original stays
        got = _expected_denominators(inbox, record, skip)
        want = {
            d["census_code"]: {b: d[b] for b in PF.TRUTH_BANDS}
            for d in truth["denominators"]
            if d["authority_code"] == record["authority_code"]
            and d["residents_year"] == record["residents_year"]
        }
        assert got == want
    census_faulty = {
        f["area_code"] for f in truth["faults"] if "census" in f["file"] and f["fault"] != "duplicate_row"
    }
    assert len(truth["census_ts021"]) == 152 - len(census_faulty)
