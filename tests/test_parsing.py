"""The parsers' Arrow fast paths give exactly what pandas' parsers give, on the text frames the
readers return (Arrow strings) and on object frames built by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from observatory.ingest.parsing import (
    DATE_FORMATS,
    TEXT,
    TIMESTAMP_FORMATS,
    blank,
    excel_error,
    map_distinct,
    parse_date,
    parse_decimal,
    parse_timestamp,
)

DATES = [
    "2024-04-01", "01/04/2024", "29/02/2024", "29/02/2023", "31/02/2024", "30/04/2024", "31/04/2024",
    "2024-02-30", "2024-13-01", "00/00/0000", "0001-01-01", "0024-04-01", "9999-12-31", "1677-09-21",
    "1678-01-01", "2261-12-31", "2262-04-12", "31/12/1899", "1/4/2024", "2024-4-1", " 2024-04-01 ",
    "2024-04-01T00:00:00", "01-Apr-2024", "1 April 2024", "01/04/24", "Mar-23", "", "  ", "x", "#N/A",
]  # fmt: skip
TIMESTAMPS = [
    "2024-06-14T21:35:00", "2024-06-14T21:35:00+01:00", "2024-06-14T21:35Z", "2024-06-31T10:00:00",
    "2024-06-14T24:00:00", "2024-06-14T21:61:00", "2024-06-14 21:35:00", "14/06/2024 21:35",
    "2024-06-14T21:35:00.5", "2024-06-14", "9999-06-14T21:35:00", "",
]  # fmt: skip
NUMBERS = [
    "0", "12", "0012", "12.5", "12.50", "1234.5678", "123456789.1234", "999999999999999",
    "9999999999999999", "12.34567", "-12.5", "+3", "-0", " 12 ", "1e5", ".5", "1.", "£1,234.50",
    "(3.00)", "nan", "inf", "1,2,3", "١٢٣", "", "x",
]  # fmt: skip


def _first_format(text: pd.Series, formats: tuple[str, ...]) -> pd.Series:
    """The oracle: each cell parsed by pandas with the first format that reads it."""
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    for fmt in formats:
        todo = out.isna()
        out[todo] = pd.to_datetime(text[todo], format=fmt, errors="coerce")
    return out


@pytest.mark.parametrize("dtype", [TEXT, object])
def test_dates_parse_as_pandas_parses_them_with_the_first_format_that_fits(dtype):
    cells = pd.Series(DATES, dtype=dtype)
    stripped = pd.Series([d.strip().removesuffix("T00:00:00") for d in DATES], dtype=object)
    expected = _first_format(stripped, DATE_FORMATS)
    assert parse_date(cells).tolist() == expected.tolist()
    # A rolled-over day (31/02 is not 2 March) and a year outside datetime64[ns] are no date.
    assert parse_date(pd.Series(["31/02/2024", "2024-02-30", "0024-04-01"], dtype=dtype)).isna().all()


@pytest.mark.parametrize("dtype", [TEXT, object])
def test_timestamps_parse_as_pandas_parses_them(dtype):
    local = [t.removesuffix("+01:00").replace(":00Z", ":00").replace("35Z", "35") for t in TIMESTAMPS]
    expected = _first_format(pd.Series(local, dtype=object), TIMESTAMP_FORMATS)
    expected = expected.fillna(parse_date(pd.Series(local, dtype=object)))
    assert parse_timestamp(pd.Series(TIMESTAMPS, dtype=dtype)).tolist() == expected.tolist()


@pytest.mark.parametrize("dtype", [TEXT, object])
def test_plain_numbers_cast_by_arrow_equal_pandas_and_the_rest_are_cleaned_as_before(dtype):
    values = parse_decimal(pd.Series(NUMBERS, dtype=dtype))
    by_pandas = pd.to_numeric(pd.Series(NUMBERS, dtype=object), errors="coerce").astype("float64")
    plain = [
        n.isdigit() or (n.count(".") == 1 and n.replace(".", "").isdigit() and n[0] != ".") for n in NUMBERS
    ]
    assert np.array_equal(values[plain], by_pandas[plain], equal_nan=True)
    assert values.tolist()[NUMBERS.index("£1,234.50")] == 1234.5
    assert values.tolist()[NUMBERS.index("(3.00)")] == -3.0
    assert values.tolist()[NUMBERS.index(" 12 ")] == 12.0
    assert np.isnan(values.tolist()[NUMBERS.index("nan")]) and np.isnan(values.tolist()[NUMBERS.index("x")])
    rng = np.random.default_rng(10)
    random = pd.Series(
        [f"{v:.{d}f}" for v, d in zip(rng.uniform(0, 1e7, 20_000), rng.integers(0, 5, 20_000), strict=True)]
    )
    assert np.array_equal(parse_decimal(random.astype(TEXT)), pd.to_numeric(random).astype("float64"))


def test_blank_and_excel_errors_on_arrow_text_match_object_text():
    cells = ["", " ", "\t", "\u00a0", "\u3000", "x", " #N/A ", "#n/a", "#REF!", "a#b", "#", None]
    # LibreOffice's own error texts; a code of other length, or text around it, is a value.
    cells += ["Err:502", " err:504 ", "Err:5021", "Err: 502", "see Err:502"]
    text, objects = pd.Series(cells, dtype=TEXT), pd.Series(cells, dtype=object)
    assert blank(text).tolist() == blank(objects).tolist()
    assert blank(text).tolist() == [True] * 5 + [False] * 6 + [True] + [False] * 5
    assert excel_error(text).tolist() == excel_error(objects).tolist()
    assert excel_error(text).tolist() == [False] * 6 + [True] * 3 + [False] * 3 + [True] * 2 + [False] * 3


def test_map_distinct_calls_once_per_distinct_value_and_keeps_order():
    calls: list[str] = []

    def shout(value: str) -> str | None:
        calls.append(value)
        return value.upper() if value != "skip" else None

    cells = pd.Series(["b", "a", "b", None, "skip", "a"], dtype=TEXT)
    assert map_distinct(cells, shout).to_pylist() == ["B", "A", "B", "", None, "A"]
    assert sorted(calls) == ["", "a", "b", "skip"]


def test_a_quarantined_cell_is_shown_whole_even_with_a_nul_character(tmp_path, data_dir):
    from conftest import hr_row, write_csv
    from observatory.contracts import get_contract
    from observatory.ingest.load import check_file

    rows = [hr_row(f"E{i}", "WBRI", 20 + i) for i in range(5)] + [hr_row("E9", "WBRI", basic="\x00")]
    validated, _ = check_file(get_contract("hr_payroll"), write_csv(tmp_path / "pay.csv", rows), demo=True)
    assert validated.quarantine["value"].tolist() == ["\x00"]  # pandas: str(Arrow "\x00") is ""


@pytest.mark.parametrize("dtype", [TEXT, object])
def test_regex_rules_decide_as_pythons_re_whatever_the_script(dtype):
    """Arrow's regex (RE2) takes the ASCII cells; \\d and \\s mean more in Python's re, which
    decides the others, so a rule says what it said before on every cell."""
    import re

    from observatory.ingest.parsing import UTC_OFFSET, fullmatch, replace_regex

    cells = ["2024-01", "2024/12", "20٢٤-01", "2024-1", "x2024-01", "2024-01\n", "", None, "a|b"]
    for pattern in (r"20\d{2}[-/]\d{2}", r"[0-9]{4}[/-]?[0-9]{2}", "a|b"):
        expected = [v is not None and re.fullmatch(pattern, v) is not None for v in cells]
        assert fullmatch(pd.Series(cells, dtype=dtype), pattern).tolist() == expected
    times = ["21:35:00+01:00", "21:35Z", "21:35\u00a0+01:00", "21:35 +0100", "٢١:٣٥+01:00", "21:35"]
    expected = [re.sub(UTC_OFFSET, r"\1", v) for v in times]
    assert replace_regex(pd.Series(times, dtype=dtype), UTC_OFFSET, r"\1").tolist() == expected
