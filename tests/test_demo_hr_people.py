"""The HR people-process demo sources (recruitment, casework, leavers, training): deterministic,
visibly synthetic, readable by ingest, linked to the payroll files, and their ground truth agrees
with what a reader recomputes from the files alone (clean and dirty)."""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET
import zipfile
from datetime import date
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from observatory.config import DBT_PROJECT_DIR
from observatory.contracts import normalise_label, parse_contract
from observatory.demo import DOMAINS, hr, hr_people
from observatory.demo.authorities import authorities_for
from observatory.demo.context import DemoContext
from observatory.demo.faults import DirtyConfig
from observatory.demo.hr_recruitment import RecruitmentConfig, RecruitmentShape
from observatory.demo.hr_training import TrainingConfig, TrainingPlanted, TrainingShape
from observatory.ingest.readers import read_extract

SOURCES = hr_people.SOURCES
SPECS = {m.SOURCE: m.SPEC for m in hr_people.MODULES}
YEARS = (2024, 2025)
BLACK = {"BAFR", "BCRB", "BOTH"}


def _ctx(*, seed: int = 42, years=YEARS, dirty: bool = False, authorities=None) -> DemoContext:
    return DemoContext(
        seed=seed,
        scale="borough",
        authorities=authorities or authorities_for("borough"),
        snapshot_dates=tuple(date(y, 3, 31) for y in years),
        dirty=DirtyConfig() if dirty else None,
    )


def _generate(inbox: Path, ctx: DemoContext) -> tuple[Path, dict, dict]:
    """This domain plus the payroll it links to, as ``generate`` would write them."""
    payroll = hr.write_payroll(inbox / hr.SOURCE, ctx)
    return inbox, hr_people.write(inbox, ctx), payroll


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    return _generate(tmp_path_factory.mktemp("clean"), _ctx())


@pytest.fixture(scope="module")
def dirty(tmp_path_factory):
    return _generate(tmp_path_factory.mktemp("dirty"), _ctx(dirty=True))


# --- reading the files as a person (or ingest) would ----------------------------------------


@cache
def _label_codes() -> dict[str, str]:
    """normalised HR label -> Census code ('' for declined / not recorded)."""
    with (DBT_PROJECT_DIR / "seeds/ethnicity/ethnicity_hr_labels.csv").open(encoding="utf-8") as f:
        return {normalise_label(r["label_normalised"]): r["census_code"] for r in csv.DictReader(f)}


@cache
def _major() -> dict[str, str]:
    with (DBT_PROJECT_DIR / "seeds/ethnicity/ethnicity_census2021.csv").open(encoding="utf-8") as f:
        return {r["census_code"]: r["major_group"] for r in csv.DictReader(f)}


@cache
def _physical_rows(path: Path) -> dict[int, list[str]]:
    """Physical row number -> cell texts (CSV lines, or XLSX rows straight from the sheet XML)."""
    if path.suffix == ".csv":
        text = path.read_bytes().decode("cp1252")
        return {i: cells for i, cells in enumerate(csv.reader(text.splitlines()), start=1)}
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    with zipfile.ZipFile(path) as z, z.open("xl/worksheets/sheet1.xml") as f:
        rows = {}
        for row in ET.parse(f).iter(f"{ns}row"):
            cells = {}
            for c in row.iter(f"{ns}c"):
                col = "".join(ch for ch in c.get("r") if ch.isalpha())
                cells[ord(col) - 65] = "".join(c.itertext())
            rows[int(row.get("r"))] = [cells.get(i, "") for i in range(max(cells, default=-1) + 1)]
        return rows


def _table(inbox: Path, record: dict) -> pd.DataFrame:
    """A file's data rows as text with canonical column names and the physical row in ``_row``."""
    rows = _physical_rows(inbox / record["file"])
    assert rows[record["header_row"]][: len(record["header"])] == record["header"]
    lines = range(record["first_data_row"], record["last_data_row"] + 1)
    width = len(record["header"])
    data = [(rows[i] + [""] * width)[:width] for i in lines]
    frame = pd.DataFrame(data, columns=record["header"]).rename(columns=record["columns"])
    frame["_row"] = list(lines)
    return frame


def _decoded(inbox: Path, record: dict, faults: list[dict]) -> pd.DataFrame:
    """The rows not listed as faulty, with canonical category values and Census codes."""
    frame = _table(inbox, record)
    faulty = {f["row"] for f in faults if f["file"] == record["file"]}
    frame = frame[~frame["_row"].isin(faulty)].copy()
    for column, spellings in record["values"].items():
        frame[column] = frame[column].map(spellings).fillna("")
    frame["code"] = frame["ethnicity"].map(normalise_label).map(_label_codes())
    assert frame["code"].notna().all()  # every label maps (or is declined / blank)
    return frame


def _payroll(inbox: Path, payroll_truth: dict, snapshot: str) -> pd.DataFrame:
    record = next(r for r in payroll_truth["files"] if r["snapshot_date"] == snapshot)
    frame = _table(inbox, {**record, "values": {}})
    faulty = {f["row"] for f in payroll_truth["faults"] if f["file"] == record["file"]}
    frame = frame[~frame["_row"].isin(faulty)].copy()
    frame["code"] = frame["ethnicity"].map(normalise_label).map(_label_codes())
    return frame


def _counts(truth: dict, source: str, record: dict, level: str = "census_code") -> dict[str, dict]:
    return {
        c["group"]: c for c in truth[source]["counts"] if c["file"] == record["file"] and c["level"] == level
    }


def _katz(a: int, n1: int, c: int, n0: int) -> tuple[float, float, float]:
    ratio = (a / n1) / (c / n0)
    se = np.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n0)
    return ratio, ratio * np.exp(-1.959964 * se), ratio * np.exp(1.959964 * se)


def _comparison(
    truth: dict, source: str, record: dict, measure: str, numerator: str, denominator: str
) -> dict:
    return next(
        c
        for c in truth[source]["comparisons"]
        if c["financial_year"] == record["financial_year"]
        and c["measure"] == measure
        and c["numerator_group"]["group"] == numerator
        and c["denominator_group"]["group"] == denominator
    )


# --- tests ----------------------------------------------------------------------------------


def test_registered_as_a_domain_with_its_four_sources():
    assert "hr_people" in DOMAINS
    assert SOURCES == ("hr_recruitment", "hr_casework", "hr_leavers", "hr_training")


def test_same_seed_same_bytes_independent_of_years_and_another_seed_differs(clean, tmp_path):
    inbox, truth, _ = clean
    again = hr_people.write(tmp_path / "again", _ctx())
    assert again == truth
    for source in SOURCES:
        for record in truth[source]["files"]:
            assert (tmp_path / "again" / record["file"]).read_bytes() == (inbox / record["file"]).read_bytes()
    # A file depends on its own authority and year only: generating one year gives the same bytes.
    one = hr_people.write(tmp_path / "one", _ctx(years=(2025,)))
    hr_people.write(tmp_path / "other", _ctx(seed=7, years=(2025,)))
    for source in SOURCES:
        (name,) = [r["file"] for r in one[source]["files"]]
        assert (tmp_path / "one" / name).read_bytes() == (inbox / name).read_bytes()
        assert (tmp_path / "other" / name).read_bytes() != (inbox / name).read_bytes()


def test_every_file_says_synthetic_inside_and_in_its_name(clean):
    inbox, truth, _ = clean
    formats = set()
    for source in SOURCES:
        files = sorted(p.name for p in (inbox / source).iterdir())
        assert files == sorted(Path(r["file"]).name for r in truth[source]["files"])
        assert len(files) == len(YEARS) and all("_X09000001_" in f and "synthetic" in f for f in files)
        for record in truth[source]["files"]:
            rows = _physical_rows(inbox / record["file"])
            formats.add(record["format"])
            if record["title_rows"]:
                assert rows[1][0].startswith("SYNTHETIC DEMO DATA - Northbrook (synthetic)")
            else:
                status = _table(inbox, record)["data_status"]
                assert (status == "SYNTHETIC").all()
            if record["footer_rows"]:
                assert rows[record["footer_rows"][0]][:2] == ["Total", str(record["data_rows"])]
    assert formats == {"csv", "xlsx"}


def test_csv_files_are_windows_1252_with_crlf_line_ends(clean):
    inbox, truth, _ = clean
    csvs = [r for s in SOURCES for r in truth[s]["files"] if r["format"] == "csv"]
    assert csvs
    for record in csvs:
        data = (inbox / record["file"]).read_bytes()
        assert data.decode("cp1252").encode("cp1252") == data and b"\r\n" in data
    recruitment = next(r for r in csvs if r["source"] == "hr_recruitment")
    assert "£" in (inbox / recruitment["file"]).read_bytes().decode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        (inbox / recruitment["file"]).read_bytes().decode("utf-8")


def _contract(source: str):
    """An in-memory contract naming every system's headers (the real ones come in a later issue)."""
    spec = SPECS[source]
    columns = [
        {
            "name": c,
            "type": "string",
            "required": c in spec.required,
            "aliases": sorted({h for s in spec.systems for cc, h in s.headers if cc == c and h != c}),
        }
        for c in spec.kinds
    ]
    return parse_contract(
        {"name": source, "domain": "hr", "columns": columns, "period": {"column": spec.required[0]}}
    )


def test_every_system_writes_files_ingest_reads(tmp_path):
    """Authorities 1-3 use each source's three systems; small volumes, since openpyxl (as ingest
    uses it) reads only a few thousand rows a second."""
    small = hr_people.HRPeopleConfig(
        recruitment=RecruitmentConfig(shape=RecruitmentShape(vacancies_per_100_staff=0.5)),
        training=TrainingConfig(
            planted=TrainingPlanted(cpd_rate=0.02), shape=TrainingShape(mean_mandatory_courses=0.05)
        ),
    )
    london = authorities_for("london")
    latest = hr_people.write(tmp_path / "latest", _ctx(years=(2025,), authorities=london[:3]), small)
    # Before 2024-25 the XLSX systems of the two big sources exported CSV with a title line.
    earlier = hr_people.write(tmp_path / "earlier", _ctx(years=(2024,), authorities=london[1:3]), small)
    for source in SOURCES:
        contract = _contract(source)
        records = [("latest", r) for r in latest[source]["files"]]
        records += [("earlier", r) for r in earlier[source]["files"]]
        assert len({r["system"] for _, r in records}) == 3
        assert {r["format"] for _, r in records} == {"csv", "xlsx"}
        for folder, record in records:
            extract = read_extract(tmp_path / folder / record["file"], contract)
            assert extract.header_row == record["header_row"]
            assert extract.unknown_columns == [] and extract.malformed_rows == []
            assert list(extract.frame["_source_row"]) == list(
                range(record["first_data_row"], record["last_data_row"] + 1)
            )
            skipped = [row for row, _ in extract.skipped_rows]
            assert skipped == record["title_rows"] + record["footer_rows"]


def test_sizes_look_like_a_london_borough(clean):
    _, truth, payroll = clean
    headcount = {r["snapshot_date"]: r["employees"] for r in payroll["headcounts"]}
    for source in SOURCES:
        for record in truth[source]["files"]:
            n = record["data_rows"]
            staff = headcount[f"{record['financial_year'][:2]}{record['financial_year'][-2:]}-03-31"]
            if source == "hr_recruitment":
                assert 8_000 <= n <= 25_000
            elif source == "hr_casework":
                assert 0.04 * staff <= n <= 0.10 * staff
            elif source == "hr_leavers":
                assert 0.08 * staff <= n <= 0.20 * staff
            else:
                assert 1.5 * staff <= n <= 3 * staff


def test_employee_links_agree_with_the_payroll_files(clean):
    inbox, truth, payroll = clean
    for source in ("hr_casework", "hr_leavers", "hr_training"):
        for record in truth[source]["files"]:
            snapshot = record["linked_payroll_snapshot"]
            if not record["linked_payroll_snapshot_in_inbox"]:
                assert record["financial_year"] == "2023-24" and source == "hr_leavers"
                continue
            staff = _payroll(inbox, payroll, snapshot).set_index("employee_id")
            rows = _table(inbox, record)
            assert rows["employee_id"].isin(staff.index).all()
            linked = staff.loc[rows["employee_id"]]
            assert (linked["ethnicity"].to_numpy() == rows["ethnicity"].to_numpy()).all()
            assert (linked["grade"].to_numpy() == rows["grade"].to_numpy()).all()


def _dates(text: pd.Series) -> pd.Series:
    """UK dates (CSV) or Excel serials (XLSX date cells) -> Timestamps; blank -> NaT."""
    serial = pd.to_numeric(text.where(~text.str.contains("/")), errors="coerce")
    uk = pd.to_datetime(text.where(text.str.contains("/")), format="%d/%m/%Y", errors="coerce")
    return uk.fillna(pd.Timestamp("1899-12-30") + pd.to_timedelta(serial, unit="D"))


def test_dates_are_consistent_with_the_financial_year(clean):
    """Events fall in their year; a case closes after it opens and an employee on the 31 March
    payroll is dismissed only after it; leavers joined before they left."""
    inbox, truth, _ = clean
    for source, column in [("hr_recruitment", "application_date"), ("hr_casework", "opened_date"),
                           ("hr_leavers", "leaving_date"), ("hr_training", "start_date")]:  # fmt: skip
        for record in truth[source]["files"]:
            rows = _decoded(inbox, record, [])
            start, end = pd.Timestamp(record["period_start"]), pd.Timestamp(record["period_end"])
            when = _dates(rows[column])
            assert when.notna().all() and (when <= end).all()
            assert (when >= start).all() or source == "hr_recruitment"  # adverts may open in March
            if source == "hr_casework":
                closed = _dates(rows["closed_date"])
                assert (closed.isna() == (rows["outcome"] == "Ongoing")).all()
                assert (closed.dropna() >= when[closed.notna()]).all()
                assert (closed[rows["outcome"] == "Dismissal"] > end).all()
            if source == "hr_leavers":
                assert (_dates(rows["start_date"]) < when).all()


def _recompute_recruitment(inbox, truth, payroll, record, faults):
    rows = _decoded(inbox, record, faults)
    stage = rows["stage_reached"].map({"Applied": 0, "Shortlisted": 1, "Interviewed": 2, "Appointed": 3})
    known = rows[rows["code"] != ""]
    expected = _counts(truth, "hr_recruitment", record)
    for code, group in known.groupby("code"):
        s = stage[group.index]
        got = (len(s), int((s >= 1).sum()), int((s >= 3).sum()))
        assert got == tuple(expected[code][k] for k in ("applications", "shortlisted", "appointed")), code
    white = known["code"] == "WBRI"
    short = stage[known.index] >= 1
    appointed = stage[known.index] >= 3
    a, n1 = int((white & appointed).sum()), int((white & short).sum())
    c, n0 = int((~white & appointed).sum()), int((~white & short).sum())
    ratio, low, high = _katz(a, n1, c, n0)
    comparison = _comparison(
        truth, "hr_recruitment", record, "appointed_from_shortlisting", "White British", "Ethnic minority"
    )
    assert (comparison["a"], comparison["n1"], comparison["c"], comparison["n0"]) == (a, n1, c, n0)
    assert comparison["ratio"] == pytest.approx(ratio, abs=1e-5)
    assert low < comparison["planted"] < high and low > 1  # planted inside the CI, and significant
    assert abs(ratio - comparison["planted"]) < 0.1
    null = _comparison(
        truth, "hr_recruitment", record, "shortlisted_from_application", "White British", "Ethnic minority"
    )
    assert null["ci_low"] < 1 < null["ci_high"]
    return ratio


def _recompute_casework(inbox, truth, payroll, record, faults):
    rows = _decoded(inbox, record, faults)
    staff = _payroll(inbox, payroll, record["linked_payroll_snapshot"])
    expected = _counts(truth, "hr_casework", record)
    disciplinary = rows[rows["case_type"] == "Disciplinary"]
    persons = disciplinary.drop_duplicates("employee_id").groupby("code").size()
    headcount = staff[staff["code"] != ""].groupby("code").size()
    for code, n in headcount.items():
        assert expected[code]["headcount"] == n, code
        assert expected[code]["persons_disciplinary"] == persons.get(code, 0), code
    black = [c for c in BLACK if c in headcount]
    a, n1 = int(persons.reindex(black).fillna(0).sum()), int(headcount[black].sum())
    ratio, low, high = _katz(a, n1, int(persons.get("WBRI", 0)), int(headcount["WBRI"]))
    comparison = _comparison(truth, "hr_casework", record, "entering_disciplinary", "Black", "WBRI")
    assert comparison["ratio"] == pytest.approx(ratio, abs=1e-5)
    assert low < 1.8 < high and low > 1
    assert comparison["planted"] == pytest.approx(1.8)
    return ratio


def _recompute_leavers(inbox, truth, payroll, record, faults):
    rows = _decoded(inbox, record, faults)
    expected = _counts(truth, "hr_leavers", record)
    for code, group in rows[rows["code"] != ""].groupby("code"):
        assert expected[code]["leavers"] == group["employee_id"].nunique(), code
        assert expected[code]["reason_dismissal"] == int((group["leaving_reason"] == "Dismissal").sum()), code
    comparison = _comparison(truth, "hr_leavers", record, "dismissal_share_of_leavers", "Black", "WBRI")
    black = rows["code"].isin(BLACK)
    white = rows["code"] == "WBRI"
    dismissed = rows["leaving_reason"] == "Dismissal"
    ratio, low, high = _katz(
        int((black & dismissed).sum()), int(black.sum()), int((white & dismissed).sum()), int(white.sum())
    )
    assert comparison["ratio"] == pytest.approx(ratio, abs=1e-5)
    assert low < comparison["planted"] < high and comparison["planted"] == pytest.approx(2.5)
    return ratio


def _recompute_training(inbox, truth, payroll, record, faults):
    rows = _decoded(inbox, record, faults)
    expected = _counts(truth, "hr_training", record)
    cpd = rows[(rows["activity_type"] == "Course") & (rows["course_category"] == "Non-mandatory")]
    persons = cpd.drop_duplicates("employee_id").groupby("code").size()
    for code, n in persons.items():
        if code:
            assert expected[code]["persons_cpd"] == n, code
    comparison = _comparison(
        truth, "hr_training", record, "accessing_non_mandatory_training", "WBRI", "Ethnic minority"
    )
    assert comparison["planted"] == 1.0 and comparison["ci_low"] < 1 < comparison["ci_high"]  # null effect
    return comparison["ratio"]


RECOMPUTE = {
    "hr_recruitment": _recompute_recruitment,
    "hr_casework": _recompute_casework,
    "hr_leavers": _recompute_leavers,
    "hr_training": _recompute_training,
}


@pytest.mark.parametrize("mode", ["clean", "dirty"])
@pytest.mark.parametrize("source", SOURCES)
def test_planted_truths_recomputed_from_the_files(source, mode, request):
    inbox, truth, payroll = request.getfixturevalue(mode)
    ratios = []
    for record in truth[source]["files"]:
        if record["file_fault"]:
            assert all(c["file_rejected"] for c in truth[source]["counts"] if c["file"] == record["file"])
            continue
        ratios.append(RECOMPUTE[source](inbox, truth, payroll, record, truth[source]["faults"]))
    assert ratios
    if source == "hr_recruitment" and mode == "clean":
        assert ratios[0] > ratios[-1]  # the trend toward parity (1.43 in 2023-24, 1.30 in 2024-25)


def test_dirty_faults_are_recorded_at_their_physical_rows(dirty, clean):
    inbox, truth, _ = dirty
    labels = _label_codes()
    for source in SOURCES:
        faults = truth[source]["faults"]
        missing = [f for f in faults if f["fault"] == "missing_required_column"]
        assert len(missing) == 1  # one file per source lacks a required column
        (rejected,) = [r for r in truth[source]["files"] if r["file_fault"]]
        assert missing[0]["file"] == rejected["file"] and missing[0]["column"] not in rejected["header"]
        assert missing[0]["canonical_column"] in SPECS[source].required
        for record in truth[source]["files"]:
            if record["file_fault"]:
                continue
            mine = [f for f in faults if f["file"] == record["file"]]
            assert {f["fault"] for f in mine} == {
                "unknown_ethnicity_label",
                "duplicate_row",
                "impossible_date",
                "negative_number",
                "text_in_numeric",
                "out_of_range",
            }
            assert len(mine) == pytest.approx(max(6, 0.01 * record["data_rows"]), abs=2)
            table = _table(inbox, record).set_index("_row")
            for f in mine:
                value = table.at[f["row"], f["canonical_column"]]
                assert value == f["value"] or float(value) == f["value"], f
                assert table.at[f["row"], SPECS[source].id_column] == f["record_id"]
                if f["fault"] == "duplicate_row":
                    assert table.at[f["duplicate_of_row"], SPECS[source].id_column] == f["record_id"]
                if f["fault"] == "unknown_ethnicity_label":
                    assert normalise_label(value) not in labels
                if f["fault"] == "impossible_date":
                    with pytest.raises(ValueError):
                        pd.to_datetime(value, format="%d/%m/%Y")
            # Every row not listed is exactly the clean row: dirty = clean + the recorded faults.
            clean_record = next(r for r in clean[1][source]["files"] if r["file"] == record["file"])
            faulty_ids = {f["record_id"] for f in mine}
            dirty_rows = _table(inbox, record).drop(columns="_row")
            clean_rows = _table(clean[0], clean_record).drop(columns="_row")
            id_column = SPECS[source].id_column
            keep = ~dirty_rows[id_column].isin(faulty_ids)
            assert len(dirty_rows) == len(clean_rows) + sum(f["fault"] == "duplicate_row" for f in mine)
            pd.testing.assert_frame_equal(
                dirty_rows[keep].reset_index(drop=True),
                clean_rows[~clean_rows[id_column].isin(faulty_ids)].reset_index(drop=True),
            )
