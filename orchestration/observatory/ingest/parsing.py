"""Vectorised parsers from extract text to typed values.

Each parser returns the typed Series and a mask of cells that held text but could not be parsed,
so validation can name the exact value that broke the rule. Blank cells parse to null.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from observatory.contracts import GSS_SYMBOLS, Column, normalise_label

DATE_FORMATS = (
    "%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d %b %Y", "%d %B %Y", "%d/%m/%y",
    "%d-%b-%Y",  # SPSS DATE11, as survey suppliers export it: 10-Sep-2024
)  # fmt: skip
MONTH_NAMES = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december",
)  # fmt: skip
# A month ('Mar-23', 'March 2023', 'Sept 23') and a UK financial quarter ('Q4 22/23', 'Q1 2023/24').
MONTH_TEXT = r"^([a-z]{3,9})\.?[\s'/-]*(\d{2}|\d{4})$"
MONTH_PREFIXES = {name[:n]: i for i, name in enumerate(MONTH_NAMES, 1) for n in range(3, len(name) + 1)}
MONTH_PREFIXES["sept"] = 9
QUARTER_TEXT = r"^q([1-4])[\s:-]*(\d{2}|\d{4})\s*[/-]\s*(\d{2}|\d{4})$"
TRUE_WORDS = {"y", "yes", "true", "t", "1"}
FALSE_WORDS = {"n", "no", "false", "f", "0"}


# The values a spreadsheet shows for a formula that failed; a CSV saved from Excel holds them as text.
EXCEL_ERRORS = (
    "#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#GETTING_DATA", "#SPILL!",
    "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!", "#PYTHON!", "#ERROR!",
)  # fmt: skip
_EXCEL_ERROR_FORMS = frozenset(e.casefold() for e in EXCEL_ERRORS)
# LibreOffice shows an error Excel has no name for as Err: and a code (Err:502, invalid argument;
# Err:504, Err:508...), and a CSV saved from it holds that text.
LIBREOFFICE_ERROR = re.compile(r"err:\d{3}", re.IGNORECASE)
# Plain words: publish.data_quality lists rules as 'rule (n); rule (n)'.
EXCEL_ERROR_RULE = "Excel error value: the cell holds a spreadsheet error such as #N/A or #REF!, not a value"


# The readers' cells: Arrow strings, so the rules run in Arrow's compute kernels, not a Python loop
# per cell (``make bench``: validation was 1.7x the read with object columns).
TEXT = pd.StringDtype("pyarrow")


def text_array(text: pd.Series) -> pa.Array | pa.ChunkedArray:
    """The cells as an Arrow string array, null where missing; without a copy for ``TEXT`` columns.
    A non-text cell (a number in a frame built by hand) is its ``str``."""
    if text.dtype == TEXT:
        return pa.array(text)
    try:
        return pa.array(text.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if pd.isna(v) else str(v) for v in text], type=pa.string())


def as_text(text: pd.Series) -> pd.Series:
    """The cells as ``TEXT``, '' where missing: the string methods then run in Arrow."""
    return text.astype(TEXT).fillna("")


def _ascii(cells: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.fill_null(pc.string_is_ascii(cells), True), dtype=bool)


def replace_regex(text: pd.Series, pattern: str, replacement: str) -> pd.Series:
    """``re.sub(pattern, replacement, cell)`` for every cell (of ``as_text``). Arrow's regex (RE2)
    replaces in ASCII cells, where it agrees with Python's ``re`` on these patterns; other cells
    go through ``re``, whose \\d and \\s also match other scripts' digits and spaces. pandas on
    Arrow text does a replacement with a group reference in Python, ten times slower."""
    cells = text_array(as_text(text))
    replaced = pc.replace_substring_regex(cells, pattern, replacement)
    other = ~_ascii(cells)
    if not other.any():
        return text_series(replaced, text.index)
    values = replaced.to_numpy(zero_copy_only=False).astype(object)
    values[other] = [re.sub(pattern, replacement, v) for v in cells.to_numpy(zero_copy_only=False)[other]]
    return pd.Series(values, index=text.index, dtype=TEXT)


def fullmatch(text: pd.Series, pattern: str) -> pd.Series:
    """Cells (of ``as_text``) that ``pattern`` matches whole, as ``re.fullmatch`` decides: by
    Arrow's regex in ASCII cells, by ``re`` in the others (see ``replace_regex``)."""
    cells = text_array(as_text(text))
    matched = np.asarray(pc.fill_null(pc.match_substring_regex(cells, f"^(?:{pattern})$"), False), dtype=bool)
    other = ~_ascii(cells)
    if other.any():
        compiled = re.compile(pattern)
        values = cells.to_numpy(zero_copy_only=False)[other]
        matched[other] = [compiled.fullmatch(v) is not None for v in values]
    return pd.Series(matched, index=text.index)


def blank_cells(cells: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Arrow cells that are empty, null or only spaces (Arrow trims what Python's strip does)."""
    return np.asarray(pc.fill_null(pc.equal(pc.utf8_trim_whitespace(cells), ""), True), dtype=bool)


def blank(text: pd.Series) -> pd.Series:
    """Cells that are empty, null or only spaces."""
    return pd.Series(blank_cells(text_array(text)), index=text.index)


def excel_error(text: pd.Series) -> pd.Series:
    """Cells holding an Excel error value (the XLSX reader gives an error cell its text)."""
    cells = text_array(text)
    # Most cells have no '#' and no 'err:': only those few are compared, in Python.
    maybe = pc.or_(pc.match_substring(cells, "#"), pc.match_substring(cells, "err:", ignore_case=True))
    maybe = np.asarray(pc.fill_null(maybe, False), dtype=bool)
    out = np.zeros(len(text), dtype=bool)
    if maybe.any():
        values = (str(v).strip() for v in text.to_numpy(dtype=object)[maybe])
        out[maybe] = [
            v.casefold() in _EXCEL_ERROR_FORMS or bool(LIBREOFFICE_ERROR.fullmatch(v)) for v in values
        ]
    return pd.Series(out, index=text.index)


# Plain numbers ('1234', '12.50'), cast by Arrow: for these shapes it gives exactly what pandas'
# parser gives (compared on millions of values), in a tenth of the time. Other text goes to pandas.
PLAIN_NUMBER = r"^(\d{1,15}|\d{1,9}\.\d{1,4})$"


def parse_decimal(text: pd.Series) -> pd.Series:
    """Numbers as spreadsheets print them: '£1,234.50', ' 12 ', '(3.00)' for a negative.

    Plain numbers are cast by Arrow (``PLAIN_NUMBER``), other text by pandas' C parser; only the
    cells neither reads (money, thousands separators, brackets, blanks, text) go through the slower
    string clean-up."""
    s = as_text(text)
    cells = text_array(s)
    plain = np.asarray(pc.fill_null(pc.match_substring_regex(cells, PLAIN_NUMBER), False), dtype=bool)
    # numpy arrays, not Series, until the end: a small file's columns made a few dozen pandas calls each.
    values = np.full(len(s), np.nan)
    if plain.any():
        values[plain] = pc.cast(pc.filter(cells, pa.array(plain)), pa.float64()).to_numpy()
    if not plain.all():
        values[~plain] = pd.to_numeric(s[~plain], errors="coerce").astype("float64").to_numpy()
    # 'nan'/'inf' written as text are not numbers a council meant: send them to the clean-up too.
    # A blank cell is null either way, and optional columns are mostly blank.
    todo = ~np.isfinite(values) & ~blank_cells(cells)
    if todo.any():
        rest = s[todo].astype(object).str.strip()  # few cells; Python's regex, which knows Unicode spaces
        negative = (rest.str.startswith("(") & rest.str.endswith(")")).to_numpy(dtype=bool)
        cleaned = rest.str.replace(r"[£,\s()]", "", regex=True)
        cleaned = cleaned.where(~cleaned.str.lower().isin(["nan", "inf", "-inf", "+inf", "infinity"]), "x")
        fixed = pd.to_numeric(cleaned.where(cleaned != ""), errors="coerce").astype("float64").to_numpy()
        values[todo] = np.where(negative, -fixed, fixed)
    return pd.Series(values, index=s.index)


# The forms nearly every extract uses (the first of DATE_FORMATS or TIMESTAMP_FORMATS to match
# them), as (format, the text's exact shape, where its day starts): parsed by Arrow in one pass,
# some 40x faster than pandas' parser, before the loop over every format. Arrow rolls an impossible
# date over (31/02/2024 is 2 March), so a value counts only if its day is the day written.
COMMON_DATE_FORMS = (("%Y-%m-%d", r"^\d{4}-\d{2}-\d{2}$", 8), ("%d/%m/%Y", r"^\d{2}/\d{2}/\d{4}$", 0))
COMMON_TIMESTAMP_FORMS = (("%Y-%m-%dT%H:%M:%S", r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$", 8),)
# datetime64[ns] holds 1677-09-21 to 2262-04-11: the rest is left to pandas (which gives NaT).
_NS_YEARS = (1678, 2261)


def _common_forms(text: pd.Series, forms: tuple[tuple[str, str, int], ...]) -> np.ndarray:
    """``text`` (stripped ``TEXT``) parsed where it has one of ``forms``; NaT elsewhere."""
    cells = text_array(text)
    out = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[ns]")
    for fmt, shape, day_at in forms:
        shaped = pc.fill_null(pc.match_substring_regex(cells, shape), False)
        if not pc.any(shaped).as_py():
            continue
        shaped_cells = pc.if_else(shaped, cells, "01/01/2000")  # the day's slice casts only where shaped
        parsed = pc.strptime(cells, format=fmt, unit="s", error_is_null=True)
        day = pc.cast(pc.utf8_slice_codeunits(shaped_cells, day_at, day_at + 2), pa.int64())
        year = pc.year(parsed)
        ok = pc.and_(pc.and_(shaped, pc.equal(pc.day(parsed), day)), pc.greater_equal(year, _NS_YEARS[0]))
        ok = np.asarray(pc.fill_null(pc.and_(ok, pc.less_equal(year, _NS_YEARS[1])), False), dtype=bool)
        ok &= np.isnat(out)
        out[ok] = np.asarray(parsed.to_numpy(zero_copy_only=False)).astype("datetime64[ns]")[ok]
    return out


def _by_formats(text: pd.Series, out: np.ndarray, formats: tuple[str, ...]) -> tuple[np.ndarray, pd.Series]:
    """Fill ``out`` where it is NaT and ``text`` is not empty with the first of ``formats`` that
    reads the cell; return the positions none read and their text. Only those cells are parsed
    again, as objects (a pandas call on Arrow text costs more, and a small file makes hundreds)."""
    left = np.flatnonzero(np.isnat(out) & (text != "").to_numpy(dtype=bool))
    values = text.to_numpy(dtype=object)[left]
    # Every format starts with a number (%d or %Y): a cell led by a letter ('Mar-23', 'On-going')
    # matches none, and an action plan's date columns hold little else.
    tried = np.array([not v[:1].isalpha() for v in values], dtype=bool)
    todo, todo_values = left[tried], values[tried]
    for fmt in formats:
        if not todo.size:
            break
        parsed = pd.to_datetime(pd.Series(todo_values, dtype=object), format=fmt, errors="coerce").to_numpy()
        hit = ~np.isnat(parsed)
        out[todo[hit]] = parsed[hit]
        todo, todo_values = todo[~hit], todo_values[~hit]
    unread = np.isnat(out[left])
    return left[unread], pd.Series(values[unread], dtype=object)


def parse_date(text: pd.Series, month_or_quarter: str | None = None) -> pd.Series:
    """Dates in the formats councils write; with ``month_or_quarter`` ('start' or 'end') a month or
    a UK financial quarter too, as its first or last day."""
    s = replace_regex(as_text(text).str.strip(), r"[T ]00:00:00$", "")
    out = _common_forms(s, COMMON_DATE_FORMS)
    left, rest = _by_formats(s, out, DATE_FORMATS)
    if month_or_quarter and left.size:
        out[left] = _month_or_quarter(rest, end=month_or_quarter == "end").to_numpy()
    return pd.Series(out, index=text.index)


TIMESTAMP_FORMATS = (
    "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S.%f", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M",
)  # fmt: skip
# A UTC offset after a time of day ('21:35:00+01:00', '21:35Z'): group 1 is the time it follows.
UTC_OFFSET = r"(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(?:Z|[+-]\d{2}:?\d{2})$"


def parse_timestamp(text: pd.Series) -> pd.Series:
    """Date-times as systems export them ('2024-06-14T21:35:00+01:00', '14/06/2024 21:35') as the
    local clock time written: a UTC offset is read and dropped, so a record stays on the day and
    hour it gives (British Summer Time is not shifted to UTC). A date alone is its midnight."""
    s = replace_regex(as_text(text).str.strip(), UTC_OFFSET, r"\1")
    out = _common_forms(s, COMMON_TIMESTAMP_FORMS)
    left, rest = _by_formats(s, out, TIMESTAMP_FORMATS)
    if left.size:
        out[left] = parse_date(rest).to_numpy()
    return pd.Series(out, index=text.index)


def _full_year(digits: str) -> int:
    year = int(digits)
    return year if year >= 100 else 2000 + year


def _month_or_quarter(text: pd.Series, *, end: bool) -> pd.Series:
    """'Mar-23' -> 2023-03-01 (start) or 2023-03-31 (end); 'Q4 22/23' (January-March 2023: UK
    financial quarters start in April) -> 2023-01-01 or 2023-03-31. Anything else, or a day
    datetime64[ns] cannot hold ('Mar-2500'), -> NaT. Worked out once per distinct text."""
    days = {value: _period_day(value, end=end) for value in pd.unique(text)}
    return pd.Series([days[value] for value in text], index=text.index, dtype="datetime64[ns]")


def _period_day(value: str, *, end: bool) -> pd.Timestamp:
    low = value.lower().strip()
    first, span = None, 1  # months since year 0 of the period's first month, and how many it spans
    if (month := re.search(MONTH_TEXT, low)) and month[1] in MONTH_PREFIXES:
        first = _full_year(month[2]) * 12 + MONTH_PREFIXES[month[1]] - 1
    quarter = re.search(QUARTER_TEXT, low)
    if quarter and _full_year(quarter[3]) == _full_year(quarter[2]) + 1:
        first, span = _full_year(quarter[2]) * 12 + 3 * int(quarter[1]), 3
    if first is None:
        return pd.NaT
    year, month_0 = divmod(first + span - 1 if end else first, 12)
    if not 1 <= year <= 9999:
        return pd.NaT
    day = pd.Timestamp(year, month_0 + 1, 1)
    day = day + pd.offsets.MonthEnd(0) if end else day
    return day if pd.Timestamp.min <= day <= pd.Timestamp.max else pd.NaT  # datetime64[ns]'s range


def parse_boolean(text: pd.Series) -> pd.Series:
    s = as_text(text).str.strip().str.lower()
    out = pd.Series(pd.NA, index=s.index, dtype="boolean")
    out[s.isin(TRUE_WORDS)] = True
    out[s.isin(FALSE_WORDS)] = False
    return out


def map_distinct(text: pd.Series, function: Callable[[str], str | None]) -> pa.Array | pa.ChunkedArray:
    """``function`` of each cell (as ``as_text``), called once per distinct value: a 40,000-row
    file holds a handful of spellings, or one value a pupil. An Arrow string array."""
    cells = text_array(as_text(text))
    distinct = pc.unique(cells)
    results = pa.array([function(v) for v in distinct.to_pylist()], type=pa.string())
    return pc.take(results, pc.index_in(cells, value_set=distinct))


def text_series(cells: pa.Array | pa.ChunkedArray, index: pd.Index) -> pd.Series:
    """Arrow strings as a ``TEXT`` Series, without a copy."""
    return pd.Series(
        pd.arrays.ArrowStringArray(pa.chunked_array([cells]) if isinstance(cells, pa.Array) else cells),
        index=index,
    )


def parse_category(text: pd.Series, column: Column) -> pd.Series:
    lookup = column.value_lookup()
    canonical = map_distinct(text, lambda v: lookup.get(normalise_label(v)))
    return pd.Series(canonical.to_numpy(zero_copy_only=False), index=text.index, dtype=object)


def parse_integer(text: pd.Series) -> pd.Series:
    values = parse_decimal(text).to_numpy()
    return pd.Series(np.where(values == np.round(values), values, np.nan), index=text.index)


def gss_symbol(text: pd.Series) -> pd.Series:
    """The GSS symbol a cell holds ('c', '[c]', ' LOW ' -> 'c', 'c', 'low'), else null."""
    s = as_text(text).str.strip().str.strip("[]").str.strip().str.lower()
    return s.where(s.isin(list(GSS_SYMBOLS)))


def parse_column(text: pd.Series, column: Column) -> pd.Series:
    """Typed values; null where blank or unparseable (see ``unparseable``)."""
    match column.type:
        case "decimal" | "statistic":
            return parse_decimal(text)
        case "integer":
            return parse_integer(text)
        case "date":
            return parse_date(text, column.month_or_quarter)
        case "timestamp":
            return parse_timestamp(text)
        case "boolean":
            return parse_boolean(text)
        case "category":
            return parse_category(text, column)
        case _:
            return as_text(text).str.strip().where(~blank(text))


def unparseable(
    text: pd.Series, typed: pd.Series, column: Column | None = None, errors: pd.Series | None = None
) -> pd.Series:
    """Cells holding text that does not parse; an Excel error value (``errors``, found if not
    given) breaks its own rule instead."""
    bad = ~blank(text) & typed.isna() & ~(excel_error(text) if errors is None else errors)
    if column is not None and column.type == "statistic":
        bad &= gss_symbol(text).isna()
    if column is not None and column.has_note:
        bad &= parse_category(text, column).isna()  # a word the date column accepts ('On-going')
    return bad


def type_rule(column: Column) -> str | None:
    """The type rule a quarantined value broke, in words a data owner can act on."""
    if column.type != "date" or not (column.month_or_quarter or column.has_note):
        return TYPE_RULES.get(column.type)
    forms = ["a date (dd/mm/yyyy or yyyy-mm-dd)"]
    if column.month_or_quarter:
        forms += ["a month (Mar-23)", "a financial quarter (Q4 22/23)"]
    forms += list(column.values)
    return f"must be {', '.join(forms[:-1])} or {forms[-1]}"


def typed_outputs(text: pd.Series, column: Column, values: pd.Series | None = None) -> dict[str, pd.Series]:
    """The raw-table columns one contract column loads as (see ``Column.outputs``); ``values``: the
    text already parsed (validation parses every column once)."""
    values = parse_column(text, column) if values is None else values
    if column.default is not None:
        values = values.fillna(column.default)
    if column.keep_month_as:
        return {column.keep_month_as: values.dt.to_period("M").dt.to_timestamp()}
    if column.type == "statistic":
        symbol = gss_symbol(text).astype(object)
        return {column.name: values, f"{column.name}_symbol": symbol.where(symbol.notna(), None)}
    if column.has_note:
        note = parse_category(text, column)
        return {column.name: values, f"{column.name}_note": note.where(note.notna(), None)}
    return {column.name: values}


def month_only(text: pd.Series) -> pd.Series:
    """Reduce date text to its month ('14/05/2012' -> '2012-05-01') before validation, so an exact
    date of birth is never held, even in the quarantine table. Unparseable text is replaced too;
    an Excel error value (no one's data) is kept, so it is quarantined as one."""
    dates = parse_date(text)
    month = pc.strftime(pa.array(dates), format="%Y-%m-01")
    kept = pa.array(blank(text) | excel_error(text))
    otherwise = pc.if_else(kept, text_array(as_text(text)), "(unparseable date withheld)")
    return text_series(pc.coalesce(month, otherwise), text.index)


TYPE_RULES = {
    "decimal": "must be a number (e.g. 1234.50 or £1,234.50)",
    "statistic": f"must be a number or a GSS symbol ({', '.join(GSS_SYMBOLS)})",
    "integer": "must be a whole number",
    "date": "must be a date (dd/mm/yyyy or yyyy-mm-dd)",
    "timestamp": "must be a date and time (yyyy-mm-ddThh:mm:ss, optionally +01:00, or dd/mm/yyyy hh:mm)",
    "boolean": "must be Y or N",
}
