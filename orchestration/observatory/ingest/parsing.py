"""Vectorised parsers from extract text to typed values.

Each parser returns the typed Series and a mask of cells that held text but could not be parsed,
so validation can name the exact value that broke the rule. Blank cells parse to null.
"""

from __future__ import annotations

import pandas as pd

from observatory.contracts import GSS_SYMBOLS, Column, normalise_label

DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d %b %Y", "%d %B %Y", "%d/%m/%y")
TRUE_WORDS = {"y", "yes", "true", "t", "1"}
FALSE_WORDS = {"n", "no", "false", "f", "0"}


def blank(text: pd.Series) -> pd.Series:
    return text.fillna("").astype(str).str.strip() == ""


def parse_decimal(text: pd.Series) -> pd.Series:
    """Numbers as spreadsheets print them: '£1,234.50', ' 12 ', '(3.00)' for a negative."""
    s = text.fillna("").astype(str).str.strip()
    negative = s.str.startswith("(") & s.str.endswith(")")
    cleaned = s.str.replace(r"[£,\s()]", "", regex=True)
    values = pd.to_numeric(cleaned.where(cleaned != ""), errors="coerce")
    return values.where(~negative, -values)


def parse_date(text: pd.Series) -> pd.Series:
    s = text.fillna("").astype(str).str.strip().str.replace(r"[T ]00:00:00$", "", regex=True)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    for fmt in DATE_FORMATS:
        todo = out.isna() & (s != "")
        if not todo.any():
            break
        out[todo] = pd.to_datetime(s[todo], format=fmt, errors="coerce")
    return out


def parse_boolean(text: pd.Series) -> pd.Series:
    s = text.fillna("").astype(str).str.strip().str.lower()
    out = pd.Series(pd.NA, index=s.index, dtype="boolean")
    out[s.isin(TRUE_WORDS)] = True
    out[s.isin(FALSE_WORDS)] = False
    return out


def parse_category(text: pd.Series, column: Column) -> pd.Series:
    lookup = column.value_lookup()
    forms = text.fillna("").astype(str).map(normalise_label)
    return forms.map(lookup).astype(object)


def parse_integer(text: pd.Series) -> pd.Series:
    values = parse_decimal(text)
    return values.where(values.isna() | (values == values.round()))


def gss_symbol(text: pd.Series) -> pd.Series:
    """The GSS symbol a cell holds ('c', '[c]', ' LOW ' -> 'c', 'c', 'low'), else null."""
    s = text.fillna("").astype(str).str.strip().str.strip("[]").str.strip().str.lower()
    return s.where(s.isin(list(GSS_SYMBOLS)))


def parse_column(text: pd.Series, column: Column) -> pd.Series:
    """Typed values; null where blank or unparseable (see ``unparseable``)."""
    match column.type:
        case "decimal" | "statistic":
            return parse_decimal(text)
        case "integer":
            return parse_integer(text)
        case "date":
            return parse_date(text)
        case "boolean":
            return parse_boolean(text)
        case "category":
            return parse_category(text, column)
        case _:
            return text.fillna("").astype(str).str.strip().where(~blank(text))


def unparseable(text: pd.Series, typed: pd.Series, column: Column | None = None) -> pd.Series:
    bad = ~blank(text) & typed.isna()
    if column is not None and column.type == "statistic":
        bad &= gss_symbol(text).isna()
    return bad


def typed_outputs(text: pd.Series, column: Column) -> dict[str, pd.Series]:
    """The raw-table columns one contract column loads as (see ``Column.outputs``)."""
    values = parse_column(text, column)
    if column.default is not None:
        values = values.fillna(column.default)
    if column.keep_month_as:
        return {column.keep_month_as: values.dt.to_period("M").dt.to_timestamp()}
    if column.type == "statistic":
        symbol = gss_symbol(text).astype(object)
        return {column.name: values, f"{column.name}_symbol": symbol.where(symbol.notna(), None)}
    return {column.name: values}


def month_only(text: pd.Series) -> pd.Series:
    """Reduce date text to its month ('14/05/2012' -> '2012-05-01') before validation, so an exact
    date of birth is never held, even in the quarantine table. Unparseable text is replaced too."""
    dates = parse_date(text)
    month = dates.dt.to_period("M").dt.to_timestamp().dt.strftime("%Y-%m-%d")
    return month.where(dates.notna(), text.where(blank(text), "(unparseable date withheld)"))


TYPE_RULES = {
    "decimal": "must be a number (e.g. 1234.50 or £1,234.50)",
    "statistic": f"must be a number or a GSS symbol ({', '.join(GSS_SYMBOLS)})",
    "integer": "must be a whole number",
    "date": "must be a date (dd/mm/yyyy or yyyy-mm-dd)",
    "boolean": "must be Y or N",
}
