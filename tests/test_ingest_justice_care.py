"""Ingesting youth justice, stop and search, looked-after children (SSDA903) and child protection
extracts: every demo file loads clean, dirty-mode faults are quarantined (or reported) exactly, bad
inputs get exact outcomes, and person identifiers never reach the warehouse in the clear."""

from __future__ import annotations

import csv
import hashlib
import hmac
import warnings
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import use_data_dir
from observatory import config
from observatory.config import DBT_PROJECT_DIR
from observatory.contracts import get_contract, normalise_label, parse_contract
from observatory.demo import care, justice
from observatory.demo.authorities import authorities_for
from observatory.demo.context import DemoContext
from observatory.demo.faults import DirtyConfig
from observatory.demo.justice_stop_search import StopSearchPlanted
from observatory.ingest.load import check_file, load_file
from observatory.ingest.parsing import parse_timestamp
from observatory.ingest.pseudonymise import DEMO_KEY
from observatory.ingest.readers import ExtractError
from openpyxl import Workbook

SOURCES = ("youth_justice", "stop_search", "cla", "child_protection")
CONTRACTS = {s: get_contract(s) for s in SOURCES}
YEARS = (date(2024, 3, 31), date(2025, 3, 31))
AUTHORITY = "X09000001"
# The generator's canonical column names that this repository's contracts name differently.
RENAMED = {("stop_search", "date"): "searched_at"}
# Faults that are data-quality findings, not row errors: the row loads and staging reports the value.
FINDINGS = {"unknown_ethnicity", "unknown_ethnicity_code"}

pytestmark = pytest.mark.usefixtures("data_dir")


def _generate_and_check(tmp_path_factory, name: str, dirty: bool) -> tuple[Path, dict, dict]:
    """Write the demo extracts once, then check every file of the four sources against its contract.

    Clean: the files ``observatory demo --years 2`` writes (the borough: one authority). Dirty: three
    authorities, so every system shape of every source carries faults (three youth justice systems,
    two SSDA903 and two child protection layouts); stop and search at a quarter of its planted rate
    (about 1,000 searches a file: the faults do not depend on the volume, the test's run time does)."""
    inbox = tmp_path_factory.mktemp(name)
    ctx = DemoContext(
        seed=42,
        scale="borough",
        authorities=authorities_for("london")[:3] if dirty else authorities_for("borough"),
        snapshot_dates=YEARS,
        dirty=DirtyConfig() if dirty else None,
    )
    quieter = justice.JusticeConfig(stop_search=StopSearchPlanted(rate_per_1000=2.0)) if dirty else None
    truth = {**justice.write(inbox, ctx, quieter), **care.write(inbox, ctx)}
    results: dict[str, object] = {}
    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the public demo key's warning
        use_data_dir(mp, inbox.parent / f"{name}_data", authority=AUTHORITY, key=None, demo=True)
        for source in SOURCES:
            for record in truth[source]["files"]:
                try:
                    results[record["file"]] = check_file(CONTRACTS[source], inbox / record["file"], demo=True)
                except ExtractError as err:
                    results[record["file"]] = err
    return inbox, truth, results


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    return _generate_and_check(tmp_path_factory, "justice_care_clean", dirty=False)


@pytest.fixture(scope="module")
def dirty(tmp_path_factory):
    return _generate_and_check(tmp_path_factory, "justice_care_dirty", dirty=True)


def _reviewed_values() -> tuple[set[str], set[str]]:
    """Normalised labels of the reviewed label lookup; DfE codes of the DfE code seed."""
    seeds = DBT_PROJECT_DIR / "seeds" / "ethnicity"
    with (seeds / "ethnicity_hr_labels.csv").open(encoding="utf-8") as f:
        labels = {normalise_label(r["label_normalised"]) for r in csv.DictReader(f)}
    with (seeds / "ethnicity_dfe_codes.csv").open(encoding="utf-8") as f:
        codes = {r["dfe_code"] for r in csv.DictReader(f)}
    return labels, codes


# --- (a) clean demo files ------------------------------------------------------------------------


def test_every_clean_demo_file_loads_whole_with_no_unknown_columns(clean):
    _, truth, results = clean
    files = 0
    for source in SOURCES:
        for record in truth[source]["files"]:
            validated, result = results[record["file"]]
            assert result.rows_quarantined == 0, (record["file"], result.rule_counts)
            assert result.unknown_columns == [], record["file"]
            assert result.rows_in == result.rows_loaded == record["data_rows"], record["file"]
            assert validated.loaded["authority_code"].eq(AUTHORITY).all()
            files += 1
    assert files == 8


def test_every_system_shape_loads_all_but_its_planted_faults(dirty):
    """The dirty files cover every system: each loads every row but the faulty ones, no unknown columns."""
    _, truth, results = dirty
    systems = set()
    for source in SOURCES:
        for record in truth[source]["files"]:
            if not record["missing_columns"]:
                _, result = results[record["file"]]
                assert result.unknown_columns == [], record["file"]
                assert result.rows_loaded > 0.95 * record["data_rows"]
                systems.add((source, record["system"]))
    assert systems == {
        ("youth_justice", "childview_csv"),
        ("youth_justice", "careworks_xlsx"),
        ("youth_justice", "canonical_csv"),
        ("stop_search", "data.police.uk"),
        ("cla", "ssda903_csv"),
        ("cla", "case_management_report_csv"),
        ("child_protection", "case_management_csv"),
        ("child_protection", "cin_census_csv"),
    }


def test_every_clean_ethnicity_value_is_in_a_reviewed_lookup(clean):
    """Clean files hold only values staging conforms: labels (and the DfE main codes youth justice
    systems hold) through ethnicity_hr_labels, SSDA903 / CIN codes through ethnicity_dfe_codes."""
    _, truth, results = clean
    labels, codes = _reviewed_values()
    for source in SOURCES:
        column = "self_defined_ethnicity" if source == "stop_search" else "ethnicity"
        for record in truth[source]["files"]:
            values = set(results[record["file"]][0].loaded[column].dropna())
            if source in ("cla", "child_protection"):
                assert values <= codes, record["file"]
            else:
                assert {normalise_label(v) for v in values} <= labels, record["file"]


# --- (b) dirty demo files ------------------------------------------------------------------------


def _expected_quarantine(source: str, faults: list[dict]) -> dict[int, str]:
    """Physical row -> canonical column of each row fault that must be quarantined."""
    out = {}
    for f in faults:
        if f["level"] != "row" or f["fault"] in FINDINGS:
            continue
        out[f["row"]] = RENAMED.get((source, f["canonical_column"]), f["canonical_column"])
    return out


@pytest.mark.parametrize("source", SOURCES)
def test_dirty_files_quarantine_exactly_the_planted_row_faults(dirty, source):
    _, truth, results = dirty
    faults = truth[source]["faults"]
    checked = 0
    for record in truth[source]["files"]:
        outcome = results[record["file"]]
        if record["missing_columns"]:
            continue  # the file-level fault: see the next test
        validated, result = outcome
        mine = [f for f in faults if f["file"] == record["file"]]
        expected = _expected_quarantine(source, mine)
        q = result.quarantine
        assert set(q["source_row"]) == set(expected), record["file"]
        for row, column in expected.items():
            rules = q[q["source_row"] == row]
            duplicate = next(f for f in mine if f["row"] == row)["fault"] == "duplicate_row"
            if duplicate:
                assert rules["rule"].str.startswith("unique: a second row for the same").all()
            else:
                assert rules["column_name"].tolist() == [column], (record["file"], row)
        assert result.rows_in == result.rows_loaded + result.rows_quarantined == record["data_rows"]
        # Data-quality findings load, with the value as written, for staging to report as unmapped.
        loaded = validated.loaded.set_index("_source_row")
        column = "self_defined_ethnicity" if source == "stop_search" else "ethnicity"
        for f in mine:
            if f["fault"] in FINDINGS:
                assert loaded.loc[f["row"], column] == f["value"]
        checked += 1
    assert checked == len(truth[source]["files"]) - 1


def test_planted_unknown_ethnicity_values_are_not_in_any_reviewed_lookup(dirty):
    _, truth, _ = dirty
    labels, codes = _reviewed_values()
    found = 0
    for source in SOURCES:
        for f in truth[source]["faults"]:
            if f["fault"] not in FINDINGS:
                continue
            found += 1
            if source in ("cla", "child_protection"):
                assert f["value"] not in codes
            else:
                assert normalise_label(f["value"]) not in labels, f["value"]
    assert found > 20


@pytest.mark.parametrize("source", SOURCES)
def test_the_file_missing_its_ethnicity_column_is_rejected_naming_it(dirty, source):
    _, truth, results = dirty
    rejected = [r for r in truth[source]["files"] if r["missing_columns"]]
    assert len(rejected) == 1
    err = results[rejected[0]["file"]]
    assert isinstance(err, ExtractError)
    column = "self_defined_ethnicity" if source == "stop_search" else "ethnicity"
    assert err.file.name == Path(rejected[0]["file"]).name
    assert f"required column(s) missing: {column}" in str(err)


# --- (c) further bad inputs ----------------------------------------------------------------------


def _write(path: Path, header: list[str], rows: list[list], encoding: str = "utf-8") -> Path:
    with path.open("w", newline="", encoding=encoding) as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


SS_HEADER = [
    "Type", "Date", "Part of a policing operation", "Policing operation", "Latitude", "Longitude", "Gender",
    "Age range", "Self-defined ethnicity", "Officer-defined ethnicity", "Legislation", "Object of search",
    "Outcome", "Outcome linked to object of search", "Removal of more than just outer clothing",
]  # fmt: skip


def _search(when: str, *, kind="Person search", lat="54.5", self_defined="White - Irish", officer="White"):
    person = kind != "Vehicle search"
    return [
        kind, when, "False", "", lat, "2.5", "Male" if person else "", "18-24" if person else "",
        self_defined if person else "", officer if person else "", "Misuse of Drugs Act 1971 (section 23)",
        "Controlled drugs", "Arrest", "True", "False",
    ]  # fmt: skip


def _quarantine(result) -> dict[int, tuple[str, str, str]]:
    q = result.quarantine
    return {r.source_row: (r.column_name, r.value, r.rule) for r in q.itertuples()}


def test_stop_search_timestamps_load_as_local_clock_time_and_an_impossible_one_is_quarantined(tmp_path):
    rows = [
        _search("2024-06-14T21:35:00+01:00"),
        _search("2024-12-01T08:05:00+00:00", kind="Vehicle search"),  # no person details: blanks allowed
        _search("2025-03-30T23:59Z"),
        _search("2024-02-30T10:00:00+00:00"),
        _search("14/06/2024 21:36"),  # another search a minute later, written the UK way
        _search(""),
        *(_search(f"2024-07-{d:02d}T12:00:00+01:00") for d in range(1, 7)),
    ]
    validated, result = check_file(
        CONTRACTS["stop_search"], _write(tmp_path / "ss.csv", SS_HEADER, rows), demo=True
    )
    assert _quarantine(result) == {
        5: (
            "searched_at",
            "2024-02-30T10:00:00+00:00",
            "type: must be a date and time (yyyy-mm-ddThh:mm:ss, optionally +01:00, or dd/mm/yyyy hh:mm)",
        ),
        7: ("searched_at", "", "required: must not be blank"),
    }
    assert result.rows_in == 12 and result.rows_loaded == 10 and result.rows_quarantined == 2
    loaded = validated.loaded.set_index("_source_row")
    assert loaded.loc[2, "searched_at"] == pd.Timestamp("2024-06-14 21:35")  # BST kept, not shifted to UTC
    assert loaded.loc[4, "searched_at"] == pd.Timestamp("2025-03-30 23:59")
    assert loaded.loc[6, "searched_at"] == pd.Timestamp("2024-06-14 21:36")
    assert pd.isna(loaded.loc[3, "self_defined_ethnicity"]) and pd.isna(loaded.loc[3, "gender"])


def test_timestamp_parser_drops_only_an_offset_after_a_time():
    text = pd.Series(["2024-06-14T21:35:00-05:00", "14-06-2024", "2024-06-14", "2024-06-14T25:00:00", "n/a"])
    assert parse_timestamp(text).tolist()[:3] == [
        pd.Timestamp("2024-06-14 21:35"),
        pd.Timestamp("2024-06-14"),  # a dd-mm-yyyy date is not mistaken for a time with an offset
        pd.Timestamp("2024-06-14"),
    ]
    assert parse_timestamp(text).iloc[3:].isna().all()


def test_stop_search_without_its_self_defined_ethnicity_column_is_rejected(tmp_path):
    """A column every file must have even though its cells may be blank (allow_blank)."""
    header = [h for h in SS_HEADER if h != "Self-defined ethnicity"]
    rows = [[c for h, c in zip(SS_HEADER, _search("2024-06-14T21:35:00+01:00"), strict=True) if h in header]]
    with pytest.raises(
        ExtractError, match=r"ss_june\.csv: required column\(s\) missing: self_defined_ethnicity"
    ):
        check_file(CONTRACTS["stop_search"], _write(tmp_path / "ss_june.csv", header, rows), demo=True)


def test_stop_search_row_repeating_every_field_is_a_duplicate_but_a_same_minute_search_is_not(tmp_path):
    first = _search("2024-06-14T21:35:00+01:00")
    rows = [
        first,
        list(first),
        _search("2024-06-14T21:35:00+01:00", self_defined="White - Any other White background"),
    ]
    rows.append(_search("2024-06-14T22:00:00+01:00", lat="-54.2"))
    rows.append(_search("2024-06-14T22:10:00+01:00", lat="n/a"))
    rows += [_search(f"2024-07-{d:02d}T12:00:00+01:00") for d in range(1, 11)]
    _, result = check_file(CONTRACTS["stop_search"], _write(tmp_path / "ss.csv", SS_HEADER, rows), demo=True)
    q = _quarantine(result)
    assert sorted(q) == [3, 5, 6]
    assert q[3][2].startswith("unique: a second row for the same searched_at, type, part_of_operation")
    assert q[5] == ("latitude", "-54.2", "range: must be at least 49")
    assert q[6] == ("latitude", "n/a", "type: must be a number (e.g. 1234.50 or £1,234.50)")
    assert result.rows_in == 15 == result.rows_loaded + result.rows_quarantined


def test_a_corrected_stop_search_file_under_the_same_name_withdraws_a_search(tmp_path):
    """A new file replaces the rows of the earlier file with its name, so a search withdrawn from the
    correction is removed (replacing by search time could not: no row of the new file has its time,
    and the data-quality reconciliation then refused every publication). Another file's rows stay."""
    con = duckdb.connect()
    searches = [_search(f"2024-{month:02d}-10T12:00:00+01:00") for month in range(4, 13)]
    other = _write(
        tmp_path / f"ss_{AUTHORITY}_2023-24.csv", SS_HEADER, [_search("2023-05-10T12:00:00+01:00")]
    )
    path = _write(tmp_path / f"ss_{AUTHORITY}_2024-25.csv", SS_HEADER, searches)
    for file in (other, path):
        assert load_file(con, CONTRACTS["stop_search"], file, demo=True).status == "loaded"
    _write(path, SS_HEADER, searches[:-1])  # the last search withdrawn
    assert load_file(con, CONTRACTS["stop_search"], path, demo=True).status == "loaded"
    held = con.execute("select _source_file, count(*) from raw.stop_search group by 1 order by 1").fetchall()
    assert held == [(other.name, 1), (path.name, len(searches) - 1)]
    log = con.execute("select file_name, rows_in, superseded from raw.load_log order by all").fetchall()
    assert log == [(other.name, 1, False), (path.name, 8, False), (path.name, 9, True)]


CLA_HEADER = [
    "CHILD", "SEX", "DOB", "ETHNIC", "UPN", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC",
    "REC", "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST",
]  # fmt: skip


def _episode(child: str, *, sex="1", start="01/05/2024", ls="C2", ethnic="WBRI"):
    return [child, sex, "14/05/2012", ethnic, "UN5", start, "S", ls, "N1", "U4", "PR1", "", "", "", "AB1 2CD",
            "EF3 4GH"]  # fmt: skip


def test_ssda903_codes_are_checked_and_a_negative_sex_code_is_not_read_as_male(tmp_path):
    rows = [_episode(f"C{i}") for i in range(30)]
    rows[1][1] = "-1"  # SEX: a negative code, not 1
    rows[2][1] = "M"  # SEX must be the 903 code
    rows[3][7] = "C9"  # no such legal status
    rows[4][5] = "31/04/2024"  # impossible DECOM
    rows[5] = _episode("C0", start="01/05/2024")  # the same child and episode start twice
    path = _write(tmp_path / "903_episodes.csv", CLA_HEADER, rows, encoding="cp1252")
    validated, result = check_file(CONTRACTS["cla"], path, demo=True)
    q = _quarantine(result)
    assert q[3] == ("sex", "-1", "range: must be at least 1")
    assert q[4] == ("sex", "M", "type: must be a whole number")
    assert q[5][:2] == ("legal_status", "C9") and q[5][2].startswith("allowed values: one of C1, C2, D1")
    assert q[6] == ("episode_start", "31/04/2024", "type: must be a date (dd/mm/yyyy or yyyy-mm-dd)")
    assert q[7][2] == "unique: a second row for the same child_id, episode_start"
    assert result.rows_in == 30 and result.rows_loaded == 25 and result.rows_quarantined == 5
    assert validated.loaded["sex"].tolist() == [1] * 25


def test_a_mostly_bad_ssda903_file_is_rejected_whole(tmp_path):
    rows = [_episode(f"C{i}", sex="X") if i < 3 else _episode(f"C{i}") for i in range(5)]
    with pytest.raises(
        ExtractError, match=r"903\.csv: 3 of 5 rows \(60%\).*not loaded.*whole number \(3 rows\)"
    ):
        check_file(CONTRACTS["cla"], _write(tmp_path / "903.csv", CLA_HEADER, rows), demo=True)


CIN_HEADER = [
    "LAchildID", "Sex", "PersonBirthDate", "Ethnicity", "CPPstartDate", "InitialCategoryOfAbuse",
    "CPPendDate", "NumberOfPreviousCPP",
]  # fmt: skip


def test_cin_census_item_names_and_codes_are_read_and_bad_counts_quarantined(tmp_path):
    rows = [
        [f"CIN{i}", "1" if i % 2 else "2", "03/02/2019", "BCRB", "10/10/2024", "NEG", "", "0"]
        for i in range(24)
    ]
    rows[1][7] = "45"
    rows[2][7] = "-1"
    rows[3][5] = "ABUSE"
    rows[4][6] = "2025-02-30"
    _, result = check_file(
        CONTRACTS["child_protection"], _write(tmp_path / "cin.csv", CIN_HEADER, rows), demo=True
    )
    q = _quarantine(result)
    assert q == {
        3: ("previous_plans", "45", "range: must be at most 20"),
        4: ("previous_plans", "-1", "range: must be at least 0"),
        5: (
            "category_of_abuse",
            "ABUSE",
            "allowed values: one of Neglect, Emotional abuse, Physical abuse, Sexual abuse, Multiple",
        ),
        6: ("plan_end", "2025-02-30", "type: must be a date (dd/mm/yyyy or yyyy-mm-dd)"),
    }
    validated, _ = check_file(CONTRACTS["child_protection"], tmp_path / "cin.csv", demo=True)
    loaded = validated.loaded.set_index("_source_row")
    assert loaded.loc[2, "sex"] == "Female" and loaded.loc[9, "sex"] == "Male"
    assert (loaded["category_of_abuse"] == "Neglect").all()
    assert result.rows_in == 24 == result.rows_loaded + result.rows_quarantined


YJ_HEADER = [
    "Case Reference", "Young Person ID", "Age at Offence", "Sex", "Ethnicity", "Offence Type",
    "Date of Offence", "Disposal", "Disposal Date", "First Time Entrant", "Remand", "Custodial Sentence",
    "Reoffended Within 12 Months",
]  # fmt: skip


def test_youth_justice_xlsx_report_with_title_and_total_rows(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["SYNTHETIC DEMO DATA - youth justice outcomes 2024-25"])
    ws.append(["Fictional council"])
    ws.append(YJ_HEADER)
    outcomes = ["Youth Caution", "Detention and Training Order", "Referral Order", "Community Order"]
    outcomes += ["Fine"] * 8
    for i, outcome in enumerate(outcomes):
        ws.append([
            2500001 + i, 70000 + i, 9 if i == 2 else 15, "Male", "White: Irish", "Robbery", date(2024, 5, 1),
            outcome, date(2024, 9, 1 + i), "Yes", "No remand", "Yes" if i == 1 else "No", "No",
        ])  # fmt: skip
    ws.append(["Total outcomes", 12])
    wb.save(tmp_path / "yj.xlsx")
    validated, result = check_file(CONTRACTS["youth_justice"], tmp_path / "yj.xlsx", demo=True)
    assert _quarantine(result) == {
        6: ("age_at_offence", "9", "range: must be at least 10"),
        7: (
            "outcome",
            "Community Order",
            "allowed values: one of Youth Caution, Youth Conditional Caution, Referral Order, "
            "Youth Rehabilitation Order, Custody, Fine, Conditional Discharge",
        ),
    }
    assert result.skipped_rows == 3  # two title rows and the total row
    loaded = validated.loaded.set_index("_source_row")
    assert loaded.loc[5, "outcome"] == "Custody" and bool(loaded.loc[5, "custody"])
    assert loaded.loc[4, "outcome_date"] == pd.Timestamp("2024-09-01")
    assert result.rows_in == 12 == result.rows_loaded + result.rows_quarantined


def _outcome(case: int, outcome_date: str, outcome="Referral Order"):
    return [case, 70000 + case, 15, "Male", "White: Irish", "Robbery", "01/05/2024", outcome, outcome_date,
            "Yes", "No remand", "No", "No"]  # fmt: skip


def test_a_corrected_youth_justice_file_under_the_same_name_withdraws_an_outcome(tmp_path):
    """Youth justice replaces by file name (``replaces: file_name``): the corrected year's file takes
    the place of the file of its name, so an outcome withdrawn from it goes, even on a day no other
    outcome has; the other year's file, whose dates the correction overlaps, keeps its rows."""
    con = duckdb.connect()
    contract = CONTRACTS["youth_justice"]
    year = [_outcome(1, "10/06/2024"), _outcome(2, "11/07/2024"), _outcome(3, "12/08/2024", "Fine")]
    # Last year's file, sent late: an outcome dated in this year's months.
    earlier = _write(tmp_path / f"yj_{AUTHORITY}_2023-24.csv", YJ_HEADER, [_outcome(9, "11/07/2024")])
    path = _write(tmp_path / f"yj_{AUTHORITY}_2024-25.csv", YJ_HEADER, year)
    for file in (earlier, path):
        assert load_file(con, contract, file, demo=True).status == "loaded"
    _write(path, YJ_HEADER, year[:2])  # the Fine withdrawn: its day, 12/08/2024, has no other outcome
    assert load_file(con, contract, path, demo=True).status == "loaded"
    held = con.execute(
        "select _source_file, list(outcome order by outcome_date) from raw.youth_justice"
        " group by 1 order by 1"
    ).fetchall()
    assert held == [(earlier.name, ["Referral Order"]), (path.name, ["Referral Order", "Referral Order"])]
    log = con.execute("select file_name, rows_in, superseded from raw.load_log order by all").fetchall()
    assert log == [(earlier.name, 1, False), (path.name, 2, False), (path.name, 3, True)]


def test_a_file_without_an_authority_needs_one_configured(tmp_path, monkeypatch):
    use_data_dir(monkeypatch, tmp_path / "real", authority=None, key="a-real-secret", demo=False)
    rows = [_episode("C1")]
    with pytest.raises(ExtractError, match=f"no authority_code column.*{config.AUTHORITY_ENV}"):
        check_file(CONTRACTS["cla"], _write(tmp_path / "903.csv", CLA_HEADER, rows), demo=False)
    monkeypatch.setenv(config.AUTHORITY_ENV, "E09000999")
    validated, _ = check_file(CONTRACTS["cla"], tmp_path / "903.csv", demo=False)
    assert validated.loaded["authority_code"].tolist() == ["E09000999"]


def test_allow_blank_is_only_for_a_required_column():
    doc = {
        "name": "x",
        "domain": "x",
        "period": {"column": "d"},
        "columns": [{"name": "d", "type": "date"}, {"name": "e", "type": "string", "allow_blank": True}],
    }
    with pytest.raises(ValueError, match="allow_blank is for a required column"):
        parse_contract(doc)


# --- (d) identifiers -----------------------------------------------------------------------------


def _hmac(value: str) -> str:
    return hmac.new(DEMO_KEY.encode(), value.strip().casefold().encode(), hashlib.sha256).hexdigest()


@pytest.mark.parametrize(
    ("source", "system", "identifiers", "dropped"),
    [
        ("youth_justice", "childview_csv", {"case_id": "Case ID", "person_id": "Child ID"}, ["DOB"]),
        (
            "youth_justice",
            "canonical_csv",
            {"case_id": "case_id", "person_id": "person_id"},
            ["date_of_birth"],
        ),
        ("cla", "ssda903_csv", {"child_id": "CHILD", "upn": "UPN"}, ["DOB", "HOME_POST", "PL_POST"]),
        ("child_protection", "cin_census_csv", {"child_id": "LAchildID"}, ["PersonBirthDate"]),
    ],
)
def test_identifiers_are_pseudonymised_and_direct_identifiers_never_loaded(
    dirty, source, system, identifiers, dropped
):
    inbox, truth, results = dirty
    record = next(r for r in truth[source]["files"] if r["system"] == system and not r["missing_columns"])
    raw = pd.read_csv(inbox / record["file"], dtype=str, keep_default_na=False, encoding="cp1252")
    loaded = results[record["file"]][0].loaded.sort_values("_source_row").reset_index(drop=True)
    raw = raw.iloc[loaded["_source_row"] - 2].reset_index(drop=True)  # the rows that loaded (header = line 1)
    contract = CONTRACTS[source]
    assert [c for c in contract.columns if c.direct_identifier and c.name in loaded.columns] == []
    for column, header in identifiers.items():
        assert loaded[column].tolist() == [_hmac(v) for v in raw[header]]
    text = set(loaded.astype(str).to_numpy().ravel())
    for header in [*identifiers.values(), *dropped]:
        clear = set(raw[header]) - {"", "UN1", "UN5"}
        assert not clear & text, header  # no raw identifier, date of birth or postcode anywhere
    dob = pd.to_datetime(raw[dropped[0]], format="%d/%m/%Y")
    assert (loaded["month_of_birth"] == dob.dt.to_period("M").dt.to_timestamp()).all()


def test_an_unparseable_date_of_birth_is_withheld_even_in_quarantine(tmp_path):
    rows = [_episode(f"C{i}") for i in range(10)]
    rows[1][2] = "31/02/2012"
    rows[1][1] = "7"
    _, result = check_file(CONTRACTS["cla"], _write(tmp_path / "903.csv", CLA_HEADER, rows), demo=True)
    q = result.quarantine
    assert set(q["value"]) == {"(unparseable date withheld)", "7"}
    assert "31/02/2012" not in q.to_string() and "AB1 2CD" not in q.to_string()


# --- loading: overlapping years, replacement -----------------------------------------------------


def test_two_years_of_returns_both_load_and_reloading_changes_nothing(clean):
    inbox, truth, _ = clean
    con = duckdb.connect()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for source in ("youth_justice", "cla", "child_protection"):
            records = [r for r in truth[source]["files"] if r["authority_code"] == AUTHORITY]
            assert len(records) == 2
            for r in records:
                assert load_file(con, CONTRACTS[source], inbox / r["file"], demo=True).status == "loaded"
            # Episodes and plans open across 31 March are in both returns: nothing is replaced.
            expected = sum(r["data_rows"] for r in records)
            assert con.execute(f"select count(*) from raw.{source}").fetchone()[0] == expected
            assert (
                load_file(con, CONTRACTS[source], inbox / records[0]["file"], demo=True).status == "skipped"
            )
            assert con.execute(f"select count(*) from raw.{source}").fetchone()[0] == expected
    columns = {r[0] for r in con.execute("select column_name from information_schema.columns").fetchall()}
    assert not columns & {"date_of_birth", "home_postcode", "placement_postcode"}
    assert con.execute("select count(*) from raw.quarantine").fetchone()[0] == 0
