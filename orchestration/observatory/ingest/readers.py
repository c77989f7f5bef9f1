"""Readers for the formats councils hold: delimited text in any common encoding, and XLSX.

Every reader returns text cells only (types are the validator's job, so a bad value is reported
with the exact text the file held) plus the physical row number of each record in the file, so an
error can point a person at the line to fix.
"""

from __future__ import annotations

import csv
import html
import io
import itertools
import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from observatory.contracts import Column, Contract, normalise_label
from observatory.ingest.parsing import TEXT, blank_cells, text_series

ROW_COLUMN = "_source_row"
WHOLE_ROW = "(whole row)"  # the column of a malformed row with values past the header's last column
MALFORMED_VALUE_CHARS = 200
TOTAL_ROW = re.compile(r"^\s*(grand\s+)?totals?\b", re.IGNORECASE)
HEADER_SCAN_ROWS = 25


class ExtractError(Exception):
    """The file as a whole cannot be loaded (unreadable, missing a required column, ...)."""

    def __init__(self, file: Path, problem: str, expected: str = ""):
        self.file = file
        self.problem = problem
        self.expected = expected
        msg = f"{file.name}: {problem}"
        if expected:
            msg += f" (expected: {expected})"
        super().__init__(msg)

    def __reduce__(self):  # raised in an ingest worker process, it crosses back by pickle
        return type(self), (self.file, self.problem, self.expected)


@dataclass
class RawExtract:
    """An extract's records as text, with canonical column names."""

    file: Path
    frame: pd.DataFrame  # canonical columns + ROW_COLUMN, all text
    encoding: str = ""
    delimiter: str = ""
    header_row: int = 1
    unknown_columns: list[str] = field(default_factory=list)
    # (row, problem, column: the first missing column or WHOLE_ROW, value: the row's text, masked
    # where the contract holds personal data; see ``malformed_value``)
    malformed_rows: list[tuple[int, str, str, str]] = field(default_factory=list)
    skipped_rows: list[tuple[int, str]] = field(default_factory=list)  # titles, totals


def decode(data: bytes) -> tuple[str, str]:
    """Decode UTF-8 (with or without BOM), UTF-16 with its BOM (Excel's "Unicode text") or, failing
    those, Windows-1252 as HR systems write it. A BOM the rest of the file belies is ignored."""
    for bom, encoding in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError:
                break
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        # cp1252 leaves five bytes undefined; latin-1 maps every byte, so nothing is lost.
        return data.decode("latin-1"), "latin-1"


def sniff_delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _header_score(cells: list[str], contract: Contract) -> int:
    return sum(1 for c in cells if c.strip() and contract.resolve_header(c))


def _find_header(rows: list[list[str]], contract: Contract) -> int:
    """Index of the header row: the first of the top rows that names the most contract columns."""
    best, best_score = 0, -1
    for i, cells in enumerate(rows[:HEADER_SCAN_ROWS]):
        score = _header_score(cells, contract)
        if score > best_score:
            best, best_score = i, score
    return best


def _cell_text(value: object) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _rows_to_extract(
    file: Path, rows: list[list[str]], lines: np.ndarray, contract: Contract, **info
) -> RawExtract:
    """Map headers to canonical names and build the text frame; ``rows`` are the records' cells,
    ``lines`` the physical row each starts on."""
    if not rows:
        raise ExtractError(file, "the file is empty", "a header row and data rows")
    header_idx = _find_header(rows, contract)
    header_line, header = int(lines[header_idx]), rows[header_idx]
    extract = RawExtract(file=file, frame=pd.DataFrame(), header_row=header_line, **info)
    extract.skipped_rows = [(int(line), "title row above the header") for line in lines[:header_idx]]

    positions: dict[str, int] = {}
    melted: dict[str, int] = {}  # category header -> position, for a wide (melted) contract
    melt = contract.melt
    for pos, name in enumerate(header):
        if not name.strip():
            continue
        canonical = contract.resolve_header(name)
        if canonical is None and melt and melt.matches(name):  # a column the contract names is not melted
            melted[melt.category(name)] = pos
            continue
        if canonical is None:
            extract.unknown_columns.append(name.strip())
        elif canonical in positions:
            raise ExtractError(file, f"columns {name!r} and another both map to {canonical!r}")
        else:
            positions[canonical] = pos
    if melt and not melted:
        raise ExtractError(
            file, f"no column headed '{melt.header_prefix} ...'", f"{melt.header_prefix} columns"
        )
    produced = {melt.name_column, melt.value_column} if melt else set()
    if clash := [header[pos].strip() for c, pos in positions.items() if c in produced]:
        # A wide table also holding e.g. a plain "Ethnic group" column: which one is meant is unknowable.
        raise ExtractError(
            file,
            f"column(s) {', '.join(map(repr, clash))} clash with the {' and '.join(sorted(produced))} "
            f"read from the '{melt.header_prefix} ...' columns",
            f"one column per category headed '{melt.header_prefix} ...', and no {melt.name_column} column",
        )
    stated = _stated_once(file, rows[:header_idx], contract, set(positions))
    present = positions.keys() | produced | stated.keys()
    missing = [
        c.name
        for c in contract.columns
        if (c.required or any(other in present for other in c.required_with)) and c.name not in present
    ]
    if missing:
        wanted = "; ".join(_wanted(contract.column(m)) for m in missing)
        raise ExtractError(
            file,
            f"required column(s) missing: {', '.join(missing)}; header was row {header_line}",
            wanted,
        )

    delimiter = info.get("delimiter") or ","
    columns, kept = _body(
        extract, rows[header_idx + 1 :], lines[header_idx + 1 :], header, contract, delimiter
    )
    frame = {c: columns[pos] for c, pos in positions.items()}
    if melt:  # each row becomes one record a category, in the order of the file
        n, k = len(kept), len(melted)
        per_row = np.repeat(np.arange(n), k)
        frame = {c: values.take(per_row) for c, values in frame.items()}
        frame[melt.name_column] = pa.array(np.tile(np.array(list(melted), dtype=object), n), type=pa.string())
        by_category = (
            pa.concat_arrays([columns[pos] for pos in melted.values()]) if k else pa.array([], pa.string())
        )
        frame[melt.value_column] = by_category.take(np.add.outer(np.arange(n), np.arange(k) * n).ravel())
        kept = np.repeat(kept, k)
    text = {c: text_series(values, pd.RangeIndex(len(kept))) for c, values in frame.items()}
    for c in contract.columns:
        if c.name not in text:
            text[c.name] = pd.Series(stated.get(c.name, ""), index=pd.RangeIndex(len(kept)), dtype=TEXT)
    extract.frame = pd.DataFrame({c.name: text[c.name] for c in contract.columns})
    extract.frame[ROW_COLUMN] = kept.astype("int64")
    return extract


def _body(
    extract: RawExtract,
    rows: list[list[str]],
    lines: np.ndarray,
    header: list[str],
    contract: Contract,
    delimiter: str,
) -> tuple[list[pa.Array], np.ndarray]:
    """The data rows below the header as one Arrow string column per header cell, and the line of
    each; blank rows are dropped, totals rows and malformed rows recorded on ``extract``.

    Column by column rather than row by row (``make bench``: the row loop was most of the read):
    only the rare row that is not the header's width is looked at in Python."""
    width = len(header)
    lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    regular = lengths >= width
    for i in np.flatnonzero(lengths > width):  # trailing empty fields are harmless, stray values not
        regular[i] = not any(c.strip() for c in rows[i][width:])
    totals: list[tuple[int, str]] = []
    shown = shown_as_is(contract)  # for malformed rows
    for i in np.flatnonzero(~regular):
        line, cells = int(lines[i]), rows[i]
        if not any(str(c).strip() for c in cells):
            continue  # blank line: not a record
        if any(TOTAL_ROW.match(c) for c in cells[:2]):
            totals.append((line, "totals row"))
            continue
        column = WHOLE_ROW
        if len(cells) < width:  # the first column the row stops short of
            first = header[len(cells)].strip()
            column = contract.resolve_header(first) or first or f"(column {len(cells) + 1})"
        value = malformed_value(cells, delimiter, shown)
        extract.malformed_rows.append(
            (line, f"row has {len(cells)} fields, header has {width}", column, value)
        )

    records = rows if regular.all() else [rows[i] for i in np.flatnonzero(regular)]
    # Cut to the header's width: a longer row's extra cells are empty (``regular``).
    transposed = itertools.islice(zip(*records, strict=False), width)
    columns = [pa.array(cells, type=pa.string()) for cells in transposed]
    columns += [pa.array([], type=pa.string())] * (width - len(columns))  # no records
    lines = lines[regular]
    empty = np.ones(len(records), dtype=bool)  # a row of blank cells is a blank line
    for values in columns:
        empty &= blank_cells(values)
    # 'total' in either of the first two cells makes a candidate; Python's TOTAL_ROW decides.
    maybe = np.zeros(len(records), dtype=bool)
    for values in columns[:2]:
        maybe |= np.asarray(pc.match_substring(values, "total", ignore_case=True), dtype=bool)
    total = np.zeros(len(records), dtype=bool)
    for i in np.flatnonzero(maybe & ~empty):
        total[i] = any(TOTAL_ROW.match(c) for c in records[i][:2])
    totals += [(int(line), "totals row") for line in lines[total]]
    extract.skipped_rows += sorted(totals)
    keep = ~empty & ~total
    if not keep.all():
        columns = [values.filter(keep) for values in columns]
    return columns, lines[keep]


def malformed_value(cells: list[str], delimiter: str, shown: frozenset[str] | None) -> str:
    """A malformed row's text as the file holds it, cut to MALFORMED_VALUE_CHARS, to show what went
    wrong (a delimiter inside an unquoted value, a row cut short). Its cells cannot be trusted to
    be in their columns, so in a contract with personal data (``shown`` is not None) every cell
    but those values is masked to its shape: letters as x, digits as 9 ('Smith, John' ->
    'xxxxx, xxxx'), so the quarantine never holds a person's identifier, name or date of birth."""
    if shown is not None:
        cells = [c if not c.strip() or normalise_label(c) in shown else _shape(c) for c in cells]
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="").writerow(cells)
    text = ("masked: " if shown is not None else "") + buf.getvalue()
    return text if len(text) <= MALFORMED_VALUE_CHARS else text[: MALFORMED_VALUE_CHARS - 1] + "…"


def shown_as_is(contract: Contract) -> frozenset[str] | None:
    """The (normalised) cell values a malformed row shows unmasked: None (all of them) for a
    contract without personal data, else the contract's category values that are words."""
    if not any(c.identifier or c.direct_identifier for c in contract.columns):
        return None
    forms = (form for c in contract.columns if c.type == "category" for form in c.value_lookup())
    return frozenset(f for f in forms if re.search(r"[a-z]", f))


def _shape(text: str) -> str:
    return re.sub(r"\d", "9", re.sub(r"[^\W\d_]", "x", text))


def _wanted(column: Column) -> str:
    where = ", or stated in the title rows or file name" if column.from_title_or_file_name else ""
    given = ""
    if column.required_with:
        given = f"; required where the file has {' or '.join(column.required_with)}"
    return f"{column.name} (or one of: {', '.join(column.aliases)}{where}){given}"


def _stated_once(
    file: Path, title_rows: list[list[str]], contract: Contract, present: set[str]
) -> dict[str, str]:
    """Columns the file states once rather than on every row ('position as at 30/06/2023' in a
    title row, or a date in the file name): a column's ``from_title_or_file_name`` patterns are
    tried against the title rows, then against the file name; the first group is the value."""
    titles = " ".join(cell.strip() for cells in title_rows for cell in cells if cell.strip())
    found: dict[str, str] = {}
    for c in contract.columns:
        if c.name in present or not c.from_title_or_file_name:
            continue
        for text in (titles, file.name):
            match = next(
                (m for p in c.from_title_or_file_name if (m := re.search(p, text, re.IGNORECASE))), None
            )
            if match:
                found[c.name] = next((g for g in match.groups() if g), match.group(0)).strip()
                break
    return found


def read_delimited(file: Path, contract: Contract) -> RawExtract:
    text, encoding = decode(file.read_bytes())
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        rows = list(reader)
        if reader.line_num == len(rows):  # every record is one line: a record's line is its number
            lines = np.arange(1, len(rows) + 1)
        else:  # a quoted value runs over lines: read again, noting the line each record starts on
            reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
            rows, starts, start = [], [], 1
            for cells in reader:
                rows.append(cells)
                starts.append(start)
                start = reader.line_num + 1
            lines = np.array(starts, dtype=np.int64)
    except csv.Error as exc:
        raise ExtractError(file, f"unreadable CSV near line {reader.line_num}: {exc}") from exc
    return _rows_to_extract(file, rows, lines, contract, encoding=encoding, delimiter=delimiter)


def read_xlsx(file: Path, contract: Contract) -> RawExtract:
    """The first sheet of a workbook, read with calamine (Rust; ~20x faster than openpyxl)."""
    from python_calamine import CalamineWorkbook

    try:
        sheet = CalamineWorkbook.from_path(str(file)).get_sheet_by_index(0)
        # skip_empty_area=False keeps empty leading rows, so list position + 1 is the sheet's row number.
        values = sheet.to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises several types for a corrupt or non-XLSX file
        raise ExtractError(file, f"not a readable XLSX workbook: {exc}") from exc
    rows = [(i, [_cell_text(v) for v in row]) for i, row in enumerate(values, start=1)]
    # calamine reads an error cell (#N/A, #REF!, ...) as empty: put its error text back, so
    # validation quarantines it rather than loading a silent blank.
    for (line, col), text in _error_cells(file).items():
        rows.extend((i, []) for i in range(len(rows) + 1, line + 1))
        cells = rows[line - 1][1]
        cells.extend([""] * (col - len(cells)))
        cells[col - 1] = text
    # Trailing empty cells vary row to row in XLSX; trim to the header's width when reading.
    rows = _trim(rows)
    lines = np.array([line for line, _ in rows], dtype=np.int64)
    return _rows_to_extract(file, [cells for _, cells in rows], lines, contract, encoding="xlsx")


# A cell of type "e" (error) in the sheet XML, its attributes (group 1) and content (group 2).
_ERROR_CELL = re.compile(
    rb"""<(?:\w+:)?c\b([^>]*?\bt\s*=\s*["']e["'][^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)""", re.S
)
_CELL_REF = re.compile(rb"""\br\s*=\s*["']([A-Za-z]{1,3})([0-9]{1,7})["']""")
_CELL_VALUE = re.compile(rb"<(?:\w+:)?v\b[^>]*>([^<]*)</")
_OFFICE_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _error_cells(file: Path) -> dict[tuple[int, int], str]:
    """The error cells of the first sheet as {(row, column): error text}, both 1-based.

    python-calamine (0.9) returns an error cell as an empty string, indistinguishable from a blank,
    so the sheet's XML is read again for cells typed ``t="e"``: a byte search first (most sheets
    hold none, and that costs a decompression), then a regex over the cells' references. Anything
    unexpected (no worksheet, a cell without a reference) falls back to walking the XML in order."""
    try:
        with zipfile.ZipFile(file) as zf:
            sheet = _first_sheet_path(zf)
            data = zf.read(sheet) if sheet else b""
        if b'"e"' not in data and b"'e'" not in data:
            return {}
        found: dict[tuple[int, int], str] = {}
        for match in _ERROR_CELL.finditer(data):
            ref = _CELL_REF.search(match.group(1))
            if ref is None:
                found = _error_cells_in_order(data)
                break
            value = _CELL_VALUE.search(match.group(2) or b"")
            found[(int(ref.group(2)), _column_number(ref.group(1).decode()))] = _error_text(
                value.group(1) if value else b""
            )
    except (KeyError, ValueError, OSError, zipfile.BadZipFile, ET.ParseError):
        return {}  # calamine read it, but its parts are not where an XLSX keeps them: nothing to add
    # Within Excel's limits (1,048,576 rows, 16,384 columns), as calamine's own cells are.
    return {(r, c): text for (r, c), text in found.items() if 1 <= r <= 1_048_576 and 1 <= c <= 16_384}


def _error_text(raw: bytes) -> str:
    return html.unescape(raw.decode("utf-8", "replace")).strip() or "#N/A"


def _column_number(letters: str) -> int:
    number = 0
    for ch in letters.upper():
        number = number * 26 + ord(ch) - 64
    return number


def _first_sheet_path(zf: zipfile.ZipFile) -> str | None:
    """The zip path of the workbook's first sheet (the one calamine's index 0 reads)."""
    workbook = "xl/workbook.xml"
    if "_rels/.rels" in zf.namelist():
        with zf.open("_rels/.rels") as fh:
            for rel in ET.parse(fh).getroot():
                if rel.get("Type", "").endswith("/officeDocument"):
                    workbook = rel.get("Target", workbook).lstrip("/")
    with zf.open(workbook) as fh:
        first = next((e for e in ET.parse(fh).getroot().iter() if e.tag.endswith("}sheet")), None)
    if first is None:
        return None
    rels_path = posixpath.join(posixpath.dirname(workbook), "_rels", posixpath.basename(workbook) + ".rels")
    with zf.open(rels_path) as fh:
        rels = {rel.get("Id"): rel for rel in ET.parse(fh).getroot()}
    rel = rels.get(first.get(_OFFICE_REL))
    if rel is None or not rel.get("Type", "").endswith("/worksheet"):
        return None
    target = rel.get("Target", "")
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(workbook), target))


def _error_cells_in_order(data: bytes) -> dict[tuple[int, int], str]:
    """Error cells by walking the sheet's rows and cells, for writers that leave out a cell's
    reference (a cell then follows the one before it, a row the row before it)."""
    found: dict[tuple[int, int], str] = {}
    line, col = 0, 0
    for event, elem in ET.iterparse(io.BytesIO(data), events=("start", "end")):
        tag = elem.tag.rsplit("}", 1)[-1]
        if event == "start" and tag == "row":
            line, col = int(elem.get("r") or line + 1), 0
        elif event == "end" and tag == "c":
            ref = _CELL_REF.search(f'r="{elem.get("r", "")}"'.encode())
            col = _column_number(ref.group(1).decode()) if ref else col + 1
            if elem.get("t") == "e":
                value = next((x.text for x in elem if x.tag.rsplit("}", 1)[-1] == "v"), None)
                found[(int(ref.group(2)) if ref else line, col)] = _error_text((value or "").encode())
            elem.clear()
    return found


def _trim(rows: list[tuple[int, list[str]]]) -> list[tuple[int, list[str]]]:
    out = []
    for line, cells in rows:
        while cells and not cells[-1].strip():
            cells = cells[:-1]
        out.append((line, cells))
    width = max((len(c) for _, c in out), default=0)
    return [(line, cells + [""] * (width - len(cells))) for line, cells in out]


READERS = {
    ".csv": read_delimited,
    ".txt": read_delimited,
    ".tsv": read_delimited,
    ".xlsx": read_xlsx,
}


def read_extract(file: Path, contract: Contract) -> RawExtract:
    reader = READERS.get(file.suffix.lower())
    if reader is None:
        raise ExtractError(file, f"unsupported file type {file.suffix!r}", ", ".join(sorted(READERS)))
    return reader(file, contract)


__all__ = ["ROW_COLUMN", "WHOLE_ROW", "ExtractError", "RawExtract", "normalise_label", "read_extract"]
