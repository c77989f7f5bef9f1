"""The bad-input corpus as a property (issue 9, item 1): random corruptions of valid extracts.

For every data contract and every format the demo writes it in (CSV, XLSX), a small valid extract is
cut from a generated demo file, then hypothesis corrupts it: cells set to Excel error values, formulas,
CSV-injection text, huge and negative numbers, control characters and random text; rows truncated,
duplicated or given stray cells; columns swapped, dropped, duplicated or renamed; the file re-encoded
(cp1252, latin-1, UTF-16, UTF-32, a BOM), re-delimited, cut short or overwritten with random bytes.

The property is the one a council relies on every night: loading the file either succeeds with
rows in = rows loaded + rows quarantined (in the result, the load log and the warehouse), each
quarantined row naming its file, row, column, value and rule; or fails with ``ExtractError`` whose
message names the file (the ingest asset reports those and carries on). Never any other exception.

Profiles: ``ci`` (the default; bounded and derandomised, so ``make test`` is reproducible) and
``fuzz`` (``HYPOTHESIS_PROFILE=fuzz``, 2,000 examples per extract; ``make fuzz``).
"""

from __future__ import annotations

import csv
import io
import os
import warnings
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from conftest import use_data_dir
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from observatory.contracts import get_contract, load_contracts
from observatory.demo import generate, sources
from observatory.ingest.load import load_file
from observatory.ingest.parsing import EXCEL_ERROR_RULE
from observatory.ingest.readers import ExtractError, decode, read_extract, sniff_delimiter
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

settings.register_profile(
    "ci",
    max_examples=int(os.environ.get("FUZZ_MAX_EXAMPLES", "12")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "fuzz",
    max_examples=int(os.environ.get("FUZZ_MAX_EXAMPLES", "2000")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
# For a test whose explicit examples already cover it in make test: random examples only when fuzzing.
PHASES_BEYOND_CI = (Phase.explicit,) if os.environ.get("HYPOTHESIS_PROFILE", "ci") == "ci" else PROFILE.phases

DATA_ROWS = 15  # data rows kept from each generated extract: 3 bad rows stay under the 20% limit
AUTHORITY = "X09000001"

# --- the corruptions ------------------------------------------------------------------------------

EXCEL_ERRORS = ["#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NAME?", "#NULL!", "#NUM!", "#GETTING_DATA"]
INJECTION = [
    '=HYPERLINK("http://x","y")',
    "=1+1",
    "+cmd",
    "-cmd|' /C calc'!A0",
    "@SUM(A1:A2)",
    "=cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]
NUMBERS = [
    "-1",
    "-0",
    "-99999999999",
    "99999999999999999999",
    "9" * 400,
    "1e20",
    "-1e20",
    "1e308",
    "1e309",
    "-1e309",
    "1.7976931348623157e308",
    "nan",
    "NaN",
    "inf",
    "-Infinity",
    "0x1F",
    "(3.00)",
    "£-1,000",
    "1,2,3",
    "١٢٣",
    "½",
]
DATES = [
    "31/02/2024",
    "00/00/0000",
    "9999-12-31",
    "0001-01-01",
    "29/02/2023",
    "31/12/1899",
    "1/1/1",
    "Q5 22/23",
]
ODD_TEXT = [
    "",
    " ",
    "Total",
    "Grand total",
    "NULL",
    "None",
    "N/A",
    "c",
    "[low]",
    "\x00",
    "\x1b[31m",
    "\x07\x08\x0b\x0c",
    "\ufeff",
    "\u202e",
    "\ud7ff",
    "a" * 5000,
    '"',
    '""',
    "a\r\nb",
    "\n",
    "a,b",
    "a;b",
    "a\tb",
    "a|b",
    "Ωé≈ç√–’",
]
NASTY = EXCEL_ERRORS + INJECTION + NUMBERS + DATES + ODD_TEXT

values = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=30),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
)
index = st.integers(min_value=0, max_value=10_000)  # applied modulo the rows or columns there are

row_ops = st.one_of(
    st.tuples(st.just("cell"), index, index, values),
    st.tuples(st.just("trim_row"), index, st.integers(1, 5)),
    st.tuples(st.just("stray_cell"), index, values),
    st.tuples(st.just("cut_rows"), index),
    st.tuples(st.just("dup_row"), index),
    st.tuples(st.just("blank_row"), index),
    st.tuples(st.just("total_row"), index),
)
column_ops = st.one_of(
    st.tuples(st.just("swap_columns"), index, index),
    st.tuples(st.just("swap_headers"), index, index),
    st.tuples(st.just("drop_column"), index),
    st.tuples(st.just("dup_column"), index),
    st.tuples(st.just("header"), index, values),
)
byte_ops = st.one_of(
    st.tuples(st.just("truncate"), index),
    st.tuples(st.just("insert"), index, st.binary(min_size=1, max_size=16)),
    st.tuples(st.just("overwrite"), index, st.binary(min_size=1, max_size=16)),
    st.tuples(
        st.just("prefix"), st.sampled_from([b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x00", b"PK"])
    ),
)
operations = st.lists(st.one_of(row_ops, row_ops, column_ops), max_size=4)
encodings = st.sampled_from(
    ["as-is", "utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16", "utf-16-le", "utf-32", "ascii"]
)
delimiters = st.sampled_from(["as-is", ",", ";", "\t", "|"])
newlines = st.sampled_from(["\r\n", "\n", "\r"])


# --- valid extracts cut from the demo -------------------------------------------------------------


@dataclass(frozen=True)
class Seed:
    """A small valid extract: the title rows, the header and DATA_ROWS rows of a demo file."""

    source: str
    name: str
    rows: tuple[tuple[object, ...], ...]
    header: int  # index of the header row in rows
    encoding: str = ""  # CSV only: as the demo wrote it
    delimiter: str = ""

    @property
    def suffix(self) -> str:
        return Path(self.name).suffix.lower()


def _cut(source: str, file: Path) -> Seed:
    contract = get_contract(source)
    header = read_extract(file, contract).header_row - 1
    keep = header + 1 + DATA_ROWS
    if file.suffix.lower() == ".xlsx":
        sheet = load_workbook(file, read_only=True).worksheets[0]
        rows = tuple(tuple(r) for r in sheet.iter_rows(max_row=keep, values_only=True))
        return Seed(source, file.name, rows, header)
    text, encoding = decode(file.read_bytes())
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = tuple(tuple(r) for _, r in zip(range(keep), reader, strict=False))
    return Seed(source, file.name, rows, header, encoding, delimiter)


@pytest.fixture(scope="module")
def seeds(tmp_path_factory) -> dict[str, Seed]:
    """One seed per (source, format) the demo writes: two years give both payroll's and the survey's
    CSV and XLSX shapes. Generating the borough takes ~8 s."""
    inbox = tmp_path_factory.mktemp("fuzz_inbox")
    generate(inbox, years=2)
    out = {}
    for source in sources():
        files = sorted((inbox / source).iterdir())
        for suffix in sorted({f.suffix.lower() for f in files}):
            out[f"{source}{suffix}"] = _cut(source, next(f for f in files if f.suffix.lower() == suffix))
    return out


SEEDS = [
    f"{s}{x}"
    for s, formats in {
        "action_plan": [".xlsx"],
        "benchmarks_ees": [".csv"],
        "child_protection": [".csv"],
        "cla": [".csv"],
        "exclusions": [".csv"],
        "eyfsp": [".xlsx"],
        "fingertips": [".csv"],
        "hr_casework": [".xlsx"],
        "hr_leavers": [".xlsx"],
        "hr_payroll": [".csv", ".xlsx"],
        "hr_recruitment": [".csv"],
        "hr_training": [".csv"],
        "ks4": [".csv"],
        "population": [".xlsx"],
        "population_census": [".csv"],
        "resident_survey": [".csv", ".xlsx"],
        "school_census": [".csv"],
        "stop_search": [".csv"],
        "youth_justice": [".csv"],
    }.items()
    for x in formats
]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """The demo data directory every example loads in (hypothesis runs many examples per test, so
    this is module-scoped rather than the function-scoped ``data_dir``)."""
    root = tmp_path_factory.mktemp("fuzz")
    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the public demo key's warning
        use_data_dir(mp, root / "data", authority=AUTHORITY, key=None, demo=True)
        yield root


# --- applying corruptions -------------------------------------------------------------------------


def _corrupt_rows(seed: Seed, ops) -> list[list[object]]:
    rows = [list(r) for r in seed.rows]
    head = seed.header
    width = len(rows[head])
    for op in ops:
        data = len(rows) - head - 1
        kind, *args = op
        if kind in {"cell", "trim_row", "stray_cell", "dup_row", "blank_row", "total_row"} and data < 1:
            continue
        if kind == "cell":
            r, c, value = args
            row = rows[head + 1 + r % data]
            row.extend([""] * (c % width + 1 - len(row)))
            row[c % width] = value
        elif kind == "trim_row":
            r, k = args
            row = rows[head + 1 + r % data]
            del row[max(0, len(row) - k) :]
        elif kind == "stray_cell":
            r, value = args
            row = rows[head + 1 + r % data]
            row.extend(["", value])
        elif kind == "cut_rows":
            del rows[head + 1 + args[0] % (data + 1) :]
        elif kind == "dup_row":
            r = head + 1 + args[0] % data
            rows.insert(r, list(rows[r]))
        elif kind == "blank_row":
            rows.insert(head + 1 + args[0] % data, [""] * width)
        elif kind == "total_row":
            rows.insert(head + 1 + args[0] % (data + 1), ["Total", *[""] * (width - 2), "123"])
        elif kind == "header":
            _corrupt_columns(rows, head, kind, [args[0] % width, args[1]])
        else:
            _corrupt_columns(rows, head, kind, [a % width for a in args])
        width = max(1, len(rows[head]))
    return rows


def _corrupt_columns(rows: list[list[object]], head: int, kind: str, args: list) -> None:
    for i, row in enumerate(rows):
        if i < head:
            continue
        row.extend([""] * (max(args[:2] if kind != "header" else args[:1]) + 1 - len(row)))
        if kind == "swap_columns" or (kind == "swap_headers" and i == head):
            a, b = args
            row[a], row[b] = row[b], row[a]
        elif kind == "drop_column":
            del row[args[0]]
        elif kind == "dup_column":
            row.insert(args[0], row[args[0]])
        elif kind == "header" and i == head:
            row[args[0]] = args[1]


def _csv_bytes(rows, seed: Seed, encoding: str, delimiter: str, newline: str) -> bytes:
    buf = io.StringIO()
    delimiter = seed.delimiter if delimiter == "as-is" else delimiter
    writer = csv.writer(buf, delimiter=delimiter, lineterminator=newline)
    writer.writerows([[_text(v) for v in row] for row in rows])
    encoding = seed.encoding if encoding == "as-is" else encoding
    return buf.getvalue().encode(encoding, errors="replace")


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y")
    return str(value)


def _xlsx_bytes(rows) -> bytes:
    """The rows as a workbook; openpyxl stores '#N/A' and the like as Excel error cells and a
    string starting '=' as a formula, as Excel would. XML cannot hold most control characters."""
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else _cell(v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _cell(value: object) -> object:
    if isinstance(value, float) and value != value:  # NaN: openpyxl would write an unreadable 'nan'
        return "nan"
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**63:
        return float(value)
    return value if isinstance(value, (int, float, str, date, datetime)) or value is None else str(value)


def _corrupt_bytes(data: bytes, ops) -> bytes:
    for kind, *args in ops:
        n = max(1, len(data))
        if kind == "truncate":
            data = data[: args[0] * n // 10_001]
        elif kind == "insert":
            at = args[0] * n // 10_001
            data = data[:at] + args[1] + data[at:]
        elif kind == "overwrite":
            at = args[0] * n // 10_001
            data = data[:at] + args[1] + data[at + len(args[1]) :]
        elif kind == "prefix":
            data = args[0] + data
    return data


# --- the property ---------------------------------------------------------------------------------


def _load_and_check(source: str, path: Path, con: duckdb.DuckDBPyConnection | None = None) -> str:
    """Load one file into a fresh warehouse (or ``con``, left open) and check the property; return
    the outcome."""
    contract = get_contract(source)
    own = con is None
    con = con or duckdb.connect()
    try:
        result = load_file(con, contract, path, demo=True)
    except ExtractError as err:
        assert path.name in str(err), f"the error does not name the file: {err}"
        assert err.problem.strip()
        return "rejected"
    assert result.status == "loaded"
    assert result.rows_in == result.rows_loaded + result.rows_quarantined
    log = con.execute("select file_name, rows_in, rows_loaded, rows_quarantined from raw.load_log").fetchall()
    assert log == [(path.name, result.rows_in, result.rows_loaded, result.rows_quarantined)]
    loaded = con.execute(f"select count(*) from {contract.raw_table}").fetchall()[0][0]
    assert loaded == result.rows_loaded
    quarantine = con.execute(
        "select file_name, source_row, column_name, value, rule from raw.quarantine"
    ).fetchall()
    for file_name, row, column, value, rule in quarantine:
        assert file_name == path.name and row is not None and row >= 1 and rule
        assert column and value is not None, (row, column, value, rule)
        if rule.startswith("malformed row") or rule == EXCEL_ERROR_RULE:
            assert value.strip(), (row, column, value, rule)  # the row's text, the error's text
    lines = {r[1] for r in quarantine}
    assert len(lines) <= result.rows_quarantined
    if contract.melt is None:  # one record per line: every quarantined record is a distinct line
        assert len(lines) == result.rows_quarantined
        loaded_lines = {r[0] for r in con.execute(f"select _source_row from {contract.raw_table}").fetchall()}
        assert not loaded_lines & lines, "a line was both loaded and quarantined"
    if own:
        con.close()
    return "loaded"


def _write(workdir: Path, seed: Seed, data: bytes) -> Path:
    path = workdir / seed.source / seed.name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_every_contract_and_format_the_demo_writes_is_fuzzed(seeds):
    assert sorted(seeds) == sorted(SEEDS)
    assert {seed.source for seed in seeds.values()} == set(load_contracts())


@pytest.mark.parametrize("seed_name", SEEDS)
def test_every_seed_is_a_valid_extract_that_loads_whole(seeds, workdir, seed_name):
    """The fuzz starts from valid files: uncorrupted, each loads with nothing quarantined."""
    seed = seeds[seed_name]
    rows = [list(r) for r in seed.rows]
    data = _xlsx_bytes(rows) if seed.suffix == ".xlsx" else _csv_bytes(rows, seed, "as-is", "as-is", "\r\n")
    path = _write(workdir, seed, data)
    con = duckdb.connect()
    result = load_file(con, get_contract(seed.source), path, demo=True)
    assert result.rows_quarantined == 0, result.quarantine
    assert result.rows_in >= DATA_ROWS


@pytest.mark.parametrize("seed_name", SEEDS)
@settings(PROFILE)
# Found by this test: a UTF-8 BOM on a file whose body is not UTF-8 (here UTF-16) crashed the CSV reader
# with UnicodeDecodeError; readers.decode now ignores a BOM the body belies, and reads UTF-16 by its BOM.
@example(ops=[], encoding="utf-16", delimiter="as-is", newline="\r\n", raw=[("prefix", b"\xef\xbb\xbf")])
@example(ops=[], encoding="utf-16", delimiter="\t", newline="\r\n", raw=[])  # Excel's "Unicode text"
# Found by this test: a wide census table with a plain "Ethnic group" header beside its "Ethnic group: ..."
# columns (the fuzz got there by cutting the header short) crashed validation with AttributeError on the
# duplicated ethnic_group column; the reader now rejects the file, naming the clashing column.
@example(ops=[("header", 5, "Ethnic group")], encoding="as-is", delimiter="as-is", newline="\r\n", raw=[])
# Found by this test: a malformed row (cut short, or with a value past the last column) was quarantined
# with no column and no value; now the first missing column (or "(whole row)") and the row's text.
@example(
    ops=[("trim_row", 0, 2), ("stray_cell", 1, "x"), ("trim_row", 2, 1)],
    encoding="as-is",
    delimiter="as-is",
    newline="\r\n",
    raw=[],
)
@given(
    ops=operations,
    encoding=encodings,
    delimiter=delimiters,
    newline=newlines,
    raw=st.lists(byte_ops, max_size=2),
)
def test_a_corrupted_extract_loads_reconciled_or_is_rejected_by_name(
    seeds, workdir, seed_name, ops, encoding, delimiter, newline, raw
):
    seed = seeds[seed_name]
    rows = _corrupt_rows(seed, ops)
    if seed.suffix == ".xlsx":
        data = _xlsx_bytes(rows)
    else:
        data = _csv_bytes(rows, seed, encoding, delimiter, newline)
    path = _write(workdir, seed, _corrupt_bytes(data, raw))
    _load_and_check(seed.source, path)


# Found by the property above: python-calamine reads an Excel error cell (#N/A, #REF!) as empty, so in an
# optional column it loaded as a silent blank; and a CSV's '#N/A' in a text column loaded as text. Now
# the XLSX reader restores the error's text and validation quarantines it under its own rule.
@pytest.mark.parametrize("seed_name", SEEDS)
# In make test only the explicit example (every column at once: a load that quarantines costs ~0.5 s);
# the fuzz profile adds random ones.
@settings(PROFILE, max_examples=max(1, PROFILE.max_examples // 10), phases=PHASES_BEYOND_CI)
# Every column of one row (each quarantined row may hold many), and one cell of another.
@example(cells=[(0, c, EXCEL_ERRORS[c % len(EXCEL_ERRORS)]) for c in range(80)] + [(2, 1, "#N/A")])
@given(
    cells=st.lists(
        # 3 bad rows of DATA_ROWS stay within the 20% limit
        st.tuples(st.integers(0, 2), index, st.sampled_from(EXCEL_ERRORS)),
        min_size=1,
        max_size=8,
    )
)
def test_an_excel_error_cell_is_quarantined_with_its_text_never_loaded_blank(
    seeds, workdir, seed_name, cells
):
    """An error cell in any column the contract reads (XLSX: a cell of error type; CSV: its text)
    quarantines its row naming the column and the error, whether or not the column may be blank,
    and under no other rule."""
    seed = seeds[seed_name]
    contract = get_contract(seed.source)
    rows = [list(r) for r in seed.rows]
    header = [_text(h) for h in rows[seed.header]]
    planted = {}
    for r, c, error in cells:
        line = seed.header + 2 + r  # the physical row: seeds hold no multi-line cells
        row = rows[line - 1]
        row[c % len(row)] = error
        planted[(line, c % len(row))] = error
    expected = set()
    for (line, position), error in planted.items():
        name = header[position] if position < len(header) else ""
        column = contract.resolve_header(name) if name.strip() else None
        if column is None and contract.melt and contract.melt.matches(name):
            column = contract.melt.value_column
        if column is not None and contract.column(column).loaded:  # names are dropped unread
            expected.add((line, column, error))
    data = _xlsx_bytes(rows) if seed.suffix == ".xlsx" else _csv_bytes(rows, seed, "as-is", "as-is", "\n")
    path = _write(workdir, seed, data)
    con = duckdb.connect()
    assert _load_and_check(seed.source, path, con) == "loaded"
    quarantine = con.execute("select source_row, column_name, value, rule from raw.quarantine").fetchall()
    assert {(line, column, value) for line, column, value, _ in quarantine} == expected
    assert {rule for *_, rule in quarantine} <= {EXCEL_ERROR_RULE}
    con.close()
