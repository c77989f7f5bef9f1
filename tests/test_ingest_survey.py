"""Ingesting the residents' survey and the race equality action plan trackers: every demo file loads
clean, exactly the planted faults are quarantined, and bad input gets an exact, actionable outcome."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from observatory.codegen import dbt_sources, doc_page
from observatory.config import DBT_PROJECT_DIR
from observatory.contracts import get_contract, normalise_label
from observatory.demo import action_plan, survey
from observatory.demo.authorities import authorities_for
from observatory.demo.context import DemoContext
from observatory.demo.faults import DirtyConfig
from observatory.ingest.load import check_file, load_file
from observatory.ingest.parsing import EXCEL_ERROR_RULE, parse_date
from observatory.ingest.pseudonymise import DEMO_KEY, pseudonymise_values
from observatory.ingest.readers import ExtractError
from openpyxl import Workbook

SURVEY = get_contract("resident_survey")
PLAN = get_contract("action_plan")
CONTRACTS = {"resident_survey": SURVEY, "action_plan": PLAN}
# The demo's authority (what `observatory demo --years 2` writes: survey suppliers 0 and 2, tracker
# layout 0), and authorities 2-3 for one year: survey supplier 1 and tracker layouts 1 and 2.
AUTHORITIES = authorities_for("london")[:3]
YEARS = (2024, 2025)
# Faults that are data-quality findings, not row errors: the row loads and staging reports it.
FINDINGS = {"unknown_ethnicity_label"}

pytestmark = pytest.mark.usefixtures("data_dir")


def _generate(inbox: Path, *, dirty: bool = False, authorities=AUTHORITIES[:1], years=YEARS) -> dict:
    ctx = DemoContext(
        seed=42,
        scale="london",
        authorities=authorities,
        snapshot_dates=tuple(date(y, 3, 31) for y in years),
        dirty=DirtyConfig() if dirty else None,
    )
    return {**survey.write(inbox, ctx), **action_plan.write(inbox, ctx)}


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> tuple[Path, dict]:
    inbox = tmp_path_factory.mktemp("survey_plan_clean")
    return inbox, _generate(inbox)


@pytest.fixture(scope="module")
def layouts(tmp_path_factory) -> tuple[Path, dict]:
    inbox = tmp_path_factory.mktemp("survey_plan_layouts")
    return inbox, _generate(inbox, authorities=AUTHORITIES[1:], years=(2025,))


@pytest.fixture(scope="module")
def dirty(tmp_path_factory) -> tuple[Path, dict]:
    inbox = tmp_path_factory.mktemp("survey_plan_dirty")
    return inbox, _generate(inbox, dirty=True)


def _check(contract, path: Path):
    validated, result = check_file(contract, path, demo=True)
    assert result.rows_in == result.rows_loaded + result.rows_quarantined
    return validated, result


def _quarantined(result) -> list[tuple]:
    return [
        tuple(r)
        for r in result.quarantine[["source_row", "column_name", "value", "rule"]].itertuples(index=False)
    ]


def _seed_labels() -> set[str]:
    with (DBT_PROJECT_DIR / "seeds/ethnicity/ethnicity_hr_labels.csv").open(encoding="utf-8") as f:
        return {r["label_normalised"] for r in csv.DictReader(f)}


# --- the demo files -----------------------------------------------------------------------------


def test_every_clean_demo_file_loads_with_nothing_quarantined_and_no_unknown_columns(clean, layouts):
    labels = _seed_labels()
    for source, contract in CONTRACTS.items():
        files = [(clean[0], r) for r in clean[1][source]["files"]]
        assert len(files) == (2 if source == "resident_survey" else 8)
        # The other layouts: every survey file, each tracker's first workbook (later ones copy it forward).
        other = layouts[1][source]["files"]
        files += [(layouts[0], r) for r in other if source == "resident_survey" or r["as_at"] == "2024-06-30"]
        assert {r.get("supplier", r.get("layout")) for _, r in files} == {0, 1, 2}
        for inbox, record in files:
            validated, result = _check(contract, inbox / record["file"])
            assert (result.rows_quarantined, result.unknown_columns) == (0, []), record["file"]
            assert result.rows_loaded == record["data_rows"]
            if source == "action_plan":  # the as-at date is read from the title rows
                assert result.periods == [record["as_at"]]
            else:
                assert len(result.periods) == 1
                recorded = validated.loaded["ethnicity"].map(normalise_label)
                assert recorded.isin(labels).all(), "every clean ethnicity label is in the reviewed lookup"


def test_dirty_files_quarantine_exactly_the_planted_row_faults(dirty):
    inbox, truth = dirty
    labels = _seed_labels()
    checked = 0
    for source, contract in CONTRACTS.items():
        for record in (r for r in truth[source]["files"] if not r["rejected"]):
            faults = [f for f in truth[source]["faults"] if f["file"] == record["file"]]
            validated, result = _check(contract, inbox / record["file"])
            errors = {f["row"]: f for f in faults if f["fault"] not in FINDINGS}
            assert set(result.quarantine["source_row"]) == set(errors), record["file"]
            assert result.rows_quarantined == len(errors)
            for row, fault in errors.items():
                at_row = result.quarantine[result.quarantine["source_row"] == row]
                column = fault["canonical_column"]
                if fault["fault"] == "duplicate_row":
                    assert at_row["rule"].str.startswith("unique: a second row for the same").all()
                else:
                    [value] = at_row.loc[at_row["column_name"] == column, "value"]
                    assert value == fault["value"] or float(value) == fault["value"], fault
            # An unmapped ethnicity label is a finding: the row loads, and staging reports it as unmapped.
            loaded = validated.loaded.set_index("_source_row")
            for f in (f for f in faults if f["fault"] in FINDINGS):
                assert loaded.at[f["row"], "ethnicity"] == f["value"]
                assert normalise_label(f["value"]) not in labels
            checked += 1
    assert checked == 8


def test_files_missing_a_required_column_are_rejected_naming_the_column(dirty):
    inbox, truth = dirty
    for source, contract in CONTRACTS.items():
        rejected = [r for r in truth[source]["files"] if r["rejected"]]
        missing = [f for f in truth[source]["faults"] if f["fault"] == "missing_required_column"]
        assert [f["file"] for f in missing] == [r["file"] for r in rejected] and len(rejected) == 1
        path = inbox / rejected[0]["file"]
        with pytest.raises(
            ExtractError, match=f"required column\\(s\\) missing: {missing[0]['canonical_column']}"
        ):
            check_file(contract, path, demo=True)


def test_demo_files_load_into_the_warehouse_with_their_period(clean):
    inbox, truth = clean
    con = duckdb.connect()
    for source in CONTRACTS:
        record = truth[source]["files"][0]
        assert load_file(con, CONTRACTS[source], inbox / record["file"], demo=True).status == "loaded"
    log = con.execute("select source, periods, rows_quarantined from raw.load_log order by all").fetchall()
    assert log == [("action_plan", "2023-06-30", 0), ("resident_survey", "2023/24", 0)]
    ongoing = con.execute(
        "select count(*) from raw.action_plan where due_date_note = 'On-going' and due_date is null"
    ).fetchall()[0][0]
    assert ongoing > 0


# --- bad input: the residents' survey -------------------------------------------------------------

SURVEY_HEADER = [
    "RESPID", "WAVE", "LACODE", "INTDATE", "QSEX", "AGEBAND", "QETHNIC", "QTENURE", "WARDNAME",
    "Q1_SATIS", "Q2_BELONG", "Q3_CRIME", "Q4_TRUST", "Q5_FAIR", "WEIGHT_RIM",
]  # fmt: skip


def survey_row(rid: str, *, trust="A fair amount", weight="1.020000", when="10-Sep-2024", wave="2024-25",
               sex="F", age="16 to 24", ethnicity="White British") -> list[str]:  # fmt: skip
    return [rid, wave, "X09000001", when, sex, age, ethnicity, "Owned outright", "Queen\u2019s Park",
            "Very satisfied", "Fairly strongly", "Not very worried", trust, "Tend to agree",
            weight]  # fmt: skip


def write_survey(path: Path, rows: list[list[str]], header=SURVEY_HEADER, encoding="cp1252") -> Path:
    with path.open("w", newline="", encoding=encoding) as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_survey_answers_load_as_canonical_labels_and_an_spss_code_is_quarantined(tmp_path):
    rows = [
        survey_row("R1", trust="Don\u2019t know"),
        survey_row("R2", trust="DON'T KNOW"),
        survey_row("R3", trust="a great deal"),
        survey_row("R4", trust=""),  # skipped question: the column is required, the cell may be blank
        survey_row("R5", trust="99"),
    ]
    validated, result = _check(SURVEY, write_survey(tmp_path / "survey.csv", rows))
    assert _quarantined(result) == [
        (6, "trust_council", "99", "allowed values: one of A great deal, A fair amount, Not very much, "
         "Not at all, Don't know"),
    ]  # fmt: skip
    assert validated.loaded["trust_council"].tolist() == ["Don't know", "Don't know", "A great deal", None]
    assert validated.loaded["sex"].unique().tolist() == ["Female"]
    assert validated.loaded["age_band"].unique().tolist() == ["16-24"]
    assert (result.rows_in, result.rows_loaded) == (5, 4)


def test_survey_weight_must_be_a_number_above_zero(tmp_path):
    rows = [survey_row(f"R{i}") for i in range(1, 21)]
    for i, bad in ((2, "0"), (5, "-0.695866"), (9, "#NULL!"), (12, "")):
        rows[i][-1] = bad
    validated, result = _check(SURVEY, write_survey(tmp_path / "survey.csv", rows))
    assert _quarantined(result) == [
        (4, "weight", "0", "range: must be more than 0"),
        (7, "weight", "-0.695866", "range: must be more than 0"),
        (11, "weight", "#NULL!", EXCEL_ERROR_RULE),  # SPSS's system-missing as Excel shows it
        (14, "weight", "", "required: must not be blank"),
    ]
    assert (result.rows_in, result.rows_loaded, result.rows_quarantined) == (20, 16, 4)
    assert (validated.loaded["weight"] > 0).all()


def test_survey_spss_dates_parse_and_an_impossible_one_is_quarantined(tmp_path):
    rows = [survey_row("R1"), survey_row("R2", when="31-Feb-2024"), survey_row("R3", when="05/11/2024")]
    rows += [survey_row(f"R{i}") for i in range(4, 9)]
    validated, result = _check(SURVEY, write_survey(tmp_path / "survey.csv", rows))
    assert _quarantined(result) == [
        (3, "fieldwork_date", "31-Feb-2024", "type: must be a date (dd/mm/yyyy or yyyy-mm-dd)")
    ]
    assert validated.loaded["fieldwork_date"].tolist()[:2] == [
        pd.Timestamp(2024, 9, 10),
        pd.Timestamp(2024, 11, 5),
    ]
    assert (result.rows_in, result.rows_loaded) == (8, 7)


def test_survey_without_the_trust_question_is_rejected_naming_the_column(tmp_path):
    header = [h for h in SURVEY_HEADER if h != "Q4_TRUST"]
    rows = [[c for h, c in zip(SURVEY_HEADER, survey_row("R1"), strict=True) if h != "Q4_TRUST"]]
    with pytest.raises(ExtractError) as err:
        check_file(SURVEY, write_survey(tmp_path / "survey.csv", rows, header=header), demo=True)
    assert err.value.file.name == "survey.csv"
    assert "required column(s) missing: trust_council; header was row 1" in str(err.value)
    assert "Q4_TRUST" in err.value.expected


def test_survey_respondent_twice_in_a_wave_is_quarantined_once(tmp_path):
    rows = [survey_row("R1"), survey_row("R2"), survey_row("r1 ")]  # the same id, as typed again
    rows += [survey_row(f"R{i}") for i in range(3, 9)]
    _, result = _check(SURVEY, write_survey(tmp_path / "survey.csv", rows))
    [(row, column, value, rule)] = _quarantined(result)
    assert (row, column, rule) == (
        4,
        "authority_code, survey_wave, respondent_id",
        "unique: a second row for the same authority_code, survey_wave, respondent_id",
    )
    assert value == "X09000001 | 2024-25 | " + pseudonymise_values(pd.Series(["R1"]), DEMO_KEY.encode())[0]
    assert (result.rows_in, result.rows_loaded) == (9, 8)


# --- bad input: the action plan trackers ----------------------------------------------------------

PLAN_HEADER = [
    "Action Ref", "Priority Area", "Rec No. & Recommendation", "Action(s)", "Resources", "Start",
    "Target Date", "Lead Officer / Directorate", "Delivery Status", "RAG Rating", "Percent complete",
    "Progress Commentary", "Date Updated",
]  # fmt: skip
AS_AT_TITLE = "Quarterly progress update Q4 2024/25 (January to March 2025): position as at 31/03/2025"


def plan_row(ref: str, *, due: object = "Mar-25", status="On Track", pct: object = 50, rec="", theme="",
             start: object = "") -> list[object]:  # fmt: skip
    return [ref, theme, rec, f"Action {ref}", "Existing resources", start, due, "Director of Public Health",
            status, "G", pct, "Progressing.", "15/03/2025"]  # fmt: skip


def write_plan(path: Path, rows: list[list[object]], titles=("SYNTHETIC - action plan", AS_AT_TITLE)) -> Path:
    wb = Workbook()
    ws = wb.active
    for title in titles:
        ws.append([title])
    ws.append(PLAN_HEADER)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def test_due_dates_as_trackers_write_them_and_on_going_is_not_a_fault(tmp_path):
    rule = (
        "type: must be a date (dd/mm/yyyy or yyyy-mm-dd), a month (Mar-23), a financial quarter (Q4 22/23) "
        "or On-going"
    )
    dues = [datetime(2025, 1, 31), "30/09/2024", "Mar-23", "Q4 22/23", "On-going", "Ongoing", "on going",
            "Q5 23/24", "31/02/2024", "soon"]  # fmt: skip
    rows = [plan_row(f"R1.{i}", due=due) for i, due in enumerate(dues, start=1)]
    rows[0][2], rows[0][1] = "Recommendation 1: Pledge.", "Workforce"
    rows += [plan_row(f"R2.{i}") for i in range(1, 6)]
    validated, result = _check(PLAN, write_plan(tmp_path / "plan.xlsx", rows))
    assert _quarantined(result) == [
        (11, "due_date", "Q5 23/24", rule),
        (12, "due_date", "31/02/2024", rule),
        (13, "due_date", "soon", rule),
    ]
    loaded = validated.loaded
    expected = ("2025-01-31", "2024-09-30", "2023-03-31", "2023-03-31")
    assert loaded["due_date"].tolist()[:4] == [pd.Timestamp(d) for d in expected]
    assert loaded["due_date"].iloc[4:7].isna().all()
    assert loaded["due_date_note"].tolist()[:8] == [None] * 4 + ["On-going"] * 3 + [None]
    # Continuation rows leave the recommendation and theme blank: they load, staging fills them down.
    assert loaded["recommendation"].isna().sum() == 11 and (result.rows_in, result.rows_loaded) == (15, 12)


def test_start_dates_read_a_month_or_quarter_as_its_first_day(tmp_path):
    starts = ["Apr-23", "Q3 23/24", "On going", ""]
    rows = [plan_row(f"R1.{i}", start=start) for i, start in enumerate(starts, start=1)]
    validated, result = _check(PLAN, write_plan(tmp_path / "plan.xlsx", rows))
    assert result.rows_quarantined == 0
    assert validated.loaded["start_date"].tolist()[:2] == [
        pd.Timestamp(2023, 4, 1),
        pd.Timestamp(2023, 10, 1),
    ]
    assert validated.loaded["start_date_note"].tolist() == [None, None, "On-going", None]


def test_as_at_date_and_authority_come_from_the_title_rows_or_file_name_else_the_file_is_rejected(tmp_path):
    rows = [plan_row("R1.1")]
    validated, _ = _check(PLAN, write_plan(tmp_path / "tracker.xlsx", rows))
    assert validated.loaded["as_at_date"].tolist() == [pd.Timestamp(2025, 3, 31)]

    assert validated.loaded["authority_code"].tolist() == ["X09000001"]  # the data directory's authority

    named = write_plan(tmp_path / "tracker_E09000030_2024-12-31.xlsx", rows, titles=("Action plan",))
    validated, _ = _check(PLAN, named)
    assert validated.loaded["as_at_date"].tolist() == [pd.Timestamp(2024, 12, 31)]
    assert validated.loaded["authority_code"].tolist() == ["E09000030"]  # named in the file name

    undated = write_plan(tmp_path / "tracker.xlsx", rows, titles=("Action plan",))
    with pytest.raises(ExtractError) as err:
        check_file(PLAN, undated, demo=True)
    assert "required column(s) missing: as_at_date; header was row 2" in str(err.value)
    assert "stated in the title rows or file name" in err.value.expected


def test_unknown_status_percent_out_of_range_and_a_repeated_ref_are_quarantined(tmp_path):
    rows = [plan_row(f"R1.{i}") for i in range(1, 31)]
    rows[1][8] = "Delayed"
    rows[3][10] = 120
    rows[4][10] = -5
    rows[5][10] = "tbc"
    rows[7] = plan_row("R1.7")  # R1.7 again
    validated, result = _check(PLAN, write_plan(tmp_path / "plan.xlsx", rows))
    assert _quarantined(result) == [
        (5, "status", "Delayed",
         "allowed values: one of Not started, On track, At risk, Off track, Complete"),
        (7, "percent_complete", "120", "range: must be at most 100"),
        (8, "percent_complete", "-5", "range: must be at least 0"),
        (9, "percent_complete", "tbc", "type: must be a number (e.g. 1234.50 or £1,234.50)"),
        (11, "authority_code, as_at_date, ref", " | 31/03/2025 | R1.7",
         "unique: a second row for the same authority_code, as_at_date, ref"),
    ]  # fmt: skip
    assert (result.rows_in, result.rows_loaded, result.rows_quarantined) == (30, 25, 5)
    assert set(validated.loaded["status"]) == {"On track"}


def test_a_tracker_mostly_without_due_dates_is_rejected_whole(tmp_path):
    rows = [plan_row(f"R1.{i}", due="" if i > 2 else "Mar-25") for i in range(1, 6)]
    with pytest.raises(ExtractError, match=r"3 of 5 rows \(60%\) break the contract's rules.*required: must"):
        check_file(PLAN, write_plan(tmp_path / "plan.xlsx", rows), demo=True)


# --- identifiers ---------------------------------------------------------------------------------


def test_respondent_ids_are_pseudonymised_and_contact_details_never_loaded(tmp_path):
    header = [*SURVEY_HEADER, "Full name", "Email address", "Postcode", "Telephone number"]
    contact = ["Jane Example", "jane@example.org", "ZZ99 9ZZ", "07700 900123"]
    rows = [[*survey_row(f"R202400{i}"), *contact] for i in range(1, 4)]
    path = write_survey(tmp_path / "survey.csv", rows, header=header, encoding="utf-8-sig")
    validated, result = _check(SURVEY, path)
    assert result.unknown_columns == []
    loaded = validated.loaded
    assert not {"respondent_name", "email", "postcode", "telephone"} & set(loaded.columns)
    assert (
        loaded["respondent_id"].tolist()
        == pseudonymise_values(pd.Series(["R2024001", "R2024002", "R2024003"]), DEMO_KEY.encode()).tolist()
    )
    text = loaded.astype(str).to_numpy().ravel().tolist()
    assert not any(v in cell for cell in text for v in [*contact, "R2024001"])

    con = duckdb.connect()
    load_file(con, SURVEY, path, demo=True)
    columns = {r[0] for r in con.execute("describe raw.resident_survey").fetchall()}
    assert columns.isdisjoint({"respondent_name", "email", "postcode", "telephone", "address"})


def test_a_named_officer_in_a_tracker_is_dropped_at_the_boundary(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append([AS_AT_TITLE])
    ws.append([*PLAN_HEADER, "Officer name", "Contact email"])
    ws.append([*plan_row("R1.1"), "A. Officer", "a.officer@example.gov.uk"])
    wb.save(tmp_path / "plan.xlsx")
    validated, result = _check(PLAN, tmp_path / "plan.xlsx")
    assert result.unknown_columns == [] and result.rows_loaded == 1
    assert not {"officer_name", "officer_email"} & set(validated.loaded.columns)
    assert "A. Officer" not in validated.loaded.astype(str).to_numpy().ravel().tolist()


# --- the shared ingest and codegen features these sources brought ---------------------------------


def test_months_and_financial_quarters_read_as_their_first_or_last_day():
    text = pd.Series(["Mar-23", "March 2023", "Sept 23", "Q4 22/23", "Q1 2023/24", "Q4 22/24", "Foo-23", ""])
    end = parse_date(text, "end").dt.strftime("%Y-%m-%d").tolist()
    start = parse_date(text, "start").dt.strftime("%Y-%m-%d").tolist()
    assert end[:5] == ["2023-03-31", "2023-03-31", "2023-09-30", "2023-03-31", "2023-06-30"]
    assert start[:5] == ["2023-03-01", "2023-03-01", "2023-09-01", "2023-01-01", "2023-04-01"]
    assert parse_date(text, "end").iloc[5:].isna().all()  # Q4 22/24 is not a financial year
    assert parse_date(text).isna().all()  # a plain date column accepts none of them
    assert parse_date(pd.Series(["10-Sep-2024"])).tolist() == [pd.Timestamp(2024, 9, 10)]  # SPSS DATE11


def test_a_month_beyond_what_a_date_can_hold_is_quarantined_not_a_crash(tmp_path):
    """'Mar-2500' (a slip for Mar-25) is a month datetime64[ns] cannot hold (1677 to April 2262):
    working out its day used to raise, and the whole extract failed to load. It is now an
    unparseable date like any other, quarantined with its row."""
    text = pd.Series(["Mar-2500", "Apr-2262", "Mar-2262", "Mar-0150", "Q4 2261/2262"])
    end = parse_date(text, "end").astype(str).tolist()
    assert end == ["NaT", "NaT", "2262-03-31", "NaT", "2262-03-31"]  # Q4 2261/62: January to March 2262
    assert parse_date(text, "start").astype(str).tolist()[:3] == ["NaT", "2262-04-01", "2262-03-01"]
    rows = [plan_row("R1.1", due="Mar-2500")] + [plan_row(f"R2.{i}") for i in range(1, 6)]
    _, result = _check(PLAN, write_plan(tmp_path / "plan.xlsx", rows))
    rule = (
        "type: must be a date (dd/mm/yyyy or yyyy-mm-dd), a month (Mar-23), a financial quarter (Q4 22/23) "
        "or On-going"
    )
    assert _quarantined(result) == [(4, "due_date", "Mar-2500", rule)]
    assert (result.rows_in, result.rows_loaded) == (6, 5)


def test_generated_sources_escape_apostrophes_and_test_date_words_not_nulls():
    survey_yml = dbt_sources("survey", [SURVEY])
    assert "- Don''t know" in survey_yml and "- Don't know" not in survey_yml
    plan_yml = dbt_sources("action_plan", [PLAN])
    due = plan_yml.split("- name: due_date\n")[1].split("- name: ")[0]
    note = plan_yml.split("- name: due_date_note\n")[1].split("- name: ")[0]
    assert "not_null" not in due  # a required date may be On-going instead
    assert "not_null" not in note and "- On-going" in note
    assert "| `weight` | decimal | yes |" in doc_page(SURVEY) and "> 0" in doc_page(SURVEY)
    assert "the title rows or file name matching" in doc_page(PLAN)
