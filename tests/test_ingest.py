"""Reading, validating, quarantining and loading HR payroll extracts as councils hold them."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import duckdb
import pytest
from conftest import HR_HEADER, hr_row, write_csv
from observatory.contracts import get_contract, parse_contract
from observatory.ingest.load import check_file, check_files, ensure_tables, load_file, load_files
from observatory.ingest.parsing import EXCEL_ERROR_RULE
from observatory.ingest.pseudonymise import MissingKeyError, resolve_key
from observatory.ingest.readers import ExtractError, read_extract
from openpyxl import Workbook

CONTRACT = get_contract("hr_payroll")
pytestmark = pytest.mark.usefixtures("data_dir")


def good_rows(n=3):
    return [hr_row(f"E{i}", "White British", 20 + i) for i in range(n)]


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("utf-8", ","), ("utf-8-sig", ","), ("cp1252", ","), ("cp1252", ";"), ("utf-8", "\t")],
)
def test_csv_encodings_and_delimiters_are_detected(tmp_path, encoding, delimiter):
    rows = [*good_rows(), hr_row("E9", "Any other ethnic group – Café owner", 15)]
    path = write_csv(tmp_path / "pay.csv", rows, encoding=encoding, delimiter=delimiter)
    extract = read_extract(path, CONTRACT)
    assert len(extract.frame) == 4
    assert extract.frame.loc[3, "ethnicity"] == "Any other ethnic group – Café owner"
    assert extract.frame["_source_row"].tolist() == [2, 3, 4, 5]


def test_xlsx_title_rows_and_totals_row_are_skipped(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["SYNTHETIC DEMO DATA - payroll snapshot"])
    ws.append([])
    ws.append(HR_HEADER)
    for row in good_rows(2):
        ws.append(row)
    ws.append(["Total", None, None, None, None, None, None, None, 1400])
    path = tmp_path / "pay.xlsx"
    wb.save(path)
    extract = read_extract(path, CONTRACT)
    assert extract.header_row == 3
    assert extract.frame["_source_row"].tolist() == [4, 5]
    assert [why for _, why in extract.skipped_rows].count("totals row") == 1


def test_unknown_columns_are_kept_out_and_reported(tmp_path):
    header = [*HR_HEADER, "Favourite colour"]
    path = write_csv(tmp_path / "pay.csv", [[*r, "blue"] for r in good_rows()], header=header)
    extract = read_extract(path, CONTRACT)
    assert extract.unknown_columns == ["Favourite colour"]
    assert "Favourite colour" not in extract.frame.columns


def test_missing_required_column_names_file_column_and_aliases(tmp_path):
    header = [h for h in HR_HEADER if h != "Contracted Hours"]
    rows = [r[:6] + r[7:] for r in good_rows()]
    path = write_csv(tmp_path / "payroll_march.csv", rows, header=header)
    with pytest.raises(ExtractError) as err:
        read_extract(path, CONTRACT)
    message = str(err.value)
    assert "payroll_march.csv" in message
    assert "weekly_hours" in message
    assert "contracted hours" in message  # the accepted aliases are listed


def test_bad_values_are_quarantined_with_row_column_value_and_rule(tmp_path):
    rows = good_rows(25)
    rows[2][6] = "thirty"  # weekly hours
    rows[5][1] = "31/02/2024"  # impossible date
    rows[7][8] = "-12"  # negative pay
    rows[8][7] = "Daily"  # unknown pay period
    path = write_csv(tmp_path / "pay.csv", rows)
    _validated, result = check_file(CONTRACT, path, demo=True)
    q = result.quarantine.set_index("source_row")
    assert result.rows_in == 25
    assert result.rows_loaded == 21
    assert result.rows_quarantined == 4
    assert q.loc[4, "column_name"] == "weekly_hours" and q.loc[4, "value"] == "thirty"
    assert q.loc[4, "rule"].startswith("type: must be a number")
    assert q.loc[7, "column_name"] == "snapshot_date" and q.loc[7, "value"] == "31/02/2024"
    assert q.loc[9, "rule"] == "range: must be at least 0"
    assert q.loc[10, "rule"].startswith("allowed values: one of weekly")


def test_duplicate_employee_in_a_snapshot_is_quarantined(tmp_path):
    rows = good_rows(6)
    rows.append(list(rows[1]))
    _, result = check_file(CONTRACT, write_csv(tmp_path / "pay.csv", rows), demo=True)
    assert result.rows_quarantined == 1
    assert result.quarantine.iloc[0]["rule"].startswith("unique:")
    assert result.quarantine.iloc[0]["source_row"] == 8


def test_a_mostly_bad_file_is_rejected_whole(tmp_path):
    rows = good_rows(4)
    for r in rows[:2]:
        r[6] = "n/a"
    with pytest.raises(ExtractError, match=r"50%.*not loaded"):
        check_file(CONTRACT, write_csv(tmp_path / "pay.csv", rows), demo=True)


def test_values_as_spreadsheets_print_them_are_parsed(tmp_path):
    rows = [hr_row("E1", "WBRI", basic="£1,234.50", period="M", leave="Yes", hours=" 36 ", date="2024-03-31")]
    validated, result = check_file(CONTRACT, write_csv(tmp_path / "pay.csv", rows), demo=True)
    row = validated.loaded.iloc[0]
    assert result.rows_quarantined == 0
    assert row["basic_pay_in_period"] == 1234.5
    assert row["pay_period"] == "monthly"
    assert bool(row["reduced_pay_due_to_leave"]) is True
    assert row["sex"] == "Female"


def test_load_is_idempotent_and_a_corrected_file_replaces_its_period(tmp_path):
    con = duckdb.connect()
    first = write_csv(tmp_path / "pay_v1.csv", good_rows(5))
    assert load_file(con, CONTRACT, first, demo=True).status == "loaded"
    assert load_file(con, CONTRACT, first, demo=True).status == "skipped"
    assert con.execute("select count(*) from raw.hr_payroll").fetchall()[0][0] == 5

    corrected = write_csv(tmp_path / "pay_v2.csv", good_rows(3))
    load_file(con, CONTRACT, corrected, demo=True)
    assert con.execute("select count(*) from raw.hr_payroll").fetchall()[0][0] == 3
    other_year = write_csv(tmp_path / "pay_2023.csv", [hr_row("E1", "WBRI", 20, date="31/03/2023")])
    load_file(con, CONTRACT, other_year, demo=True)
    counts = con.execute(
        "select snapshot_date::varchar, count(*) from raw.hr_payroll group by 1 order by 1"
    ).fetchall()
    assert counts == [("2023-03-31", 1), ("2024-03-31", 3)]


def test_rows_in_equal_rows_loaded_plus_quarantined_in_the_warehouse(tmp_path):
    rows = good_rows(20)
    rows[3][6] = "0"
    rows[4].append("stray")
    con = duckdb.connect()
    result = load_file(con, CONTRACT, write_csv(tmp_path / "pay.csv", rows), demo=True)
    loaded = con.execute("select count(*) from raw.hr_payroll").fetchall()[0][0]
    quarantined = con.execute("select count(distinct source_row) from raw.quarantine").fetchall()[0][0]
    assert result.rows_in == 20 == loaded + quarantined
    log = con.execute("select rows_in, rows_loaded, rows_quarantined from raw.load_log").fetchall()
    assert log == [(20, 18, 2)]


def test_identifiers_are_pseudonymised_and_names_never_loaded(tmp_path):
    header = [*HR_HEADER, "Full Name", "DOB"]
    rows = [[*r, "Jane Example", "01/02/1980"] for r in good_rows(2)]
    con = duckdb.connect()
    load_file(con, CONTRACT, write_csv(tmp_path / "pay.csv", rows, header=header), demo=True)
    columns = {r[0] for r in con.execute("describe raw.hr_payroll").fetchall()}
    assert "employee_name" not in columns and "date_of_birth" not in columns
    ids = [r[0] for r in con.execute("select employee_id from raw.hr_payroll").fetchall()]
    assert all(len(i) == 64 and not i.startswith("E") for i in ids)


def test_same_identifier_gives_the_same_hash_so_sources_still_link(tmp_path):
    import pandas as pd
    from observatory.ingest.pseudonymise import pseudonymise_values

    key = b"k"
    a = pseudonymise_values(pd.Series(["E123 ", "e123", ""]), key)
    assert a[0] == a[1] and a[2] == ""
    assert pseudonymise_values(pd.Series(["E123"]), b"other")[0] != a[0]


@pytest.mark.parametrize("key", [b"k", b"x" * 64, b"a key longer than SHA-256's block of 64 bytes " * 3])
def test_pseudonyms_are_pythons_hmac_of_the_trimmed_case_folded_value_whatever_the_script(key):
    """ASCII values are hashed in DuckDB (HMAC written out with its SHA-256), the rest by Python's
    hmac: both must give hmac.digest(key, value.strip().casefold()) exactly, or the same person
    would get two pseudonyms across loads. Keys longer than a block are hashed first (RFC 2104)."""
    import hmac
    import random
    import string

    import pandas as pd
    from observatory.ingest.pseudonymise import pseudonymise_values

    rng = random.Random(4)
    alphabet = string.printable + "ßẞİıÅéΣς\u00a0\u2003\u3000\u0661\u0662\x1c\x1f\x00"
    values = ["".join(rng.choices(alphabet, k=rng.randint(0, 12))) for _ in range(3000)]
    values += [" A123 ", "a123", "STRASSE", "Straße", "\u00a0x\u00a0", "", "   ", None]
    expected = [
        hmac.digest(key, v.strip().casefold().encode(), "sha256").hex() if v and v.strip() else ""
        for v in values
    ]
    for dtype in ("string[pyarrow]", object):
        assert pseudonymise_values(pd.Series(values, dtype=dtype), key).tolist() == expected


def test_pseudonymisation_refuses_to_run_without_a_key_outside_demo_mode(monkeypatch):
    monkeypatch.delenv("OBSERVATORY_PSEUDONYMISATION_KEY", raising=False)
    with pytest.raises(MissingKeyError, match="OBSERVATORY_PSEUDONYMISATION_KEY"):
        resolve_key(demo=False)
    monkeypatch.setenv("OBSERVATORY_PSEUDONYMISATION_KEY", "s3cret")
    assert resolve_key(demo=False) == b"s3cret"


def _contract(*columns: dict, period: str = "time_period"):
    return parse_contract(
        {
            "name": "test_source",
            "domain": "test",
            "period": {"column": period},
            "max_quarantine_share": 0.5,
            "columns": list(columns),
        }
    )


def test_gss_symbols_are_kept_as_symbols_not_zeros_or_silent_nulls(tmp_path):
    contract = _contract(
        {"name": "time_period", "type": "string", "required": True},
        {"name": "suspension", "type": "statistic", "required": True},
    )
    path = tmp_path / "ees.csv"
    path.write_text("time_period,suspension\n202324,12\n202324,c\n202324,[low]\n202324,x\n202324,none\n")
    validated, _ = check_file(contract, path, demo=True)
    loaded = validated.loaded
    assert loaded["suspension"].tolist()[:1] == [12.0] and loaded["suspension"].iloc[1:].isna().all()
    assert loaded["suspension_symbol"].tolist() == [None, "c", "low", "x"]
    assert validated.quarantine[["source_row", "value"]].values.tolist() == [[6, "none"]]
    assert "GSS symbol" in validated.quarantine["rule"].iloc[0]
    assert [c.name for c in contract.raw_columns] == ["time_period", "suspension", "suspension_symbol"]


def test_date_of_birth_is_reduced_to_its_month_before_anything_holds_it(tmp_path):
    contract = _contract(
        {"name": "time_period", "type": "string", "required": True},
        {
            "name": "date_of_birth",
            "type": "date",
            "direct_identifier": True,
            "keep_month_as": "month_of_birth",
        },
    )
    path = tmp_path / "dob.csv"
    path.write_text("time_period,DATE_OF_BIRTH\n2024,14/05/2012\n2024,31/02/2012\n2024,\n")
    validated, _ = check_file(contract, path, demo=True)
    assert [str(d.date()) for d in validated.loaded["month_of_birth"].dropna()] == ["2012-05-01"]
    assert "date_of_birth" not in validated.loaded
    # The bad date is quarantined without repeating the exact date it held.
    assert validated.quarantine["value"].tolist() == ["(unparseable date withheld)"]
    assert "14/05/2012" not in validated.quarantine.to_string()
    assert [c.name for c in contract.raw_columns] == ["time_period", "month_of_birth"]


def test_wide_census_table_is_read_long_by_column_name_and_every_cell_reconciles(tmp_path):
    contract = parse_contract(
        {
            "name": "test_ts021",
            "domain": "test",
            "period": {"column": "date"},
            "max_quarantine_share": 0.5,
            "melt": {
                "header_prefix": "Ethnic group:",
                "name_column": "ethnic_group",
                "value_column": "residents",
            },
            "columns": [
                {"name": "date", "type": "integer", "required": True},
                {"name": "geography_code", "type": "string", "required": True, "aliases": ["geography code"]},
                {"name": "ethnic_group", "type": "string", "required": True},
                {"name": "residents", "type": "integer", "required": True, "min": 0},
            ],
        }
    )
    path = tmp_path / "ts021.csv"
    # Category columns in another order than usual: matched by name, not position.
    path.write_text(
        "date,geography,geography code,Ethnic group: White: Irish,Ethnic group: Asian: Indian\n"
        "2021,Northbrook,X09000001,120,3400\n"
        "2021,Eastmarsh,X09000002,-5,n/a\n"
        "2021,Kestrel Vale,X09000003,80,900\n"
    )
    validated, result = check_file(contract, path, demo=True)
    loaded = validated.loaded.set_index(["geography_code", "ethnic_group"])["residents"]
    assert loaded[("X09000001", "Asian: Indian")] == 3400 and loaded[("X09000003", "White: Irish")] == 80
    assert result.unknown_columns == ["geography"]
    # Two bad cells on one line are two quarantined records: rows in = loaded + quarantined.
    assert (result.rows_in, result.rows_loaded, result.rows_quarantined) == (6, 4, 2)
    assert set(validated.quarantine["source_row"]) == {3}


def test_wide_table_without_any_category_column_is_rejected(tmp_path):
    contract = parse_contract(
        {
            "name": "test_ts021",
            "domain": "test",
            "period": {"column": "date"},
            "melt": {
                "header_prefix": "Ethnic group:",
                "name_column": "ethnic_group",
                "value_column": "residents",
            },
            "columns": [
                {"name": "date", "type": "integer", "required": True},
                {"name": "ethnic_group", "type": "string", "required": True},
                {"name": "residents", "type": "integer", "required": True},
            ],
        }
    )
    path = tmp_path / "ts021.csv"
    path.write_text("date,geography,Total\n2021,Northbrook,100\n")
    with pytest.raises(ExtractError, match=r"no column headed 'Ethnic group: \.\.\.'"):
        check_file(contract, path, demo=True)


def test_raw_table_gains_a_column_the_contract_added_without_losing_rows(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    old = _contract({"name": "time_period", "type": "string", "required": True})
    ensure_tables(con, old)
    con.execute("insert into raw.test_source (time_period) values ('202223')")
    new = _contract(
        {"name": "time_period", "type": "string", "required": True},
        {"name": "suspension", "type": "statistic"},
    )
    ensure_tables(con, new)
    rows = con.execute("select time_period, suspension, suspension_symbol from raw.test_source").fetchall()
    assert rows == [("202223", None, None)]


def test_published_statistics_replace_only_an_earlier_file_of_the_same_name(tmp_path):
    contract = parse_contract(
        {
            "name": "test_source",
            "domain": "test",
            "period": {"column": "time_period"},
            "replaces": "file_name",
            "columns": [
                {"name": "time_period", "type": "string", "required": True},
                {"name": "value", "type": "statistic"},
            ],
        }
    )
    con = duckdb.connect()
    exclusions, ks4 = tmp_path / "exclusions_202324.csv", tmp_path / "ks4_202324.csv"
    exclusions.write_text("time_period,value\n202324,1\n202324,2\n")
    ks4.write_text("time_period,value\n202324,46.1\n")
    for f in (exclusions, ks4):
        load_file(con, contract, f, demo=True)
    # Both publications hold 202324: loading one must not delete the other.
    assert con.execute("select count(*) from raw.test_source").fetchall() == [(3,)]
    exclusions.write_text("time_period,value\n202324,c\n")  # a revised release of the same file
    load_file(con, contract, exclusions, demo=True)
    rows = con.execute("select _source_file, value_symbol from raw.test_source order by 1").fetchall()
    assert rows == [("exclusions_202324.csv", "c"), ("ks4_202324.csv", None)]


def test_a_duplicate_spelled_differently_is_still_a_duplicate(tmp_path):
    contract = parse_contract(
        {
            "name": "test_source",
            "domain": "test",
            "period": {"column": "time_period"},
            "unique_key": ["start_date", "category"],
            "max_quarantine_share": 0.5,
            "columns": [
                {"name": "time_period", "type": "string", "required": True},
                {"name": "start_date", "type": "date", "required": True},
                {
                    "name": "category",
                    "type": "category",
                    "values": {"Suspension": ["FIXD"], "Permanent": ["PERM"]},
                },
            ],
        }
    )
    path = tmp_path / "events.csv"
    path.write_text(
        "time_period,start_date,category\n"
        "202324,01/04/2024,FIXD\n"
        "202324,2024-04-01,Suspension\n"  # the same event, written another way
        "202324,01/04/2024,PERM\n"
    )
    validated, result = check_file(contract, path, demo=True)
    assert validated.quarantine[["source_row", "rule"]].values.tolist() == [
        [3, "unique: a second row for the same start_date, category"]
    ]
    assert (result.rows_loaded, result.rows_quarantined) == (2, 1)


def test_an_extract_without_an_authority_column_takes_the_code_in_its_file_name(tmp_path):
    """A partnership loads many boroughs' extracts into one data directory: a file named with its
    authority's code belongs to that authority, not to the one configured (X09000001 here), and a
    second borough's file for the same period does not replace the first's."""
    con = duckdb.connect()
    for code in ("E09000030", "E09000033"):
        rows = [hr_row(f"{code}-{i}", "White British", 20 + i) for i in range(3)]
        path = write_csv(tmp_path / f"hr_payroll_{code}_2024-03-31.csv", rows)
        assert load_file(con, CONTRACT, path, demo=True).status == "loaded"
    unnamed = write_csv(tmp_path / "hr_payroll_2024-03-31.csv", good_rows(2))
    load_file(con, CONTRACT, unnamed, demo=True)
    counts = con.execute(
        "select authority_code, count(*) from raw.hr_payroll group by 1 order by 1"
    ).fetchall()
    assert counts == [("E09000030", 3), ("E09000033", 3), ("X09000001", 2)]


def _xlsx(path, rows, header=HR_HEADER):
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)  # openpyxl stores '#N/A', '#REF!', ... as cells of Excel's error type
    wb.save(path)
    return path


def test_excel_error_cells_are_quarantined_by_file_row_column_value_and_rule_never_loaded_blank(tmp_path):
    """python-calamine reads an error cell as empty: in an optional column it would load as a
    silent blank. Each reaches validation as its error text; a genuinely empty cell stays blank."""
    rows = good_rows(20)
    rows[0][9] = "#N/A"  # allowances: optional, blank allowed
    rows[1][5] = "#REF!"  # department: optional text
    rows[2][0] = "#DIV/0!"  # employee number: an identifier, otherwise hashed before validation
    rows[3][1] = "#VALUE!"  # as-at date: required
    rows[4][9] = None  # a genuinely empty allowances cell
    path = _xlsx(tmp_path / "pay.xlsx", rows)
    validated, result = check_file(CONTRACT, path, demo=True)
    rule = EXCEL_ERROR_RULE
    assert validated.quarantine.values.tolist() == [
        [2, "allowances_in_period", "#N/A", rule],
        [3, "directorate", "#REF!", rule],
        [4, "employee_id", "#DIV/0!", rule],
        [5, "snapshot_date", "#VALUE!", rule],
    ]
    assert result.rule_counts == {rule: 4}
    assert (result.rows_in, result.rows_loaded) == (20, 16)
    blank_row = validated.loaded.set_index("_source_row").loc[6]
    assert blank_row["allowances_in_period"] == 0  # blank: the contract's default, as before


def test_excel_error_cells_are_found_when_the_writer_leaves_out_cell_references(tmp_path):
    """Some writers omit a cell's r="B7" (it then follows the cell before it): positions still count."""
    rows = good_rows(20)
    rows[6][10] = "#NUM!"
    path = _xlsx(tmp_path / "pay.xlsx", rows)
    with zipfile.ZipFile(path) as zin:
        parts = {name: zin.read(name) for name in zin.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = re.sub(rb'(<c) r="[A-Z]+[0-9]+"', rb"\1", parts[sheet])
    assert b'<c r="' not in parts[sheet] and b't="e"' in parts[sheet]
    with zipfile.ZipFile(path, "w") as zout:
        for name, data in parts.items():
            zout.writestr(name, data)
    validated, _ = check_file(CONTRACT, path, demo=True)
    assert validated.quarantine.values.tolist() == [[8, "bonus_pay_12m", "#NUM!", EXCEL_ERROR_RULE]]


def test_excel_error_text_in_a_csv_is_quarantined_as_one_in_any_column(tmp_path):
    """A CSV saved from Excel holds '#N/A' as text: a number or date column used to quarantine it as
    a type error, a text column (or an identifier, hashed first) to load it."""
    rows = good_rows(30)
    rows[0][10] = "#N/A"  # bonus: a number
    rows[1][1] = " #value! "  # as-at date, as a person might retype it
    rows[2][4] = "#REF!"  # grade: text
    rows[3][0] = "#N/A"  # employee number: an identifier
    rows[4][5] = "N/A"  # not an Excel error: a department called N/A loads as written
    rows[5][8] = "Err:502"  # basic pay: LibreOffice's error for an invalid argument
    validated, result = check_file(CONTRACT, write_csv(tmp_path / "pay.csv", rows), demo=True)
    assert validated.quarantine[["source_row", "column_name", "value"]].values.tolist() == [
        [2, "bonus_pay_12m", "#N/A"],
        [3, "snapshot_date", " #value! "],
        [4, "grade", "#REF!"],
        [5, "employee_id", "#N/A"],
        [7, "basic_pay_in_period", "Err:502"],
    ]
    assert result.rule_counts == {EXCEL_ERROR_RULE: 5}
    assert validated.loaded.set_index("_source_row").loc[6, "directorate"] == "N/A"


def test_malformed_rows_name_their_column_and_show_the_row_masked_where_it_holds_people(tmp_path):
    path = write_csv(tmp_path / "pay.csv", good_rows(20))
    with path.open("a", newline="") as fh:
        fh.write("E30,31/03/2024,White British,F,SO1,Adults,35\r\n")  # cut short after the hours
        fh.write("E31,31/03/2024,Indian,F,SO1,Smith, Jo,Adults,35,Weekly,700,0,0,N\r\n")  # a name, unquoted
    validated, result = check_file(CONTRACT, path, demo=True)
    q = validated.quarantine.set_index("source_row")
    assert q.loc[22, "column_name"] == "pay_period"  # the first column the row stops short of
    assert q.loc[22, "rule"] == "malformed row: row has 7 fields, header has 12"
    assert q.loc[23, "column_name"] == "(whole row)"
    assert q.loc[23, "rule"] == "malformed row: row has 14 fields, header has 12"
    # Fields out of place cannot be trusted to be in their columns: no identifier or name survives,
    # but the row's shape shows what went wrong. Category values (F, Weekly) are no one's data.
    assert q.loc[23, "value"] == "masked: x99,99/99/9999,xxxxxx,F,xx9,xxxxx, xx,xxxxxx,99,Weekly,999,9,9,x"
    assert q.loc[22, "value"] == "masked: x99,99/99/9999,xxxxx xxxxxxx,F,xx9,xxxxxx,99"
    assert result.rows_quarantined == 2


def test_malformed_rows_of_a_statistics_file_show_the_row_as_written_cut_to_200_characters(tmp_path):
    contract = _contract(
        {"name": "time_period", "type": "string", "required": True},
        {"name": "value", "type": "statistic"},
        {"name": "note", "type": "string"},
    )
    long_note = "a note " * 50
    path = tmp_path / "stats.csv"
    path.write_text(
        "time_period,value,note\n"
        + "202324,1,ok\n" * 8
        + "202324,2\n"  # too few fields
        + f"202324,3,{long_note},stray\n"
    )
    validated, _ = check_file(contract, path, demo=True)
    q = validated.quarantine.set_index("source_row")
    assert (q.loc[10, "column_name"], q.loc[10, "value"]) == ("note", "202324,2")
    assert q.loc[11, "column_name"] == "(whole row)"
    assert q.loc[11, "value"].startswith("202324,3,a note a note")
    assert len(q.loc[11, "value"]) == 200 and q.loc[11, "value"].endswith("…")


def _load_in(tmp_path, files, workers, **kwargs):
    con = duckdb.connect(str(tmp_path / f"w{workers}.duckdb"))
    outcomes = [
        (file.name, getattr(r, "status", None) or f"{type(r).__name__}: {r}")
        for file, r in load_files(con, CONTRACT, files, workers=workers, **kwargs)
    ]
    return con, outcomes


def test_files_checked_in_worker_processes_load_exactly_as_one_at_a_time(tmp_path):
    inbox = tmp_path / "inbox"
    v1 = good_rows(5)
    v1[2][6] = "n/a"  # quarantined
    mostly_bad = good_rows(4)
    for r in mostly_bad[:3]:
        r[6] = "n/a"
    files = [
        write_csv(inbox / "a_pay_2023.csv", [hr_row("E1", "WBRI", 20, date="31/03/2023")]),
        write_csv(inbox / "b_pay_2024_v1.csv", v1),
        write_csv(inbox / "c_rejected.csv", mostly_bad),
        write_csv(inbox / "d_same_bytes_as_a.csv", [hr_row("E1", "WBRI", 20, date="31/03/2023")]),
        write_csv(inbox / "e_pay_2024_v2.csv", good_rows(3)),  # replaces v1's period
    ]
    one, one_outcomes = _load_in(tmp_path, files, 1, demo=True)
    two, two_outcomes = _load_in(tmp_path, files, 2, demo=True)
    assert one_outcomes == two_outcomes
    assert [o[1].split(":")[0] for o in two_outcomes] == [
        "loaded",
        "loaded",
        "ExtractError",
        "skipped",
        "loaded",
    ]
    assert "c_rejected.csv" in two_outcomes[2][1] and "not loaded" in two_outcomes[2][1]
    tables = {
        "raw.hr_payroll": "* exclude (_loaded_at)",
        "raw.quarantine": "* exclude (loaded_at)",
        "raw.load_log": "file_name, file_sha256, periods, rows_in, rows_loaded, rows_quarantined, superseded",
    }
    for table, columns in tables.items():
        query = f"select {columns} from {table} order by all"
        assert one.execute(query).fetchall() == two.execute(query).fetchall(), table
    assert two.execute("select count(*) from raw.hr_payroll").fetchall() == [(4,)]

    # Run again: every file is known by its checksum, so nothing is read or written.
    _, again = _load_in(tmp_path, files, 2, demo=True)
    assert [o[1].split(":")[0] for o in again] == ["skipped", "skipped", "ExtractError", "skipped", "skipped"]


def _outcomes(checked):
    """What each file's check gave, comparable with ==: frames as records, errors as text."""
    out = []
    for file, outcome in checked:
        if isinstance(outcome, Exception):
            out.append((file.name, f"{type(outcome).__name__}: {outcome}"))
            continue
        validated, result = outcome
        loaded = validated.loaded.astype(object).where(validated.loaded.notna(), None)
        quarantine = validated.quarantine.astype(object)
        out.append(
            (
                file.name,
                loaded.to_dict("records"),
                quarantine.to_dict("records"),
                validated.rows_in,
                validated.rows_quarantined,
                validated.rule_counts,
                result.periods,
            )
        )
    return out


def test_files_validated_together_give_each_file_what_it_gives_alone(tmp_path):
    """Small files are validated in one pass (a pass costs ~50 ms whatever its rows): each file must
    still get exactly its own rows, quarantine, counts and errors, and a unique key repeated in
    another file of the pass is no duplicate."""
    duplicated = [*good_rows(4), good_rows(1)[0]]  # E0 twice in one file: a duplicate
    broken = good_rows(30)
    broken[3][6], broken[7][1], broken[9][2] = "thirty", "31/02/2024", "#N/A"
    mostly_bad = good_rows(4)
    for r in mostly_bad[:3]:
        r[6] = "n/a"
    missing_column = [r[:6] + r[7:] for r in good_rows(2)]
    files = [
        write_csv(tmp_path / "a.csv", good_rows(3)),
        write_csv(tmp_path / "b_same_people.csv", good_rows(3)),  # the same keys as a.csv: fine
        write_csv(tmp_path / "c_duplicated.csv", duplicated),
        write_csv(tmp_path / "d_broken.csv", broken),
        write_csv(tmp_path / "e_rejected.csv", mostly_bad),
        write_csv(
            tmp_path / "f_no_hours.csv",
            missing_column,
            header=[h for h in HR_HEADER if h != "Contracted Hours"],
        ),
        write_csv(tmp_path / "g_empty.csv", []),
        write_csv(tmp_path / "h_2023.csv", [hr_row("E1", "WBRI", 20, date="31/03/2023")]),
    ]
    together = _outcomes(check_files(CONTRACT, [(f, None) for f in files], demo=True))
    alone = _outcomes([o for f in files for o in check_files(CONTRACT, [(f, None)], demo=True)])
    assert together == alone
    by_file = {o[0]: o for o in together}
    assert len(by_file["a.csv"][1]) == 3 and not by_file["b_same_people.csv"][2]
    assert [q["rule"] for q in by_file["c_duplicated.csv"][2]] == [
        "unique: a second row for the same employee_id, snapshot_date"
    ]
    assert {q["source_row"] for q in by_file["d_broken.csv"][2]} == {5, 9, 11}
    assert "ExtractError" in by_file["e_rejected.csv"][1] and "not loaded" in by_file["e_rejected.csv"][1]
    assert "weekly_hours" in by_file["f_no_hours.csv"][1]
    assert by_file["g_empty.csv"][1:4] == ([], [], 0)
    assert by_file["h_2023.csv"][-1] == ["2023-03-31"]


def test_a_pass_that_fails_validates_its_files_one_by_one(tmp_path, monkeypatch):
    """Should validating files together ever raise, each is validated alone, so an error is its own
    file's and the others still load."""
    files = [write_csv(tmp_path / f"pay_{i}.csv", good_rows(2 + i)) for i in range(3)]
    expected = _outcomes(check_files(CONTRACT, [(f, None) for f in files], demo=True))

    def fails(*_args):
        raise RuntimeError("validation failed")

    monkeypatch.setattr("observatory.ingest.load.validate_together", fails)
    assert _outcomes(check_files(CONTRACT, [(f, None) for f in files], demo=True)) == expected


@pytest.mark.parametrize("workers", [1, 2])
def test_batches_of_any_size_load_what_files_one_at_a_time_load(tmp_path, monkeypatch, workers):
    """The writer takes files in order whatever the batches they were checked in."""
    files = [
        write_csv(tmp_path / "inbox" / "a_2023.csv", [hr_row("E1", "WBRI", 20, date="31/03/2023")]),
        write_csv(tmp_path / "inbox" / "b_2024_v1.csv", good_rows(5)),
        write_csv(tmp_path / "inbox" / "c_rejected.csv", [[*r[:6], "n/a", *r[7:]] for r in good_rows(3)]),
        write_csv(tmp_path / "inbox" / "d_2024_v2.csv", good_rows(2)),  # replaces b's period
    ]
    tables = ("raw.hr_payroll", "raw.quarantine", "raw.load_log")
    seen = {}
    for batch_bytes in (1, 10**9):
        monkeypatch.setattr("observatory.ingest.load.BATCH_BYTES", batch_bytes)
        con = duckdb.connect(str(tmp_path / f"b{batch_bytes}.duckdb"))
        outcomes = [
            getattr(r, "status", type(r).__name__)
            for _, r in load_files(con, CONTRACT, files, demo=True, workers=workers)
        ]
        assert outcomes == ["loaded", "loaded", "ExtractError", "loaded"]
        seen[batch_bytes] = {
            t: con.execute(f"select * exclude (loaded_at) from {t} order by all").fetchall()
            if t != "raw.hr_payroll"
            else con.execute(f"select * exclude (_loaded_at) from {t} order by all").fetchall()
            for t in tables
        }
    assert seen[1] == seen[10**9]
    assert len(seen[1]["raw.hr_payroll"]) == 3


def test_a_missing_key_in_a_worker_process_stops_the_load_before_anything_is_written(tmp_path, monkeypatch):
    monkeypatch.delenv("OBSERVATORY_PSEUDONYMISATION_KEY", raising=False)
    files = [write_csv(tmp_path / f"pay_{i}.csv", good_rows(2)) for i in range(3)]
    con = duckdb.connect()
    file, outcome = next(load_files(con, CONTRACT, files, demo=False, workers=2))
    assert file == files[0] and isinstance(outcome, MissingKeyError)
    assert con.execute("select count(*) from raw.load_log").fetchall() == [(0,)]


def test_a_source_checkpoints_once_after_its_files_and_restores_the_threshold(tmp_path):
    """Each file commits on its own, but the warehouse is checkpointed once a source (not at every
    commit, half the writer's time at London scale): the files' rows are in the WAL until the end,
    then in the database file, and the checkpoint threshold is the caller's again."""
    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    con.execute("set checkpoint_threshold = '20MB'")
    threshold = "select current_setting('checkpoint_threshold')"
    (callers,) = con.execute(threshold).fetchone()
    files = [
        write_csv(
            tmp_path / f"pay_{year}.csv",
            [hr_row(f"E{i}", "WBRI", 20 + i, date=f"31/03/{year}") for i in range(3)],
        )
        for year in (2022, 2023, 2024)
    ]
    wal = Path(f"{path}.wal")
    loading = load_files(con, CONTRACT, files, demo=True, workers=1)
    assert next(loading)[1].status == "loaded"
    assert wal.exists() and wal.stat().st_size > 0  # committed, not yet checkpointed
    assert con.execute(threshold).fetchone()[0] != callers
    assert [r.status for _, r in loading] == ["loaded", "loaded"]
    assert not wal.exists() or wal.stat().st_size == 0
    assert con.execute(threshold).fetchone()[0] == callers
    con.close()
    assert duckdb.connect(str(path)).execute("select count(*) from raw.hr_payroll").fetchall() == [(9,)]


def test_blank_means_empty_null_or_only_spaces_whatever_the_cell_holds():
    import numpy as np
    import pandas as pd
    from observatory.ingest.parsing import blank

    cells = ["", "  ", "\t", None, np.nan, pd.NA, pd.NaT, "x", " 0 ", 0, 1.5, "#N/A"]
    expected = [True, True, True, True, True, True, True, False, False, False, False, False]
    result = blank(pd.Series(cells, dtype=object, index=range(10, 22)))
    assert result.tolist() == expected and list(result.index) == list(range(10, 22))


@pytest.mark.parametrize("workers", [1, 2])
def test_a_file_gone_from_the_inbox_before_its_turn_is_named_and_the_rest_still_load(tmp_path, workers):
    gone = tmp_path / "pay_gone.csv"
    files = [
        gone,
        write_csv(tmp_path / "pay_2023.csv", [hr_row("E1", "WBRI", 20, date="31/03/2023")]),
        write_csv(tmp_path / "pay_2024.csv", good_rows(2)),
    ]
    con = duckdb.connect()
    outcomes = list(load_files(con, CONTRACT, files, demo=True, workers=workers))
    assert isinstance(outcomes[0][1], FileNotFoundError) and outcomes[0][0] == gone
    assert [r.status for _, r in outcomes[1:]] == ["loaded", "loaded"]
