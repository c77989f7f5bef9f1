"""Ingest of the population denominators (mid-year tables and the Census 2021 TS021 bulk file) and
the Fingertips indicator exports: every clean demo file loads whole and reconciles with the ground
truth, every planted row fault is quarantined at its physical row (or, for an unknown code, loaded
and reported), and hand-made bad inputs fail with the exact rule."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from observatory.config import DBT_PROJECT_DIR
from observatory.contracts import get_contract, normalise_label, parse_contract
from observatory.demo import LAST_SNAPSHOT, fingertips, population_files
from observatory.demo.authorities import authorities_for
from observatory.demo.context import DemoContext
from observatory.demo.faults import DirtyConfig
from observatory.demo.population_census import TS021
from observatory.ingest.load import FileResult, check_file, load_file
from observatory.ingest.readers import ExtractError
from observatory.ingest.validate import Validated

SOURCES = ("population", "population_census", "fingertips")
MID_YEAR, CENSUS, FINGERTIPS = (get_contract(s) for s in SOURCES)
YEARS = 2
TS021_PREFIX = "Ethnic group: "
# Faults that are data-quality findings, not row errors: the row loads and staging reports it
# (an unmapped ethnic group label, a well-formed area code the authorities seed does not hold).
FINDINGS = {"unknown_code", "unknown_area_code"}
# The rule each planted row fault must be quarantined under (a prefix of the rule's text).
EXPECTED_RULE = {
    "duplicate_row": "unique: a second row",
    "impossible_date": ("type: must be a date", "type: must be a whole number", "format: must match"),
    "negative_count": "range: must be at least 0",
    "negative_value": "range: must be at least lower_ci_95",
    "text_in_numeric": ("type: must be a whole number", "type: must be a number"),
    "count_exceeds_total": ("range: must be at most all_ages", "range: must be at most total_residents"),
    "value_out_of_range": "range: must be at most upper_ci_95",
}

pytestmark = pytest.mark.usefixtures("data_dir")


@dataclass
class Checked:
    source: str
    file: Path
    validated: Validated | None = None
    result: FileResult | None = None
    error: ExtractError | None = None


@dataclass
class Demo:
    inbox: Path
    truth: dict
    checked: dict[str, Checked]  # by file name

    def faults(self, name: str) -> list[dict]:
        return [f for s in self.truth.values() for f in s.get("faults", []) if Path(f["file"]).name == name]

    def file_record(self, name: str) -> dict:
        return next(r for s in self.truth.values() for r in s["files"] if Path(r["file"]).name == name)


def _demo(root: Path, *, dirty: bool) -> Demo:
    # Three authorities: one of each publisher's shape (ONS XLSX, GLA CSV, council cp1252 CSV).
    ctx = DemoContext(
        seed=42,
        scale="london",
        authorities=authorities_for("london")[:3],
        snapshot_dates=tuple(date(LAST_SNAPSHOT.year - YEARS + 1 + i, 3, 31) for i in range(YEARS)),
        dirty=DirtyConfig() if dirty else None,
    )
    inbox = root / "inbox"
    truth = {**population_files.write(inbox, ctx), **fingertips.write(inbox, ctx)}
    checked: dict[str, Checked] = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OBSERVATORY_AUTHORITY_CODE", "X09000001")
        for source in SOURCES:
            for file in sorted((inbox / source).iterdir()):
                entry = Checked(source, file)
                try:
                    entry.validated, entry.result = check_file(get_contract(source), file, demo=True)
                except ExtractError as exc:
                    entry.error = exc
                checked[file.name] = entry
    return Demo(inbox, truth, checked)


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Demo:
    return _demo(tmp_path_factory.mktemp("clean"), dirty=False)


@pytest.fixture(scope="module")
def dirty(tmp_path_factory) -> Demo:
    return _demo(tmp_path_factory.mktemp("dirty"), dirty=True)


def _seed(name: str, column: str) -> set[str]:
    path = next(DBT_PROJECT_DIR.glob(f"seeds/*/{name}.csv"))
    with path.open(encoding="utf-8", newline="") as f:
        return {r[column] for r in csv.DictReader(f)}


def _write(path: Path, header: list[str], rows: list[list], encoding: str = "utf-8") -> Path:
    with path.open("w", newline="", encoding=encoding) as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _quarantine(validated: Validated) -> list[list]:
    return validated.quarantine[["source_row", "column_name", "value", "rule"]].values.tolist()


def _reconciles(validated: Validated, result: FileResult) -> None:
    assert result.rows_in == result.rows_loaded + result.rows_quarantined
    assert len(validated.loaded) == result.rows_loaded


# --- (a) clean demo files ------------------------------------------------------------------------


def test_every_clean_demo_file_loads_whole_with_no_unknown_columns(clean):
    records = {Path(r["file"]).name: r for s in clean.truth.values() for r in s["files"]}
    assert set(clean.checked) == set(records)
    assert {c.source for c in clean.checked.values()} == set(SOURCES)
    for name, c in clean.checked.items():
        assert c.error is None, name
        assert c.result.rows_quarantined == 0, (name, _quarantine(c.validated)[:3])
        assert c.result.unknown_columns == [], name
        width = sum(h.startswith(TS021_PREFIX) for h in records[name]["header"]) - 1  # less the total
        expected = records[name]["data_rows"] * (width if c.source == "population_census" else 1)
        assert c.result.rows_in == c.result.rows_loaded == expected, name
    formats = {records[n]["publisher"] for n, c in clean.checked.items() if c.source == "population"}
    assert formats == {"ons_xlsx", "gla_csv", "council_csv"}


def test_mid_year_tables_reconcile_with_the_planted_denominators(clean):
    expected = {
        (d["authority_code"], d["residents_year"], d["census_code"]): d
        for d in clean.truth["population"]["denominators"]
    }
    seen = 0
    for name, c in clean.checked.items():
        if c.source != "population":
            continue
        record = clean.file_record(name)
        loaded = c.validated.loaded
        assert set(loaded["authority_code"]) == {record["authority_code"]}
        assert {str(d.date()) for d in loaded["estimate_date"]} == {record["estimate_date"]}
        assert set(loaded["sex"]) == {"Female", "Male"}
        codes = loaded["ethnic_group"].map(record["ethnic_group_labels"])
        sums = loaded.assign(code=codes).groupby("code")[["all_ages", "age_0_17", "age_10_17", "age_18_plus"]]
        for code, row in sums.sum().iterrows():
            truth = expected[(record["authority_code"], record["residents_year"], code)]
            assert row.to_dict() == {b: truth[b] for b in row.index}, (name, code)
            seen += 1
    assert seen == 6 * 19


def test_census_ts021_reconciles_cell_by_cell_with_the_total_on_every_record(clean):
    c = next(c for c in clean.checked.values() if c.source == "population_census")
    loaded = c.validated.loaded
    key = {header.removeprefix(TS021_PREFIX): k for k, header in TS021 if k != "Total"}
    assert set(loaded["ethnic_group"]) == set(key)  # the total is a column, not a category
    assert set(loaded["census_year"]) == {2021}
    cells = loaded.assign(key=loaded["ethnic_group"].map(key)).set_index(["geography_code", "key"])
    for geo in clean.truth["population_census"]["census_ts021"]:
        code = geo["geography_code"]
        for k, n in {**geo["counts"], **geo["major"]}.items():
            assert cells.at[(code, k), "residents"] == n
        assert set(cells.loc[code, "total_residents"]) == {geo["total"]}


def test_fingertips_values_reconcile_and_suppressed_values_load_blank_with_their_note(clean):
    truth = pd.DataFrame(clean.truth["fingertips"]["values"])
    frames = [c.validated.loaded for c in clean.checked.values() if c.source == "fingertips"]
    loaded = pd.concat(frames, ignore_index=True)
    overall = loaded[loaded["category_type"].isna()]
    merged = truth.merge(
        overall,
        left_on=["indicator_id", "area_code", "sex", "period"],
        right_on=["indicator_id", "area_code", "sex", "time_period"],
        how="left",
        validate="one_to_one",
    )
    assert merged["time_period"].notna().all()
    shown = ~merged["suppressed"]
    assert (merged.loc[shown, "value_x"] - merged.loc[shown, "value_y"]).abs().max() < 1e-6
    assert (merged.loc[shown, "lower_95"] - merged.loc[shown, "lower_ci_95"]).abs().max() < 1e-6
    # Ethnic group rows: a suppressed count leaves Value and Count blank with the note, never a zero.
    ethnic = loaded[loaded["category_type"] == "Ethnic groups"]
    code = ethnic["category"].map({label: c for c, label in population_files.display_labels()})
    ethnic = ethnic.assign(code=code).set_index(["indicator_id", "area_code", "time_period", "code"])
    suppressed = 0
    for entry in clean.truth["fingertips"]["ethnic_groups"]:
        for c, (count, denominator) in entry["counts"].items():
            row = ethnic.loc[(entry["indicator_id"], entry["area_code"], entry["period"], c)]
            assert row["denominator"] == denominator
            if count is None:
                assert pd.isna(row["value"]) and pd.isna(row["count"])
                assert row["value_note"] == fingertips.SUPPRESSED_NOTE
                suppressed += 1
            else:
                assert row["count"] == count
    assert suppressed > 0
    labels = {normalise_label(x) for x in ethnic.reset_index()["category"]}
    assert labels <= _seed("ethnicity_hr_labels", "label_normalised")  # all conform in staging


# --- (b) dirty demo files ------------------------------------------------------------------------


def test_dirty_files_quarantine_exactly_the_planted_row_faults_under_the_right_rule(dirty):
    checked_row_faults = 0
    for name, c in dirty.checked.items():
        faults = dirty.faults(name)
        if any(f.get("level") == "file" for f in faults):
            continue  # the next test
        assert c.error is None, name
        _reconciles(c.validated, c.result)
        row_faults = [f for f in faults if f["fault"] not in FINDINGS]
        quarantine = c.validated.quarantine
        assert set(quarantine["source_row"]) == {f["row"] for f in row_faults}, name
        contract = get_contract(c.source)
        for f in row_faults:
            at_row = quarantine[quarantine["source_row"] == f["row"]]
            assert any(r.startswith(EXPECTED_RULE[f["fault"]]) for r in at_row["rule"]), (name, f)
            if f["fault"] != "duplicate_row":
                canonical = contract.resolve_header(f["column"]) or "residents"  # TS021 category cells
                assert canonical in set(at_row["column_name"]), (name, f)
            checked_row_faults += 1
    assert checked_row_faults >= 60


def test_dirty_unknown_codes_load_and_are_reported_as_findings_not_quarantined(dirty):
    labels = _seed("ethnicity_hr_labels", "label_normalised")
    authorities = _seed("authorities", "authority_code")
    findings = 0
    for name, c in dirty.checked.items():
        for f in (f for f in dirty.faults(name) if f["fault"] in FINDINGS):
            column = get_contract(c.source).resolve_header(f["column"])
            loaded = c.validated.loaded
            values = set(loaded.loc[loaded["_source_row"] == f["row"], column])
            assert values == {f["value"]}, (name, f)
            if column == "ethnic_group":
                assert normalise_label(f["value"]) not in labels  # staging: ethnicity_status 'unmapped'
            else:
                assert f["value"] not in authorities  # staging: is_known_area false, a warning test
            findings += 1
    assert findings >= 8


def test_dirty_file_missing_a_required_column_is_rejected_naming_it(dirty):
    missing = [f for s in dirty.truth.values() for f in s["faults"] if f.get("level") == "file"]
    assert {Path(f["file"]).parent.name for f in missing} == {"population", "fingertips"}  # TS021: none
    for f in missing:
        name = Path(f["file"]).name
        c = dirty.checked[name]
        canonical = get_contract(c.source).resolve_header(f["column"])
        assert c.error is not None and c.result is None
        assert name in str(c.error) and f"required column(s) missing: {canonical}" in str(c.error)


# --- (c) bad inputs, by hand ---------------------------------------------------------------------

TS021_HEADER = [
    "date",
    "geography",
    "geography code",
    "Ethnic group: White: Irish",  # categories in another order than the bulk file's
    "Ethnic group: Total: All usual residents",
    "Ethnic group: Asian, Asian British or Asian Welsh: Indian",
    "Ethnic group: White",
    "Notes",
]


def _good_ts021_lines(n: int) -> list[list]:
    """Valid lines to add below the bad ones, so a file stays under the 20% quarantine limit."""
    return [[2021, f"Area {i}", f"X09000{100 + i:03d}", 10, 100, 20, 30, ""] for i in range(n)]


def test_ts021_total_column_is_kept_on_every_record_and_a_category_above_it_is_quarantined(tmp_path):
    path = _write(
        tmp_path / "ts021.csv",
        TS021_HEADER,
        [
            [2021, "Northbrook", "X09000001", 120, 5000, 3400, 900, ""],
            [2021, "Eastmarsh", "X09000002", 80, 4000, 4001, 700, "revised"],
        ],
    )
    validated, result = check_file(CENSUS, path, demo=True)
    _reconciles(validated, result)
    assert (result.rows_in, result.rows_loaded, result.rows_quarantined) == (6, 5, 1)
    assert _quarantine(validated) == [[3, "residents", "4001", "range: must be at most total_residents"]]
    loaded = validated.loaded.set_index(["geography_code", "ethnic_group"])
    assert loaded.at[("X09000001", "Asian, Asian British or Asian Welsh: Indian"), "residents"] == 3400
    assert set(loaded["total_residents"]) == {5000, 4000}
    assert "Total: All usual residents" not in set(validated.loaded["ethnic_group"])
    assert result.unknown_columns == ["Notes"]


def test_ts021_without_its_total_column_is_rejected_naming_it(tmp_path):
    header = [h for h in TS021_HEADER if "Total" not in h and h != "Notes"]
    path = _write(tmp_path / "ts021_no_total.csv", header, [[2021, "Northbrook", "X09000001", 1, 2, 3]])
    missing = r"ts021_no_total\.csv: required column\(s\) missing: total_residents"
    with pytest.raises(ExtractError, match=missing):
        check_file(CENSUS, path, demo=True)


def test_ts021_geography_code_of_the_wrong_shape_and_a_census_date_are_quarantined(tmp_path):
    rows = [
        [2021, "Northbrook", "X0900001", 120, 5000, 3400, 900, ""],  # 7 digits
        ["27/03/2021", "Eastmarsh", "X09000002", 80, 4000, 3000, 700, ""],  # a date, not a year
        *_good_ts021_lines(10),
    ]
    validated, result = check_file(CENSUS, _write(tmp_path / "ts021.csv", TS021_HEADER, rows), demo=True)
    _reconciles(validated, result)
    assert (result.rows_in, result.rows_loaded, result.rows_quarantined) == (36, 30, 6)
    rules = validated.quarantine.groupby(["source_row", "column_name", "value", "rule"]).size()
    assert rules.to_dict() == {
        (2, "geography_code", "X0900001", "format: must match [A-Z][0-9]{8}"): 3,
        (3, "census_year", "27/03/2021", "type: must be a whole number"): 3,
    }


COUNCIL_HEADER = ["LA Code", "LA Name", "As At", "Gender", "Ethnicity", "Total", "0-4", "0-17", "18+"]


def _good_council_rows(n: int) -> list[list]:
    """Valid rows to add below the bad ones, so a file stays under the 20% quarantine limit."""
    codes = ["AIND", "APKN", "AOTH", "BAFR", "BCRB", "BOTH", "MWAS", "MWBA", "MWBC", "MOTH", "WBRI", "WIRI"]
    return [
        ["X09000003", "Kestrel Vale", "30/06/2023", sex, code, "1,000", "60", "200", "800"]
        for code in codes
        for sex in ("F", "M")
    ][:n]


def test_council_mid_year_csv_in_cp1252_with_thousands_separators_and_a_band_above_all_ages(tmp_path):
    la = ["X09000003", "Kestrel Vale – synthetic", "30/06/2023"]
    rows = [
        [*la, "F", "ABAN", "3,425", "338", "1,129", "2,296"],
        [*la, "M", "ABAN", "3,300", "340", "3,301", "2,200"],
        [*la, "F", "ACHN", "2,605", "n/a", "630", "1,975"],
        *_good_council_rows(10),
    ]
    path = _write(tmp_path / "mye.csv", COUNCIL_HEADER, rows, encoding="cp1252")
    validated, result = check_file(MID_YEAR, path, demo=True)
    _reconciles(validated, result)
    assert (result.rows_in, result.rows_loaded, result.rows_quarantined) == (13, 11, 2)
    assert _quarantine(validated) == [
        [3, "age_0_17", "3,301", "range: must be at most all_ages"],
        [4, "age_0_4", "n/a", "type: must be a whole number"],
    ]
    row = validated.loaded.iloc[0]
    assert (row["all_ages"], row["age_0_17"], row["age_18_plus"], row["sex"]) == (3425, 1129, 2296, "Female")
    assert row["area_name"] == "Kestrel Vale – synthetic"  # Windows-1252 dash decoded
    assert pd.isna(row["age_5_9"])  # a band the file does not hold stays empty


def test_mid_year_unknown_sex_bad_code_and_impossible_date_are_quarantined(tmp_path):
    rows = [
        ["X09000003", "Kestrel Vale", "30/06/2023", "Both", "ABAN", "3425", "338", "1129", "2296"],
        ["E0900003", "Kestrel Vale", "30/06/2023", "M", "ABAN", "3300", "340", "1100", "2200"],
        ["X09000003", "Kestrel Vale", "31/06/2023", "M", "ACHN", "2605", "175", "630", "1975"],
        ["X09000003", "Kestrel Vale", "30/06/2023", "M", "ACHN", "-1", "175", "630", "1975"],
        *_good_council_rows(20),
    ]
    validated, result = check_file(MID_YEAR, _write(tmp_path / "mye.csv", COUNCIL_HEADER, rows), demo=True)
    _reconciles(validated, result)
    assert (result.rows_in, result.rows_loaded, result.rows_quarantined) == (24, 20, 4)
    assert _quarantine(validated) == [
        [2, "sex", "Both", "allowed values: one of Female, Male, Persons"],
        [3, "authority_code", "E0900003", "format: must match [A-Z][0-9]{8}"],
        [4, "estimate_date", "31/06/2023", "type: must be a date (dd/mm/yyyy or yyyy-mm-dd)"],
        [5, "age_0_17", "630", "range: must be at most all_ages"],
        [5, "age_0_4", "175", "range: must be at most all_ages"],
        [5, "age_18_plus", "1975", "range: must be at most all_ages"],
        [5, "all_ages", "-1", "range: must be at least 0"],
    ]


def test_mid_year_file_without_an_area_code_takes_the_configured_authority(tmp_path, monkeypatch):
    monkeypatch.setenv("OBSERVATORY_AUTHORITY_CODE", "X09000002")
    header = ["date", "sex", "ethnic_group", "all_ages", "age_10_17"]
    path = _write(tmp_path / "mye.csv", header, [["30/06/2024", "female", "Bangladeshi", 3000, 300]])
    validated, result = check_file(MID_YEAR, path, demo=True)
    assert result.rows_loaded == 1 and result.periods == ["2024-06-30"]
    assert validated.loaded["authority_code"].tolist() == ["X09000002"]


FT_HEADER = list(fingertips.HEADER)


def _ft_row(**cells) -> list[str]:
    row = {
        "Indicator ID": "90323", "Indicator Name": "Year 6: Prevalence of healthy weight",
        "Area Code": "X09000001", "Area Type": "Districts & UAs (from Apr 2023)", "Sex": "Persons",
        "Age": "10-11 yrs", "Time period": "2023/24", "Value": "61.5", "Lower CI 95.0 limit": "60.1",
        "Upper CI 95.0 limit": "62.9", "Count": "615", "Denominator": "1000",
        "Time period Sortable": "20230000", "Time period range": "1y",
    }  # fmt: skip
    row.update(cells)
    return [row.get(h, "") for h in FT_HEADER]


def _good_ft_rows(n: int) -> list[list[str]]:
    """Valid rows (other periods) to add below the bad ones, under the 20% quarantine limit."""
    return [_ft_row(**{"Time period": f"{y}/{(y + 1) % 100:02d}", "Time period Sortable": f"{y}0000"})
            for y in range(2000, 2000 + n)]  # fmt: skip


SUPPRESSED = {
    "Value": "", "Count": "", "Lower CI 95.0 limit": "", "Upper CI 95.0 limit": "",
    "Value note": fingertips.SUPPRESSED_NOTE,
}  # fmt: skip
SORTABLE_RULE = "format: must match [0-9]{4}(0[0-9]|1[0-2])(0[0-9]|[12][0-9]|3[01])"


def test_fingertips_values_outside_their_limits_counts_above_denominators_and_bad_periods(tmp_path):
    rows = [
        _ft_row(),
        _ft_row(**{"Category Type": "Ethnic groups", "Category": "Bangladeshi", "Value": "125"}),
        _ft_row(**{"Category Type": "Ethnic groups", "Category": "Indian", "Value": "-61.5"}),
        _ft_row(**{"Category Type": "Ethnic groups", "Category": "Chinese", "Count": "1001"}),
        _ft_row(**{"Category Type": "Ethnic groups", "Category": "Arab", "Time period Sortable": "20231332"}),
        _ft_row(**{"Category Type": "Ethnic groups", "Category": "Roma", **SUPPRESSED}),
        _ft_row(),  # a second row for the same indicator, area, sex, age, category and period
        *_good_ft_rows(20),
    ]
    validated, result = check_file(FINGERTIPS, _write(tmp_path / "ft.csv", FT_HEADER, rows), demo=True)
    _reconciles(validated, result)
    assert (result.rows_in, result.rows_loaded, result.rows_quarantined) == (27, 22, 5)
    key = "indicator_id, area_code, sex, age, category_type, category, time_period"
    duplicate = "90323 | X09000001 | Persons | 10-11 yrs |  |  | 2023/24"
    assert _quarantine(validated) == [
        [3, "value", "125", "range: must be at most upper_ci_95"],
        [4, "value", "-61.5", "range: must be at least lower_ci_95"],
        [5, "count", "1001", "range: must be at most denominator"],
        [6, "time_period_sortable", "20231332", SORTABLE_RULE],
        [8, key, duplicate, f"unique: a second row for the same {key}"],
    ]
    suppressed = validated.loaded.iloc[1]
    assert suppressed["category"] == "Roma" and pd.isna(suppressed["value"]) and pd.isna(suppressed["count"])
    assert suppressed["denominator"] == 1000 and suppressed["value_note"] == fingertips.SUPPRESSED_NOTE


def test_fingertips_r_style_headers_resolve_and_a_missing_time_period_is_rejected(tmp_path):
    header = ["IndicatorID", "IndicatorName", "AreaCode", "Sex", "Age", "Timeperiod", "Value",
              "LowerCI95.0limit", "UpperCI95.0limit", "TimeperiodSortable"]  # fmt: skip
    row = ["90366", "Life expectancy at birth", "X09000001", "Female", "All ages", "2021 - 23", "83.2",
           "82.5", "83.9", "20210000"]  # fmt: skip
    validated, result = check_file(FINGERTIPS, _write(tmp_path / "ft.csv", header, [row]), demo=True)
    assert result.rows_loaded == 1 and result.unknown_columns == [] and result.periods == ["2021 - 23"]
    loaded = validated.loaded.iloc[0]
    assert (loaded["value"], loaded["upper_ci_95"], loaded["time_period_sortable"]) == (83.2, 83.9, 20210000)
    without = _write(tmp_path / "ft_no_period.csv", header[:5] + header[6:], [row[:5] + row[6:]])
    with pytest.raises(ExtractError, match=r"required column\(s\) missing: time_period;.*timeperiod"):
        check_file(FINGERTIPS, without, demo=True)


def test_cross_column_rules_and_patterns_are_checked_when_the_contract_is_read():
    base = {"name": "t", "domain": "t", "period": {"column": "n"}}
    number = {"name": "n", "type": "integer"}
    with pytest.raises(ValueError, match="compare two numeric columns"):
        parse_contract({**base, "columns": [number, {"name": "s", "type": "string", "max_column": "n"}]})
    with pytest.raises(KeyError, match="no column 'total'"):
        parse_contract({**base, "columns": [{**number, "max_column": "total"}]})
    with pytest.raises(re.error, match="unterminated character set"):
        parse_contract({**base, "columns": [{**number, "pattern": "[0-9"}]})


def test_published_files_replace_only_themselves_and_a_reload_changes_nothing(tmp_path):
    con = duckdb.connect()
    a = _write(tmp_path / "fingertips_90323.csv", FT_HEADER, [_ft_row()])
    b = _write(tmp_path / "fingertips_20602.csv", FT_HEADER, [_ft_row(**{"Indicator ID": "20602"})])
    census = _write(tmp_path / "ts021.csv", TS021_HEADER, [[2021, "Northbrook", "X09000001", 1, 9, 2, 3, ""]])
    for contract, f in ((FINGERTIPS, a), (FINGERTIPS, b), (CENSUS, census)):
        assert load_file(con, contract, f, demo=True).status == "loaded"
    assert load_file(con, FINGERTIPS, a, demo=True).status == "skipped"
    # Both indicators hold 2023/24: loading one must not delete the other.
    rows = con.execute("select indicator_id from raw.fingertips order by 1").fetchall()
    assert rows == [(20602,), (90323,)]
    assert con.execute("select count(*), sum(residents) from raw.population_census").fetchall() == [(3, 6)]


# --- (d) no person identifiers ----------------------------------------------------------------


def test_aggregate_sources_hold_no_person_identifiers_and_extra_columns_stay_out(tmp_path):
    for contract in (MID_YEAR, CENSUS, FINGERTIPS):
        assert contract.identifiers == []  # published aggregates: nothing to pseudonymise
        assert not any(c.direct_identifier for c in contract.columns)
    header = [*COUNCIL_HEADER, "Prepared by", "Contact email"]
    row = ["X09000003", "Kestrel Vale", "30/06/2023", "F", "ABAN", "3425", "338", "1129", "2296",
           "Jane Analyst", "jane.analyst@example.org"]  # fmt: skip
    validated, result = check_file(MID_YEAR, _write(tmp_path / "mye.csv", header, [row]), demo=True)
    assert result.unknown_columns == ["Prepared by", "Contact email"]
    assert set(validated.loaded.columns) == {c.name for c in MID_YEAR.raw_columns} | {"_source_row"}
    assert "Jane Analyst" not in validated.loaded.to_string()
