"""Ingesting the school census, EYFSP, KS4, exclusions and the DfE Explore Education Statistics (EES)
benchmark files: every demo file loads clean, dirty-mode faults are quarantined (or reported) exactly,
bad inputs get exact outcomes, and UPNs and dates of birth never reach the warehouse in the clear."""

from __future__ import annotations

import csv
import hashlib
import hmac
import warnings
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from conftest import use_data_dir
from observatory.config import DBT_PROJECT_DIR
from observatory.contracts import get_contract, parse_contract
from observatory.demo import care, education
from observatory.demo.authorities import authorities_for
from observatory.demo.context import DemoContext
from observatory.demo.education_config import EducationConfig, PupilPopulation
from observatory.demo.faults import DirtyConfig
from observatory.ingest.load import check_file
from observatory.ingest.pseudonymise import DEMO_KEY
from observatory.ingest.readers import ExtractError
from openpyxl import Workbook

PUPIL_SOURCES = ("school_census", "eyfsp", "ks4", "exclusions")
SOURCES = (*PUPIL_SOURCES, "benchmarks_ees")
CONTRACTS = {s: get_contract(s) for s in SOURCES}
YEARS = (date(2024, 3, 31), date(2025, 3, 31))
AUTHORITY = "X09000001"
# Faults that are data-quality findings, not row errors: the row loads and staging reports the code.
FINDINGS = {"unknown_ethnicity_code"}
# Pupils on roll as a share of residents aged 4-15: an eighth of the demo's, so the test reads ~6,000
# census rows a file instead of ~42,000 (the faults do not depend on the volume, the run time does).
SMALL = EducationConfig(population=PupilPopulation(roll_share_london=0.12, roll_share_elsewhere=0.12))

pytestmark = pytest.mark.usefixtures("data_dir")


def _generate_and_check(tmp_path_factory, name: str, dirty: bool) -> tuple[Path, dict, dict]:
    """Write the education and care extracts once (care writes the other EES files), then check every
    file of the five sources against its contract. Clean: the borough (one authority). Dirty: three
    authorities, so each of the three systems' shapes of every source carries faults; the education
    EES files carry no faults in dirty mode, so only the care EES files are checked there."""
    inbox = tmp_path_factory.mktemp(name)
    ctx = DemoContext(
        seed=42,
        scale="borough",
        authorities=authorities_for("london")[:3] if dirty else authorities_for("borough"),
        snapshot_dates=YEARS,
        dirty=DirtyConfig() if dirty else None,
    )
    truth = education.write(inbox, ctx, SMALL)
    ees = truth["benchmarks_ees"]
    care_ees = care.write(inbox, ctx)["benchmarks_ees"]
    ees["files"] = [*ees["files"], *care_ees["files"]]
    ees["faults"] = care_ees["faults"]
    results: dict[str, object] = {}
    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the public demo key's warning
        use_data_dir(mp, inbox.parent / f"{name}_data", authority=AUTHORITY, key=None, demo=True)
        for source in SOURCES:
            for record in truth[source]["files"]:
                if dirty and source == "benchmarks_ees" and "measure" not in record:
                    continue
                try:
                    results[record["file"]] = check_file(CONTRACTS[source], inbox / record["file"], demo=True)
                except ExtractError as err:
                    results[record["file"]] = err
    return inbox, truth, results


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    return _generate_and_check(tmp_path_factory, "education_clean", dirty=False)


@pytest.fixture(scope="module")
def dirty(tmp_path_factory):
    return _generate_and_check(tmp_path_factory, "education_dirty", dirty=True)


# --- (a) clean demo files ------------------------------------------------------------------------


@pytest.mark.parametrize("source", SOURCES)
def test_every_clean_demo_file_loads_whole_with_no_unknown_columns(clean, source):
    _, truth, results = clean
    records = truth[source]["files"]
    assert len(records) == (6 if source == "benchmarks_ees" else 2)
    for record in records:
        validated, result = results[record["file"]]
        assert result.rows_quarantined == 0, (record["file"], result.rule_counts)
        assert result.unknown_columns == [], record["file"]
        assert result.rows_in == result.rows_loaded == record["data_rows"], record["file"]
        if source != "benchmarks_ees":
            assert validated.loaded["authority_code"].eq(AUTHORITY).all()


def test_every_clean_census_code_is_in_the_dfe_code_seed(clean):
    _, truth, results = clean
    with (DBT_PROJECT_DIR / "seeds" / "ethnicity" / "ethnicity_dfe_codes.csv").open(encoding="utf-8") as f:
        codes = {r["dfe_code"] for r in csv.DictReader(f)}
    for record in truth["school_census"]["files"]:
        values = set(results[record["file"]][0].loaded["ethnicity"])
        assert values <= codes, values - codes
        assert {"BSOM", "WTUR", "REFU", "NOBT"} <= values  # extended and not-known codes are kept as written


def test_ees_renamed_ks4_columns_load_under_their_canonical_names(clean):
    _, truth, results = clean
    ks4 = sorted(
        (r for r in truth["benchmarks_ees"]["files"] if r.get("publication") == "ks4"),
        key=lambda r: r["time_period"],
    )
    assert "pupil_count" in ks4[-1]["header"] and "t_pupils" in ks4[0]["header"]
    for record in ks4:
        loaded = results[record["file"]][0].loaded
        assert loaded["t_pupils"].notna().all() and loaded["t_att8"].notna().sum() > 0
        # Suppressed and not-published cells keep their symbol, never a zero.
        assert set(loaded["avg_att8_symbol"].dropna()) <= {"c", "x", "z"}
        assert loaded.loc[loaded["avg_att8_symbol"].notna(), "avg_att8"].isna().all()
        assert (loaded["ethnicity_major"] == "Unclassified").sum() > 0
    excl = next(r for r in truth["benchmarks_ees"]["files"] if r.get("publication") == "exclusions")
    loaded = results[excl["file"]][0].loaded
    assert loaded["t_pupils"].isna().all() and loaded["headcount"].notna().all()
    assert {"c", "z"} <= set(loaded["perm_excl_rate_symbol"].dropna()) <= {"c", "low", "z"}


# --- (b) dirty demo files ------------------------------------------------------------------------


def _expected_quarantine(faults: list[dict]) -> dict[int, str]:
    """Physical row -> canonical column of each row fault that must be quarantined."""
    return {
        f["row"]: f["canonical_column"]
        for f in faults
        if f["row"] is not None and f["fault"] not in FINDINGS and f["fault"] != "missing_required_column"
    }


@pytest.mark.parametrize("source", SOURCES)
def test_dirty_files_quarantine_exactly_the_planted_row_faults(dirty, source):
    _, truth, results = dirty
    faults = truth[source]["faults"]
    checked = 0
    for record in truth[source]["files"]:
        if record["file"] not in results or record["missing_columns"]:
            continue  # education EES files (no faults) and the file-level fault: see below
        validated, result = results[record["file"]]
        assert result.unknown_columns == [], record["file"]
        mine = [f for f in faults if f["file"] == record["file"]]
        expected = _expected_quarantine(mine)
        q = result.quarantine
        assert set(q["source_row"]) == set(expected), record["file"]
        for row, column in expected.items():
            rules = q[q["source_row"] == row]
            if next(f for f in mine if f["row"] == row)["fault"] == "duplicate_row":
                assert rules["rule"].str.startswith("unique: a second row for the same").all()
            else:
                assert rules["column_name"].tolist() == [column], (record["file"], row)
        assert result.rows_in == result.rows_loaded + result.rows_quarantined == record["data_rows"]
        # Unknown ethnicity codes load as written, for staging to report as unmapped.
        loaded = validated.loaded.set_index("_source_row")
        for f in mine:
            if f["fault"] in FINDINGS:
                assert loaded.loc[f["row"], "ethnicity"] == f["value"]
        checked += 1
    assert checked == len([r for r in truth[source]["files"] if r["file"] in results]) - 1


def test_every_system_shape_is_covered_by_the_dirty_files(dirty):
    _, truth, results = dirty
    shapes = {
        (s, r["system"], r["format"])
        for s in PUPIL_SOURCES
        for r in truth[s]["files"]
        if r["file"] in results
    }
    assert {(s, system) for s, system, _ in shapes} == {(s, i) for s in PUPIL_SOURCES for i in range(3)}
    assert ("ks4", 1, "xlsx") in shapes and ("eyfsp", 2, "xlsx") in shapes
    findings = [f for f in truth["school_census"]["faults"] if f["fault"] in FINDINGS]
    assert len(findings) > 20


@pytest.mark.parametrize(
    ("source", "column"),
    [
        ("school_census", "ethnicity"),
        ("eyfsp", "gld"),
        ("ks4", "attainment8"),
        ("exclusions", "category"),
        ("benchmarks_ees", "characteristic"),
    ],
)
def test_the_file_missing_a_required_column_is_rejected_naming_it(dirty, source, column):
    _, truth, results = dirty
    rejected = [r for r in truth[source]["files"] if r.get("missing_columns")]
    assert len(rejected) == 1
    err = results[rejected[0]["file"]]
    assert isinstance(err, ExtractError)
    assert err.file.name == Path(rejected[0]["file"]).name
    assert f"required column(s) missing: {column};" in str(err)


# --- (c) further bad inputs ----------------------------------------------------------------------


def _write(path: Path, header: list[str], rows: list[list], encoding: str = "utf-8") -> Path:
    with path.open("w", newline="", encoding=encoding) as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _quarantine(result) -> dict[int, tuple[str, str, str]]:
    return {r.source_row: (r.column_name, r.value, r.rule) for r in result.quarantine.itertuples()}


CENSUS_HEADER = [
    "UPN", "LAESTAB", "URN", "School Name", "NC Year Actual", "Age at Start of Year", "DOB", "Gender",
    "Ethnicity", "FSM Eligible", "SEN Provision", "EAL", "Census Date", "Legal Surname", "Forename",
]  # fmt: skip


def _pupil(i: int, *, year="3", sen="N", ethnicity="BSOM", eal="Y", census="16/01/2025"):
    return [
        f"A9502001240{i:02d}", "950/2001", "801001", "Oak Primary (synthetic)", year, "7", "14/05/2017", "M",
        ethnicity, "N", sen, eal, census, "Smith", "Ayan",
    ]  # fmt: skip


def test_census_codes_are_checked_and_spellings_conformed(tmp_path):
    rows = [_pupil(i) for i in range(20)]
    rows[1][4] = "Year 12"  # no such year group in a Reception-Year 11 census
    rows[2][10] = "Q"  # no such SEN provision
    rows[3][9] = "maybe"  # FSM must be yes or no
    rows[4] = _pupil(0)  # the same pupil twice on one census
    rows[5][4], rows[5][10], rows[5][11] = "Reception", "EHC Plan", "Other than English"
    rows[6][8] = "AFRO"  # an unknown code loads: a data-quality finding for staging
    validated, result = check_file(
        CONTRACTS["school_census"], _write(tmp_path / "census.csv", CENSUS_HEADER, rows, "cp1252"), demo=True
    )
    q = _quarantine(result)
    assert q[3] == (
        "nc_year",
        "Year 12",
        "allowed values: one of R, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11",
    )
    assert q[4] == ("sen_provision", "Q", "allowed values: one of N, K, E")
    assert q[5] == ("fsm_eligible", "maybe", "type: must be Y or N")
    assert q[6][0] == "upn, census_date" and q[6][2] == "unique: a second row for the same upn, census_date"
    assert sorted(q) == [3, 4, 5, 6]
    assert result.rows_in == 20 and result.rows_loaded == 16 and result.rows_quarantined == 4
    loaded = validated.loaded.set_index("_source_row")
    assert tuple(loaded.loc[7, ["nc_year", "sen_provision", "eal"]]) == ("R", "E", "Y")
    assert loaded.loc[8, "ethnicity"] == "AFRO"
    assert not {"surname", "forename", "date_of_birth"} & set(validated.loaded.columns)


def test_census_impossible_date_of_birth_is_quarantined_but_withheld(tmp_path):
    rows = [_pupil(i) for i in range(10)]
    rows[2][6] = "31/02/2017"
    rows[3][5] = "-7"
    _, result = check_file(
        CONTRACTS["school_census"], _write(tmp_path / "census.csv", CENSUS_HEADER, rows), demo=True
    )
    assert _quarantine(result) == {
        4: (
            "date_of_birth",
            "(unparseable date withheld)",
            "type: must be a date (dd/mm/yyyy or yyyy-mm-dd)",
        ),
        5: ("age", "-7", "range: must be at least 3"),
    }
    assert "31/02/2017" not in result.quarantine.to_string()
    assert result.rows_in == 10 == result.rows_loaded + result.rows_quarantined


EYFSP_HEADER = ["Pupil UPN", "DfE Number", "Establishment", "Date of Birth", "Sex", "Number of ELGs Expected",
                "Good Level of Development", "Year"]  # fmt: skip


def test_eyfsp_xlsx_with_title_and_total_rows_checks_goals_and_gld(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["SYNTHETIC DEMO DATA - EYFSP results 2024/25"])
    ws.append(["Fictional council"])
    ws.append(EYFSP_HEADER)
    for i in range(12):
        elgs, gld = (18, "Yes") if i == 1 else (17, "Maybe") if i == 2 else (12, "Yes")
        upn = f"B9502001240{i:02d}"
        ws.append([upn, "950/2001", "Oak (synthetic)", date(2019, 7, 30), "Female", elgs, gld, "2024-25"])
    ws.append(["Total", "12 pupils"])
    wb.save(tmp_path / "eyfsp.xlsx")
    validated, result = check_file(CONTRACTS["eyfsp"], tmp_path / "eyfsp.xlsx", demo=True)
    assert _quarantine(result) == {
        5: ("elgs_expected", "18", "range: must be at most 17"),
        6: ("gld", "Maybe", "type: must be Y or N"),
    }
    assert result.skipped_rows == 3  # two title rows and the total row
    assert result.rows_in == 12 == result.rows_loaded + result.rows_quarantined
    loaded = validated.loaded
    assert loaded["gld"].all() and (loaded["laestab"] == "950/2001").all()
    assert (loaded["month_of_birth"] == pd.Timestamp("2019-07-01")).all()


KS4_HEADER = ["UPN", "LAESTAB", "School Name", "DOB", "Gender", "ATT8SCR", "EM95", "Academic Year"]


def test_ks4_attainment8_is_checked_and_a_mostly_bad_file_rejected(tmp_path):
    rows = [[f"C9502001240{i:02d}", "9504001", "High (synthetic)", "01/01/2009", "F", "45.5", "1", "2024/25"]
            for i in range(20)]  # fmt: skip
    rows[1][5], rows[2][5], rows[3][6], rows[4][7] = "90.5", "ABS", "2", "2024/2025"
    _, result = check_file(CONTRACTS["ks4"], _write(tmp_path / "ks4.csv", KS4_HEADER, rows), demo=True)
    assert _quarantine(result) == {
        3: ("attainment8", "90.5", "range: must be at most 90"),
        4: ("attainment8", "ABS", "type: must be a number (e.g. 1234.50 or £1,234.50)"),
        5: ("em_grade5", "2", "type: must be Y or N"),
        6: ("academic_year", "2024/2025", "format: must match [0-9]{4}[/-]?[0-9]{2}"),
    }
    assert result.rows_in == 20 and result.rows_loaded == 16
    for row in rows[:10]:
        row[5] = "n/a"
    with pytest.raises(ExtractError, match=r"ks4\.csv: 10 of 20 rows \(50%\).*not loaded.*must be a number"):
        check_file(CONTRACTS["ks4"], _write(tmp_path / "ks4.csv", KS4_HEADER, rows), demo=True)


EXCL_HEADER = ["Pupil UPN", "DfE Number", "Establishment", "Category", "Start Date", "Reason Code",
               "Number of Sessions", "Year"]  # fmt: skip


def test_exclusion_categories_reasons_and_sessions(tmp_path):
    event = ["950/4001", "High (synthetic)", "FIXD", "04/09/2024", "PD", "2", "2024/25"]
    rows = [[f"D9502001240{i:02d}", *event] for i in range(30)]
    rows[1][3], rows[1][6] = "PERM", ""  # a permanent exclusion has no sessions
    rows[2][5] = "Verbal abuse or threatening behaviour against an adult"  # the reason as text
    rows[3][5] = "Misc"
    rows[4][6] = "91"
    rows[5][4] = "31/02/2024"
    rows[6] = list(rows[0])  # the same suspension again
    rows[7][3] = "Expelled"
    validated, result = check_file(
        CONTRACTS["exclusions"], _write(tmp_path / "excl.csv", EXCL_HEADER, rows), demo=True
    )
    q = _quarantine(result)
    assert q[5][:2] == ("reason", "Misc") and q[5][2].startswith("allowed values: one of PA, PP, VA")
    assert q[6] == ("sessions", "91", "range: must be at most 90")
    assert q[7] == ("start_date", "31/02/2024", "type: must be a date (dd/mm/yyyy or yyyy-mm-dd)")
    assert q[8][2] == "unique: a second row for the same upn, start_date, category"
    assert q[9] == ("category", "Expelled", "allowed values: one of Suspension, Permanent exclusion")
    assert sorted(q) == [5, 6, 7, 8, 9]
    assert result.rows_in == 30 and result.rows_loaded == 25
    loaded = validated.loaded.set_index("_source_row")
    assert loaded.loc[3, "category"] == "Permanent exclusion" and pd.isna(loaded.loc[3, "sessions"])
    assert loaded.loc[4, "reason"] == "VA"


EES_HEADER = [
    "time_period", "time_identifier", "geographic_level", "country_code", "country_name", "region_code",
    "region_name", "old_la_code", "new_la_code", "la_name", "school_type", "characteristic_group",
    "characteristic", "headcount", "perm_excl", "perm_excl_rate", "suspension", "susp_rate",
]  # fmt: skip


EES_MINORS = ("Black Caribbean", "Black - African", "Gypsy/Roma", "Unclassified", "White - Irish", "Chinese",
              "Any other mixed background", "White and Asian")  # fmt: skip


def _ees(characteristic: str, *, period="202425", la="X09000001", headcount="120", rate="0.83", **kw):
    group = {"Total": "Total", "Female": "Sex", "Male": "Sex"}.get(characteristic, "Ethnicity minor")
    row = [
        period, "Academic year", "Local authority", "E92000001", "England", "E12000007", "London", "950", la,
        "Northbrook (synthetic)", "Total", group, characteristic, headcount, "1", rate, "c", "[c]",
    ]  # fmt: skip
    for name, value in kw.items():
        row[EES_HEADER.index(name)] = value
    return row


def test_ees_symbols_periods_and_unknown_characteristics(tmp_path):
    rows = [
        _ees("Total"),
        _ees("Female", rate="low"),
        _ees("Male", rate="[z]"),
        _ees("Black Carribean"),  # misspelt: quarantined, never guessed
        _ees("Indian", period="2024/25"),
        _ees("Pakistani", headcount="-3"),
        _ees("Chinese", perm_excl_rate="140"),
        _ees("Female"),  # the same geography and characteristic twice
        _ees("Bangladeshi", headcount="n/a"),
        _ees("White - British", la="E09000033"),
        *(_ees(c, la=f"X0900{i:04d}") for i in range(2, 5) for c in EES_MINORS),
    ]
    validated, result = check_file(
        CONTRACTS["benchmarks_ees"], _write(tmp_path / "exc_characteristics.csv", EES_HEADER, rows), demo=True
    )
    q = _quarantine(result)
    assert q[5][:2] == ("characteristic", "Black Carribean")
    assert q[6] == ("time_period", "2024/25", "format: must match [0-9]{4}([0-9]{2})?")
    assert q[7] == ("headcount", "-3", "range: must be at least 0")
    assert q[8] == ("perm_excl_rate", "140", "range: must be at most 100")
    assert q[9][2].startswith("unique: a second row for the same time_period, geographic_level")
    assert q[10] == ("headcount", "n/a", "type: must be a number or a GSS symbol (c, low, x, z, u)")
    assert sorted(q) == [5, 6, 7, 8, 9, 10]
    assert result.rows_in == 10 + 3 * len(EES_MINORS) and result.rows_loaded == 4 + 3 * len(EES_MINORS)
    loaded = validated.loaded.set_index("_source_row")
    assert loaded.loc[2, "perm_excl_rate"] == pytest.approx(0.83) and pd.isna(loaded.loc[2, "suspension"])
    assert loaded.loc[2, "suspension_symbol"] == "c" and loaded.loc[2, "susp_rate_symbol"] == "c"
    assert loaded.loc[3, "perm_excl_rate_symbol"] == "low" and pd.isna(loaded.loc[3, "perm_excl_rate"])
    assert loaded.loc[4, "perm_excl_rate_symbol"] == "z"
    assert pd.isna(loaded.loc[2, "ethnicity_major"]) and pd.isna(loaded.loc[2, "t_pupils"])


def test_ees_file_with_a_filter_group_but_no_characteristic_is_rejected_but_ks4_shape_is_not(tmp_path):
    header = [h for h in EES_HEADER if h != "characteristic"]
    rows = [[c for h, c in zip(EES_HEADER, _ees("Total"), strict=True) if h != "characteristic"]]
    with pytest.raises(
        ExtractError, match=r"required column\(s\) missing: characteristic;.*characteristic_group"
    ):
        check_file(CONTRACTS["benchmarks_ees"], _write(tmp_path / "e.csv", header, rows), demo=True)
    # A file with neither (the KS4 publication's filters) needs neither.
    header = [
        *EES_HEADER[:10],
        "ethnicity_major",
        "ethnicity_minor",
        "sex",
        "free_school_meals",
        "pupil_count",
    ]
    rows = [[*_ees("Total")[:10], "Total", "Total", "Girls", "Total", "80"]]
    validated, result = check_file(
        CONTRACTS["benchmarks_ees"], _write(tmp_path / "k.csv", header, rows), demo=True
    )
    assert result.rows_loaded == 1 and validated.loaded.loc[0, "t_pupils"] == 80


def test_required_with_must_name_a_contract_column():
    doc = {
        "name": "x",
        "domain": "x",
        "period": {"column": "d"},
        "columns": [{"name": "d", "type": "date"}, {"name": "e", "type": "string", "required_with": ["f"]}],
    }
    with pytest.raises(KeyError, match="x has no column 'f'"):
        parse_contract(doc)


# --- (d) identifiers -----------------------------------------------------------------------------


def _hmac(value: str) -> str:
    return hmac.new(DEMO_KEY.encode(), value.strip().casefold().encode(), hashlib.sha256).hexdigest()


@pytest.mark.parametrize("source", ["school_census", "ks4", "exclusions"])
def test_upns_are_pseudonymised_and_dates_of_birth_reduced_to_the_month(dirty, source):
    inbox, truth, results = dirty
    record = next(r for r in truth[source]["files"] if r["system"] == 2 and not r["missing_columns"])
    raw = pd.read_csv(inbox / record["file"], dtype=str, keep_default_na=False, encoding="cp1252")
    loaded = results[record["file"]][0].loaded.sort_values("_source_row").reset_index(drop=True)
    raw = raw.iloc[loaded["_source_row"] - 2].reset_index(drop=True)  # the rows that loaded (header = line 1)
    assert loaded["upn"].tolist() == [_hmac(v) for v in raw["upn"]]
    assert "date_of_birth" not in loaded.columns
    text = set(loaded.astype(str).to_numpy().ravel())
    assert not set(raw["upn"]) & text
    if "date_of_birth" in raw:
        assert not set(raw["date_of_birth"]) & text
        dob = pd.to_datetime(raw["date_of_birth"], format="%d/%m/%Y")
        assert (loaded["month_of_birth"] == dob.dt.to_period("M").dt.to_timestamp()).all()


def test_the_same_upn_gives_the_same_key_in_census_and_outcomes(dirty):
    """Outcome rows link to the census row of the same year through the same HMAC."""
    _, truth, results = dirty
    for source in ("eyfsp", "ks4", "exclusions"):
        for record in truth[source]["files"]:
            if record["missing_columns"]:
                continue
            census = next(
                r
                for r in truth["school_census"]["files"]
                if r["authority_code"] == record["authority_code"] and r["year"] == record["year"]
            )
            if census["missing_columns"]:
                continue
            keys = set(results[census["file"]][0].loaded["upn"])
            outcome = set(results[record["file"]][0].loaded["upn"])
            # Pupils whose census row was quarantined (about 1%) do not join.
            assert len(outcome - keys) <= 0.03 * len(outcome), record["file"]
