"""Ingesting the HR people-process extracts (recruitment, casework, leavers, training): every demo file
loads clean, dirty-mode faults are quarantined (or reported) exactly, bad inputs get exact outcomes,
and person identifiers are pseudonymised exactly as the payroll's, so cases, leavers and training
records link to the payroll snapshot while no name or date of birth reaches the warehouse."""

from __future__ import annotations

import csv
import hashlib
import hmac
import warnings
from dataclasses import replace
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from conftest import use_data_dir
from observatory.config import DBT_PROJECT_DIR
from observatory.contracts import get_contract, normalise_label
from observatory.demo import hr, hr_people
from observatory.demo import hr_recruitment as recruitment
from observatory.demo.authorities import authorities_for
from observatory.demo.context import DemoContext
from observatory.demo.faults import DirtyConfig
from observatory.ingest.load import check_file
from observatory.ingest.pseudonymise import DEMO_KEY, protect
from observatory.ingest.readers import ROW_COLUMN, ExtractError, read_extract
from openpyxl import Workbook

SOURCES = ("hr_recruitment", "hr_casework", "hr_leavers", "hr_training")
CONTRACTS = {s: get_contract(s) for s in (*SOURCES, "hr_payroll")}
YEARS = (date(2024, 3, 31), date(2025, 3, 31))
AUTHORITY = "X09000001"
IDENTIFIERS = {
    "hr_recruitment": ["application_id"],
    "hr_casework": ["case_reference", "employee_id"],
    "hr_leavers": ["employee_id"],
    "hr_training": ["record_id", "employee_id"],
}
# A fault that is a data-quality finding, not a row error: the row loads and staging reports the label.
FINDING = "unknown_ethnicity_label"
# The contract rule each planted row fault breaks (the column is the fault's canonical column).
RULE_OF_FAULT = {
    "impossible_date": "type: must be a date",
    "text_in_numeric": "type: must be a",  # a number, or a whole number for days open
    "negative_number": "range: must be at least",
    "out_of_range": "range: must be at",  # at least (a £12 salary) or at most
    "duplicate_row": "unique: a second row for the same",
}

pytestmark = pytest.mark.usefixtures("data_dir")


def _smaller() -> hr_people.HRPeopleConfig:
    """The dirty run's recruitment and training volumes cut to about a tenth: the faults (1%, at least one
    of each kind per file) do not depend on the volume; the test's run time does."""
    cfg = hr_people.HRPeopleConfig()
    rec = replace(cfg.recruitment, shape=replace(cfg.recruitment.shape, mean_applications=1.5))
    trn = replace(
        cfg.training,
        planted=replace(cfg.training.planted, cpd_rate=0.05),
        shape=replace(cfg.training.shape, mean_mandatory_courses=0.05, mean_extra_cpd_courses=0.0),
    )
    return replace(cfg, recruitment=rec, training=trn)


def _generate_and_check(tmp_path_factory, name: str, dirty: bool) -> tuple[Path, dict, dict]:
    """Write the extracts once and check every file against its contract.

    Clean: what ``observatory demo --years 2`` writes (the borough, one authority, system A of each
    source) and its payroll. Dirty: three authorities, so every system of every source carries faults."""
    inbox = tmp_path_factory.mktemp(name)
    ctx = DemoContext(
        seed=42,
        scale="borough",
        authorities=authorities_for("london")[:3] if dirty else authorities_for("borough"),
        snapshot_dates=YEARS,
        dirty=DirtyConfig() if dirty else None,
    )
    truth = hr_people.write(inbox, ctx, _smaller() if dirty else None)
    files = [(s, r["file"]) for s in SOURCES for r in truth[s]["files"]]
    results: dict[str, object] = {}
    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the public demo key's warning
        use_data_dir(mp, inbox.parent / f"{name}_data", authority=AUTHORITY, key=None, demo=True)
        for source, file in files:
            try:
                results[file] = check_file(CONTRACTS[source], inbox / file, demo=True)
            except ExtractError as err:
                results[file] = err
        if not dirty:  # the payroll snapshot the 2023-24 cases and training and the 2024-25 leavers link to
            truth.update(hr.write(inbox, ctx))
            payroll = read_extract(inbox / truth["hr_payroll"]["files"][0]["file"], CONTRACTS["hr_payroll"])
            results["payroll_keys"] = set(
                protect(payroll.frame, CONTRACTS["hr_payroll"], DEMO_KEY.encode())["employee_id"]
            )
    return inbox, truth, results


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    return _generate_and_check(tmp_path_factory, "hr_people_clean", dirty=False)


@pytest.fixture(scope="module")
def dirty(tmp_path_factory):
    return _generate_and_check(tmp_path_factory, "hr_people_dirty", dirty=True)


def _reviewed_labels() -> set[str]:
    with (DBT_PROJECT_DIR / "seeds" / "ethnicity" / "ethnicity_hr_labels.csv").open(encoding="utf-8") as f:
        return {normalise_label(r["label_normalised"]) for r in csv.DictReader(f)}


def _hmac(value: str) -> str:
    return hmac.new(DEMO_KEY.encode(), value.strip().casefold().encode(), hashlib.sha256).hexdigest()


def _text(value) -> str:
    """A fault's value as the reader gives it (XLSX numbers are typed cells: 9999.0 reads as '9999')."""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


# --- (a) clean demo files ------------------------------------------------------------------------


def test_every_clean_demo_file_loads_whole_with_no_unknown_columns(clean):
    _, truth, results = clean
    for source in SOURCES:
        for record in truth[source]["files"]:
            validated, result = results[record["file"]]
            assert result.rows_quarantined == 0, (record["file"], result.rule_counts)
            assert result.unknown_columns == [], record["file"]
            assert result.rows_in == result.rows_loaded == record["data_rows"], record["file"]
            assert result.periods == [record["financial_year"]]  # from the file name: no column holds it
            assert validated.loaded["authority_code"].eq(AUTHORITY).all()
            # Every ethnicity label the demo wrote is one the reviewed lookup maps (or blank).
            labels = set(validated.loaded["ethnicity"].dropna().map(normalise_label))
            assert labels <= _reviewed_labels(), (record["file"], labels - _reviewed_labels())


def test_every_system_shape_loads_all_but_its_planted_faults(dirty):
    """Systems B and C (their own headers, spellings, XLSX reports) load every row but the faulty ones."""
    _, truth, results = dirty
    systems = set()
    for source in SOURCES:
        for record in truth[source]["files"]:
            outcome = results[record["file"]]
            if record["file_fault"]:
                continue
            _, result = outcome
            faults = [f for f in truth[source]["faults"] if f["file"] == record["file"]]
            errors = {f["row"] for f in faults if f["fault"] != FINDING}
            assert result.unknown_columns == [], record["file"]
            assert result.rows_in == record["data_rows"]
            assert result.rows_loaded == record["data_rows"] - len(errors), record["file"]
            systems.add((source, record["system"], record["format"]))
    assert {(s, name) for s, name, _ in systems} == {
        (s, system.name) for s, m in _modules().items() for system in m.SPEC.systems
    }
    assert {fmt for _, _, fmt in systems} == {"csv", "xlsx"}


def _modules() -> dict:
    return {m.SOURCE: m for m in hr_people.MODULES}


def test_stage_reached_of_every_system_gives_the_truths_stage_counts(dirty):
    """APP/SL/INT/APPT, 'Offer Accepted' and the plain words all load as the canonical stages, and the
    applications reaching each stage equal the truth's counts exactly (the truth leaves out the rows
    with a planted fault, the unknown-label rows among them, which load)."""
    _, truth, results = dirty
    order = {stage: i for i, stage in enumerate(recruitment.STAGES)}
    for record in truth["hr_recruitment"]["files"]:
        if record["file_fault"]:
            continue
        loaded = results[record["file"]][0].loaded
        findings = {f["row"] for f in truth["hr_recruitment"]["faults"] if f["file"] == record["file"]}
        stage = loaded.loc[~loaded[ROW_COLUMN].isin(findings), "stage_reached"].map(order)
        assert set(stage) == set(order.values()), record["file"]
        counts = [
            c
            for c in truth["hr_recruitment"]["counts"]
            if c["file"] == record["file"] and c["level"] == "ethnicity_status"
        ]
        expected = {
            m: sum(c[m] for c in counts) for m in ("applications", "shortlisted", "interviewed", "appointed")
        }
        got = {
            "applications": len(stage),
            "shortlisted": int((stage >= 1).sum()),
            "interviewed": int((stage >= 2).sum()),
            "appointed": int((stage >= 3).sum()),
        }
        assert got == expected, record["file"]


# --- (b) dirty demo files ------------------------------------------------------------------------


def test_dirty_files_quarantine_exactly_the_planted_row_faults(dirty):
    _, truth, results = dirty
    checked = 0
    for source in SOURCES:
        contract = CONTRACTS[source]
        for record in truth[source]["files"]:
            if record["file_fault"]:
                continue
            _, result = results[record["file"]]
            faults = [f for f in truth[source]["faults"] if f["file"] == record["file"] and f["row"]]
            errors = {f["row"]: f for f in faults if f["fault"] != FINDING}
            quarantine = result.quarantine
            assert set(quarantine["source_row"]) == set(errors), record["file"]
            assert result.rows_in == result.rows_loaded + result.rows_quarantined
            for row, fault in errors.items():
                got = quarantine[quarantine["source_row"] == row]
                assert len(got) == 1, (record["file"], row, got.to_dict("records"))
                got = got.iloc[0]
                assert got["rule"].startswith(RULE_OF_FAULT[fault["fault"]]), (fault, got["rule"])
                if fault["fault"] == "duplicate_row":
                    assert got["column_name"] == ", ".join(contract.unique_key)
                    assert got["value"].split(" | ")[0] == _hmac(fault["record_id"])  # hashed before checks
                else:
                    assert got["column_name"] == fault["canonical_column"]
                    assert got["value"] == _text(fault["value"]), (fault, got["value"])
                checked += 1
    assert checked > 100


def test_unknown_ethnicity_labels_load_and_are_reported_not_guessed(dirty):
    """An unmapped label is a data-quality finding: the row loads with the label as written, and the
    reviewed lookup does not hold it (stg_* marks it ethnicity_status = 'unmapped')."""
    _, truth, results = dirty
    reviewed = _reviewed_labels()
    found = 0
    for source in SOURCES:
        for fault in (f for f in truth[source]["faults"] if f["fault"] == FINDING):
            outcome = results[fault["file"]]
            if isinstance(outcome, ExtractError):
                continue
            loaded = outcome[0].loaded
            row = loaded[loaded[ROW_COLUMN] == fault["row"]]
            assert row["ethnicity"].tolist() == [fault["value"]], fault
            assert normalise_label(fault["value"]) not in reviewed
            found += 1
    assert found >= 4 * 3


def test_the_file_lacking_a_required_column_is_rejected_naming_it(dirty):
    _, truth, results = dirty
    rejected = 0
    for source in SOURCES:
        for fault in (f for f in truth[source]["faults"] if f["fault"] == "missing_required_column"):
            err = results[fault["file"]]
            assert isinstance(err, ExtractError), fault["file"]
            assert f"required column(s) missing: {fault['canonical_column']};" in err.problem
            assert fault["canonical_column"] in err.expected
            rejected += 1
    assert rejected == 4


# --- (c) hand-built bad inputs -------------------------------------------------------------------


def _csv(path: Path, header: list, rows: list, *, title: str = "", pad: list | None = None, **kw) -> Path:
    """A CSV extract (Windows-1252 unless told); ``pad``: a valid row template ('{i}' numbered) written
    PAD times after ``rows``, so a few bad rows stay under the contract's 20% quarantine limit."""
    rows = rows + [[str(c).format(i=i) for c in pad] for i in range(PAD)] if pad else rows
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding=kw.get("encoding", "cp1252")) as fh:
        writer = csv.writer(fh, delimiter=kw.get("delimiter", ","))
        if title:
            writer.writerow([title])
        writer.writerow(header)
        writer.writerows(rows)
    return path


PAD = 8


def _quarantined(result) -> list[tuple]:
    """(row, column, value, rule) of each quarantined cell, in row order."""
    q = result.quarantine[["source_row", "column_name", "value", "rule"]]
    return [tuple(r) for r in q.itertuples(index=False)]


def _check(source: str, file: Path):
    validated, result = check_file(CONTRACTS[source], file, demo=True)
    assert result.rows_in == result.rows_loaded + result.rows_quarantined
    return validated, result


RECRUITMENT_HEADER = ["ApplicationRef", "VacancyNo", "Advertised Salary", "Submitted Date", "Ethnicity Code",
                      "Highest Stage"]  # fmt: skip


def test_recruitment_unknown_stage_and_hourly_salary_are_quarantined(tmp_path):
    file = _csv(
        tmp_path / "hr_recruitment_X09000001_2024-25.csv",
        RECRUITMENT_HEADER,
        [
            ["R1", "JR/25/0001", "£42,000.00", "01/05/2024", "WBRI", "APPT"],
            ["R2", "JR/25/0001", "£42,000.00", "02/05/2024", "BAFR", "Offer Declined"],
            ["R3", "JR/25/0002", "£12.50", "03/05/2024", "AIND", "SL"],
            ["R4", "JR/25/0002", "", "03/05/2024", "", "INT"],
        ],
        title="Applications 2024-25",
        pad=["R9{i}", "JR/25/0003", "£30,000.00", "04/05/2024", "WBRI", "APP"],
    )
    validated, result = _check("hr_recruitment", file)
    assert (result.rows_in, result.rows_loaded, result.rows_quarantined) == (4 + PAD, 2 + PAD, 2)
    q = result.quarantine[["source_row", "column_name", "value", "rule"]].to_dict("records")
    assert q == [
        {
            "source_row": 4,
            "column_name": "stage_reached",
            "value": "Offer Declined",
            "rule": "allowed values: one of Applied, Shortlisted, Interviewed, Appointed",
        },
        {
            "source_row": 5,
            "column_name": "advertised_salary",
            "value": "£12.50",
            "rule": "range: must be at least 5000",
        },
    ]
    assert validated.loaded["stage_reached"].tolist()[:2] == ["Appointed", "Interviewed"]
    assert validated.loaded["advertised_salary"].iloc[0] == 42000.0
    assert pd.isna(validated.loaded["advertised_salary"].iloc[1])  # optional: blank loads as null


def test_casework_fractional_days_and_blank_reference_are_quarantined(tmp_path):
    header = ["Case Ref", "Employee Number", "Case Type", "Date Opened", "Date Closed", "Outcome",
              "Days Open"]  # fmt: skip
    file = _csv(
        tmp_path / "cases_2023-24.csv",
        header,
        [
            ["ER-24-0001", "500136", "Disciplinary", "01/06/2023", "11/06/2023", "Dismissed", "10"],
            ["ER-24-0002", "500137", "Grievance", "02/06/2023", "", "Open", "12.5"],
            ["", "500138", "Capability", "03/06/2023", "", "In progress", ""],
            ["ER-24-0004", "500139", "Dignity at Work", "04/06/2023", "", "Ongoing", ""],
        ],
        pad=["ER-24-01{i}", "5002{i}", "CAP", "05/06/2023", "", "", ""],
    )
    validated, result = _check("hr_casework", file)
    assert (result.rows_in, result.rows_loaded, result.rows_quarantined) == (4 + PAD, 2 + PAD, 2)
    assert _quarantined(result) == [
        (3, "days_open", "12.5", "type: must be a whole number"),
        (4, "case_reference", "", "required: must not be blank"),
    ]
    assert validated.loaded["case_type"].tolist()[:3] == [
        "Disciplinary",
        "Bullying and harassment",
        "Capability",
    ]
    assert validated.loaded["outcome"].tolist()[:3] == ["Dismissal", "Ongoing", None]
    assert validated.loaded["financial_year"].eq("2023-24").all()


def test_leavers_second_row_for_the_same_leaver_and_unknown_reason_are_quarantined(tmp_path):
    """A semicolon-delimited UTF-8 (BOM) export: a repeated leaver and an unknown reason."""
    header = ["Emp No", "Ethnic Group", "Termination Date", "Termination Reason", "Service Years"]
    file = _csv(
        tmp_path / "leavers 2024-25.csv",
        header,
        [
            ["400050", "White British", "30/04/2024", "Dismissed - SOSR", "3.5"],
            ["400050", "White British", "30/04/2024", "Dismissed - SOSR", "3.5"],
            ["400051", "Black African", "31/05/2024", "Left", "1.0"],
            ["400052", "Whte British", "30/06/2024", "Voluntary Resignation", "0.4"],
        ],
        encoding="utf-8-sig",
        delimiter=";",
        pad=["4001{i}", "", "31/07/2024", "RES", "2.0"],
    )
    validated, result = _check("hr_leavers", file)
    assert (result.rows_in, result.rows_loaded, result.rows_quarantined) == (4 + PAD, 2 + PAD, 2)
    q = result.quarantine[["source_row", "column_name", "value", "rule"]].to_dict("records")
    assert q == [
        {
            "source_row": 3,
            "column_name": "employee_id, leaving_date",
            "value": f"{_hmac('400050')} | 30/04/2024",
            "rule": "unique: a second row for the same employee_id, leaving_date",
        },
        {
            "source_row": 4,
            "column_name": "leaving_reason",
            "value": "Left",
            "rule": "allowed values: one of Resignation, Retirement, Ill health retirement, End of contract, "
            "Dismissal, Redundancy, Mutual agreement, TUPE transfer, Death in service, Other",
        },
    ]
    assert validated.loaded["leaving_reason"].tolist()[:2] == ["Dismissal", "Resignation"]
    assert validated.loaded["ethnicity"].tolist()[1] == "Whte British"  # loads; staging reports it unmapped


def test_training_file_without_a_financial_year_is_rejected_naming_it(tmp_path):
    header = ["Record No", "Staff Number", "Record Type", "Date"]
    file = _csv(tmp_path / "training_export.csv", header, [["24000001", "500136", "TRN", "03/05/2023"]])
    with pytest.raises(ExtractError) as err:
        check_file(CONTRACTS["hr_training"], file, demo=True)
    assert err.value.problem == "required column(s) missing: financial_year; header was row 1"
    assert "stated in the title rows or file name" in err.value.expected


def test_training_financial_year_from_the_title_row_and_a_bad_year_column(tmp_path):
    header = ["Record No", "Staff Number", "Record Type", "Category", "Date", "Hours"]
    rows = [
        ["24000001", "500136", "TRN", "NM", "03/05/2023", "7"],
        ["24000002", "500136", "PRM", "", "01/06/2023", ""],
    ]
    title = "Learning records 2023/24 (all staff)"
    titled = _csv(tmp_path / "training_export.csv", header, rows, title=title)
    validated, result = _check("hr_training", titled)
    assert result.rows_quarantined == 0 and result.periods == ["2023/24"]  # staging writes it 2023-24
    assert validated.loaded["course_category"].tolist() == ["Non-mandatory", None]
    assert validated.loaded["activity_type"].tolist() == ["Course", "Promotion"]

    with_column = _csv(
        tmp_path / "training_2023-24.csv",
        ["Financial Year", *header],
        [["2023-24", *rows[0]], ["FY24", *rows[1]]],
        pad=["2023-24", "2400010{i}", "500137", "TRN", "M", "04/05/2023", "1"],
    )
    _, result = _check("hr_training", with_column)
    q = result.quarantine[["source_row", "column_name", "value", "rule"]].to_dict("records")
    assert q == [
        {
            "source_row": 3,
            "column_name": "financial_year",
            "value": "FY24",
            "rule": r"format: must match 20\d{2}[-/]\d{2}",
        }
    ]


def test_training_xlsx_with_a_mostly_bad_file_is_rejected_whole(tmp_path):
    """More than 20% of rows breaking the rules: the file is not loaded, and the message says why."""
    wb = Workbook()
    ws = wb.active
    ws.append(["Learning report 2024-25 (synthetic)"])
    ws.append([])
    ws.append(["Enrolment ID", "Person Number", "Type", "From", "Duration (hrs)"])
    for i in range(10):
        ws.append([f"EN-25-{i:06d}", f"5001{i:02d}", "Learning", date(2024, 5, 1), 1000 if i < 3 else 7])
    ws.append(["Total", 10])
    file = tmp_path / "learning_2024-25.xlsx"
    wb.save(file)
    with pytest.raises(ExtractError) as err:
        check_file(CONTRACTS["hr_training"], file, demo=True)
    assert "3 of 10 rows (30%) break the contract's rules, above the 20% limit" in err.value.problem
    assert "range: must be at most 400 (3 rows)" in err.value.problem


def test_an_unknown_extra_column_is_reported_and_kept_out(tmp_path):
    header = ["Case Ref", "Employee Number", "Case Type", "Date Opened", "Investigating Officer Notes"]
    file = _csv(
        tmp_path / "cases_2024-25.csv",
        header,
        [["ER-25-0001", "500136", "GRV", "01/06/2024", "met on 3 June"]],
    )
    validated, result = _check("hr_casework", file)
    assert result.unknown_columns == ["Investigating Officer Notes"]
    assert result.rows_loaded == 1
    assert "met on 3 June" not in validated.loaded.astype(str).to_numpy().ravel().tolist()


# --- (d) pseudonymisation ------------------------------------------------------------------------


def test_identifiers_are_keyed_hashes_and_employee_keys_link_to_the_payroll(clean):
    inbox, truth, results = clean
    payroll_keys = results["payroll_keys"]  # as check_file pseudonymises the payroll's employee numbers
    linked = {  # files linked to the 31 March 2024 payroll snapshot
        "hr_casework": "2023-24",
        "hr_training": "2023-24",
        "hr_leavers": "2024-25",
    }
    for source in SOURCES:
        for record in truth[source]["files"]:
            loaded = results[record["file"]][0].loaded
            for column in IDENTIFIERS[source]:
                assert loaded[column].str.fullmatch(r"[0-9a-f]{64}").all(), (record["file"], column)
            if linked.get(source) == record["financial_year"]:
                keys = set(loaded["employee_id"])
                assert keys <= payroll_keys, record["file"]
                assert record["linked_payroll_snapshot"] == "2024-03-31"
    # The hash is HMAC-SHA256 of the trimmed, case-folded number, the same for every source.
    first = pd.read_excel(inbox / truth["hr_casework"]["files"][0]["file"], header=2, dtype=str)
    loaded = results[truth["hr_casework"]["files"][0]["file"]][0].loaded
    assert loaded["employee_id"].iloc[0] == _hmac(first["Emp No"].iloc[0])
    assert loaded["case_reference"].iloc[0] == _hmac(first["Case ID"].iloc[0])


def test_direct_identifiers_never_reach_the_loaded_frame_or_the_quarantine(tmp_path):
    header = ["Payroll Number", "Full Name", "DOB", "Ethnicity", "Date Left", "Leaver Reason", "LOS (yrs)"]
    file = _csv(
        tmp_path / "leavers_2024-25.csv",
        header,
        [
            ["P0001", "Ada Okafor", "14/05/1971", "Black African", "30/04/2024", "RES", "12.0"],
            ["P0002", "Tom Price", "02/02/1990", "White British", "31/02/2025", "DIS", "2.0"],
        ],
        title="Leavers 01/04/2024 to 31/03/2025",
        pad=["P01{i}", "", "", "", "30/04/2024", "RES", "1.0"],
    )
    validated, result = _check("hr_leavers", file)
    assert (result.rows_loaded, result.rows_quarantined) == (1 + PAD, 1)
    assert result.unknown_columns == []
    assert not {"employee_name", "date_of_birth", "month_of_birth"} & set(validated.loaded.columns)
    held = validated.loaded.astype(str).to_numpy().ravel().tolist() + result.quarantine["value"].tolist()
    for secret in ("Ada Okafor", "Tom Price", "14/05/1971", "02/02/1990", "P0001", "P0002"):
        assert not any(secret in cell for cell in held), secret
    assert validated.loaded["employee_id"].iloc[0] == _hmac("p0001")  # case-insensitive, as payroll's
