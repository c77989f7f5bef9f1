"""Validate an extract against its contract with pandera; split valid rows from quarantined ones.

The pandera schema is derived from the contract (never written by hand) and runs over the text
frame, so every failure names the file's own value. Rows that break a rule are quarantined with the
rule; the rest are typed and loaded. rows in = rows loaded + rows quarantined, always.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from operator import gt, lt

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from observatory.contracts import Column, Contract
from observatory.ingest.parsing import (
    EXCEL_ERROR_RULE,
    as_text,
    blank,
    excel_error,
    fullmatch,
    parse_column,
    type_rule,
    typed_outputs,
    unparseable,
)
from observatory.ingest.readers import ROW_COLUMN, RawExtract

QUARANTINE_COLUMNS = ["source_row", "column_name", "value", "rule"]


Parser = Callable[[pd.Series, Column], pd.Series]


def _once(compute: Parser) -> Parser:
    """``compute`` for each column once per validation, however many rules ask for it: the type,
    allowed-value and range checks and the load all need the typed values (parsing dominates
    validation time), and several rules let an Excel error pass. Keyed by column, so one per frame."""
    cache: dict[str, pd.Series] = {}

    def once(text: pd.Series, column: Column) -> pd.Series:
        if column.name not in cache:
            cache[column.name] = compute(text, column)
        return cache[column.name]

    return once


def _parse_once() -> Parser:
    return _once(parse_column)


def _errors_once() -> Parser:
    return _once(lambda text, _column: excel_error(text))


def _checks(column: Column, parsed: Parser, errors: Parser) -> list[pa.Check]:
    # An Excel error (#N/A, #REF!) breaks its own rule (``_excel_error_failures``) and no other.
    checks: list[pa.Check] = []
    if column.required and not column.allow_blank:
        checks.append(pa.Check(lambda s: ~blank(s), name="required: must not be blank"))
    if rule := type_rule(column):
        checks.append(
            pa.Check(lambda s, c=column: ~unparseable(s, parsed(s, c), c, errors(s, c)), name=f"type: {rule}")
        )
    if column.type == "category":
        allowed = ", ".join(column.values)
        checks.append(
            pa.Check(
                lambda s, c=column: blank(s) | parsed(s, c).notna() | errors(s, c),
                name=f"allowed values: one of {allowed}",
            )
        )
    if column.pattern is not None:
        checks.append(
            pa.Check(
                lambda s, c=column: blank(s) | fullmatch(as_text(s).str.strip(), c.pattern) | errors(s, c),
                name=f"format: must match {column.pattern}",
            )
        )
    if column.min is not None:
        checks.append(
            pa.Check(
                lambda s, c=column: ~(parsed(s, c) < c.min).fillna(False),
                name=f"range: must be at least {column.min:g}",
            )
        )
    if column.exclusive_min is not None:
        checks.append(
            pa.Check(
                lambda s, c=column: ~(parsed(s, c) <= c.exclusive_min).fillna(False),
                name=f"range: must be more than {column.exclusive_min:g}",
            )
        )
    if column.max is not None:
        checks.append(
            pa.Check(
                lambda s, c=column: ~(parsed(s, c) > c.max).fillna(False),
                name=f"range: must be at most {column.max:g}",
            )
        )
    return checks


def pandera_schema(
    contract: Contract, parsed: Parser | None = None, errors: Parser | None = None
) -> pa.DataFrameSchema:
    """The contract as a pandera schema over the text frame a reader returns. Pass one
    ``_parse_once()`` and one ``_errors_once()`` per frame validated (their caches are keyed by
    column, not by frame)."""
    parsed = parsed or parse_column
    errors = errors or (lambda text, _column: excel_error(text))
    columns = {
        # No dtype: the cells are text (object or Arrow strings), and pandera's dtype check on Arrow
        # strings tries every cell in Python.
        c.name: pa.Column(None, checks=_checks(c, parsed, errors), nullable=True, required=False)
        for c in contract.columns
    }
    return pa.DataFrameSchema(columns, name=contract.name, strict=False)


@dataclass
class Validated:
    loaded: pd.DataFrame  # typed, canonical loaded columns + ROW_COLUMN
    quarantine: pd.DataFrame  # one row per (row, rule broken), QUARANTINE_COLUMNS
    rows_in: int
    rows_quarantined: int
    rule_counts: dict[str, int] = field(default_factory=dict)

    @property
    def rows_loaded(self) -> int:
        return len(self.loaded)


def _failures(
    contract: Contract, frame: pd.DataFrame, parsed: Parser, errors: Parser, part: np.ndarray
) -> pd.DataFrame:
    """Failure cases as (index, column_name, value, rule). Values go through object before str:
    pandas' str of an Arrow string that is a NUL character alone is '', and the quarantine shows the cell.
    ``part``: the extract each row is from (``validate_together``); a key repeats only within one."""
    try:
        pandera_schema(contract, parsed, errors).validate(frame, lazy=True)
        failures = pd.DataFrame(columns=["index", "column_name", "value", "rule"])
    except SchemaErrors as err:
        fc = err.failure_cases
        failures = pd.DataFrame(
            {
                "index": fc["index"],
                "column_name": fc["column"],
                "value": fc["failure_case"].astype(object).astype(str),
                "rule": fc["check"].astype(str),
            }
        )
    if contract.unique_key:
        key_cols = list(contract.unique_key)
        keys = _key_values(contract, frame, key_cols, parsed)
        dup = keys.assign(**{"(extract)": part}).duplicated(keep="first")
        # A key holding an Excel error is quarantined for that: '#N/A' twice is no duplicate.
        dup &= ~pd.concat([errors(frame[k], contract.column(k)) for k in key_cols], axis=1).any(axis=1)
        if dup.any():
            key = ", ".join(key_cols)
            dups = pd.DataFrame(
                {
                    "index": frame.index[dup],
                    "column_name": key,
                    "value": [
                        " | ".join(map(str, v)) for v in frame.loc[dup, key_cols].itertuples(index=False)
                    ],
                    "rule": f"unique: a second row for the same {key}",
                }
            )
            failures = pd.concat([failures, dups], ignore_index=True)
    failures = pd.concat(
        [
            failures,
            *_excel_error_failures(contract, frame, errors),
            *_cross_column_failures(contract, frame, parsed),
        ],
        ignore_index=True,
    )
    return failures.dropna(subset=["index"])


def _key_values(contract: Contract, frame: pd.DataFrame, key_cols: list[str], parsed: Parser) -> pd.DataFrame:
    """The unique key as values, not spellings: 'FIXD' and 'Suspension', or '01/04/2024' and
    '2024-04-01', are the same key. A cell that does not parse is its trimmed text (a column of
    its own, so a value never equals a spelling)."""
    values = {}
    for name in key_cols:
        text = as_text(frame[name]).str.strip()
        column = contract.column(name)
        typed = parsed(frame[name], column) if column.type != "string" else text
        values[name] = typed
        values[f"{name} as written"] = text.where(typed.isna(), "")
    return pd.DataFrame(values, index=frame.index)


def _excel_error_failures(contract: Contract, frame: pd.DataFrame, errors: Parser) -> list[pd.DataFrame]:
    """Cells holding an Excel error (#N/A, #REF!), in any column, whether or not it may be blank: the
    cell lost its value in the spreadsheet. Found outside pandera, whose failure reports cost ~30 ms
    a column, and every column may hold one."""
    out = []
    for c in contract.columns:
        if c.name in frame.columns and (bad := errors(frame[c.name], c)).any():
            out.append(
                pd.DataFrame(
                    {
                        "index": frame.index[bad],
                        "column_name": c.name,
                        "value": frame.loc[bad, c.name].astype(object).astype(str),
                        "rule": EXCEL_ERROR_RULE,
                    }
                )
            )
    return out


def _cross_column_failures(contract: Contract, frame: pd.DataFrame, parsed: Parser) -> list[pd.DataFrame]:
    """Rows where a column exceeds its ``max_column`` or falls below its ``min_column`` (both
    numbers; a blank or unparseable side is left to the other rules)."""
    out = []

    def values(name: str) -> pd.Series:
        return parsed(frame[name], contract.column(name))

    for c in contract.columns:
        for other, beyond, words in ((c.max_column, gt, "at most"), (c.min_column, lt, "at least")):
            if other is None:
                continue
            bad = beyond(values(c.name), values(other)).fillna(False).astype(bool)
            if bad.any():
                out.append(
                    pd.DataFrame(
                        {
                            "index": frame.index[bad],
                            "column_name": c.name,
                            "value": frame.loc[bad, c.name].astype(object).astype(str),
                            "rule": f"range: must be {words} {other}",
                        }
                    )
                )
    return out


def validate(contract: Contract, extract: RawExtract) -> Validated:
    return validate_together(contract, [extract])[0]


def validate_together(contract: Contract, extracts: list[RawExtract]) -> list[Validated]:
    """Each extract validated as if alone, in one pass over all their rows: every rule is a cell's
    or a row's own, and a unique key repeats only within an extract. A pass has a fixed cost (some
    50 ms: pandera's and pandas' calls per column and rule) that dwarfs a small file's rows, and a
    source may send hundreds of small files (``make bench``: 20 population files 1,415 ms one at a
    time, 113 ms together)."""
    if not extracts:
        return []
    frame = pd.concat([e.frame for e in extracts], ignore_index=True)
    part = np.repeat(np.arange(len(extracts)), [len(e.frame) for e in extracts])
    parsed, errors = _parse_once(), _errors_once()
    failures = _failures(contract, frame, parsed, errors, part)
    failures["index"] = failures["index"].astype(int)
    failures["source_row"] = frame.loc[failures["index"], ROW_COLUMN].to_numpy()
    failures["part"] = part[failures["index"].to_numpy()]

    good = frame.drop(index=failures["index"].unique())
    typed = pd.DataFrame(index=good.index)
    for c in contract.loaded_columns:
        once = parsed(frame[c.name], c).loc[good.index]  # parsed already, for the rules
        for name, values in typed_outputs(good[c.name], c, once).items():
            typed[name] = values
    typed[ROW_COLUMN] = good[ROW_COLUMN].astype("int64")

    # The frame is the extracts one after another, so each one's rows are a slice of it.
    ends = np.searchsorted(part[good.index.to_numpy()], np.arange(len(extracts)), side="right")
    starts = np.concatenate([[0], ends[:-1]])
    by_part = dict(tuple(failures.groupby("part")))
    return [
        _validated(extract, by_part.get(i, failures.iloc[:0]), typed.iloc[start:end])
        for i, (extract, start, end) in enumerate(zip(extracts, starts, ends, strict=True))
    ]


def _validated(extract: RawExtract, failures: pd.DataFrame, typed: pd.DataFrame) -> Validated:
    """One extract's result from its rule failures and its typed good rows."""
    malformed = pd.DataFrame(
        [
            (row, column, value, f"malformed row: {problem}")
            for row, problem, column, value in extract.malformed_rows
        ],
        columns=QUARANTINE_COLUMNS,
    )
    quarantine = pd.concat([failures[QUARANTINE_COLUMNS], malformed], ignore_index=True)
    quarantine = quarantine.sort_values(["source_row", "column_name", "rule"], kind="stable")
    quarantine = quarantine.reset_index(drop=True)

    # A record is a row of the frame (one line, or one cell of a melted wide line) or a malformed line.
    rows_in = len(extract.frame) + len(extract.malformed_rows)
    bad = failures["index"].nunique() + len(extract.malformed_rows)
    by_rule = pd.concat(
        [
            failures[["rule", "index"]],
            pd.DataFrame({"rule": malformed["rule"], "index": -1 - malformed.index}),
        ]
    )
    rule_counts = by_rule.groupby("rule")["index"].nunique().sort_index().astype(int).to_dict()
    result = Validated(typed.reset_index(drop=True), quarantine, rows_in, bad, rule_counts)
    if result.rows_loaded + result.rows_quarantined != rows_in:
        raise AssertionError(
            f"{extract.file.name}: rows in {rows_in} != loaded {result.rows_loaded}"
            f" + quarantined {result.rows_quarantined}"
        )
    return result
