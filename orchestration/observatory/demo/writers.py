"""Writing extracts the way council systems produce them: messy, but byte-for-byte reproducible.

Formatting is vectorised (numpy string ufuncs) so a 3-million-row England run stays fast, and
every file is deterministic: the same data gives the same bytes.

XLSX workbooks are written as SpreadsheetML directly rather than through openpyxl: openpyxl writes
cell by cell (about 3.5 s for one 5,000-row payroll sheet, more than the whole rest of a borough
run) and stamps the current time into the package. The parts written here are the minimal valid
set (content types, relationships, workbook, one sheet, styles, document properties); tests read
them back with openpyxl, as ingest does.
"""

from __future__ import annotations

import csv
import io
import itertools
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.dtypes import StringDType

FIXED_TIMESTAMP = "2025-04-01T09:00:00Z"  # stamped into XLSX metadata; never "now"
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")

# Cell styles defined in _STYLES below.
STYLE_GENERAL, STYLE_DATE, STYLE_MONEY, STYLE_BOLD = 0, 1, 2, 3


_STR = StringDType()  # variable-width strings: numpy's string ufuncs run 2-3x faster on them


def _s(values: np.ndarray) -> np.ndarray:
    return np.asarray(values).astype(_STR)


def uk_dates(days: np.ndarray) -> np.ndarray:
    """datetime64 days -> '31/03/2024'."""
    iso = np.datetime_as_string(np.asarray(days, dtype="datetime64[D]"), unit="D")
    y = np.strings.slice(iso, 0, 4)
    m = np.strings.slice(iso, 5, 7)
    d = np.strings.slice(iso, 8, 10)
    return d + "/" + m + "/" + y


def _thousands(pounds: np.ndarray) -> np.ndarray:
    """Non-negative integers -> '1,234,567'."""
    out = _s(pounds % 1000)
    rest = pounds // 1000
    while (rest > 0).any():
        group = np.strings.zfill(_s(rest % 1000), 3)
        trimmed = np.where(rest >= 1000, group, _s(rest % 1000))
        out = np.where(rest > 0, trimmed + "," + np.strings.zfill(out, 3), out)
        rest = rest // 1000
    return out


def money(values: np.ndarray, *, pound: bool) -> np.ndarray:
    """Amounts in pounds -> '1234.56', or '£1,234.56' as payroll reports print them."""
    pence = np.rint(np.asarray(values, dtype=np.float64) * 100).astype(np.int64)
    sign = np.where(pence < 0, "-", "")
    whole, frac = np.abs(pence) // 100, np.abs(pence) % 100
    body = _thousands(whole) if pound else _s(whole)
    text = body + "." + np.strings.zfill(_s(frac), 2)
    return sign + ("£" if pound else "") + text


def decimal(values: np.ndarray, places: int = 2) -> np.ndarray:
    """Numbers with trailing zeros dropped: 36 -> '36', 22.5 -> '22.5'."""
    scale = 10**places
    units = np.rint(np.asarray(values, dtype=np.float64) * scale).astype(np.int64)
    sign = np.where(units < 0, "-", "")
    whole, frac = np.abs(units) // scale, np.abs(units) % scale
    text = np.strings.rstrip(_s(whole) + "." + np.strings.zfill(_s(frac), places), "0")
    return sign + np.strings.rstrip(text, ".")


def excel_serial(days: np.ndarray) -> np.ndarray:
    """datetime64 days -> Excel serial day numbers as text (what a date cell stores)."""
    return _s((np.asarray(days, dtype="datetime64[D]") - _EXCEL_EPOCH).astype(np.int64))


@dataclass
class Cells:
    """One column of an extract: the text of each cell plus, for XLSX, whether it is a number.

    ``text`` is what a CSV holds; in XLSX a cell with ``numeric`` set is a number (its text is a
    decimal literal, or an Excel serial for dates) shown with ``style``, else an inline string.
    Faults overwrite single cells, so a numeric column can hold the odd text cell, as real ones do.
    """

    text: np.ndarray
    numeric: np.ndarray
    style: int = STYLE_GENERAL

    @classmethod
    def of_text(cls, text: np.ndarray) -> Cells:
        text = _s(text)
        return cls(text, np.zeros(text.size, dtype=bool))

    @classmethod
    def of_numbers(cls, text: np.ndarray, style: int = STYLE_GENERAL) -> Cells:
        text = _s(text)
        return cls(text, np.ones(text.size, dtype=bool), style)

    def set(self, row: int, text: str, *, numeric: bool) -> None:
        self.text[row] = text
        self.numeric[row] = numeric

    def take(self, order: np.ndarray) -> Cells:
        return Cells(self.text[order], self.numeric[order], self.style)


def write_csv(
    path: Path, header: Sequence[str], columns: Sequence[Cells], *, encoding: str = "cp1252"
) -> None:
    """Header on the first line, CRLF line ends, minimal quoting (as Excel and pandas write), in the
    encoding Windows HR systems export. Rows are serialised by the C csv writer."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(zip(*(c.text.tolist() for c in columns), strict=True))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue().encode(encoding))


def _escape(text: np.ndarray) -> np.ndarray:
    """XML text escaping (no attribute values are escaped: none hold data)."""
    t = np.strings.replace(_s(text), "&", "&amp;")
    return np.strings.replace(np.strings.replace(t, "<", "&lt;"), ">", "&gt;")


def _column_letter(i: int) -> str:
    letters = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        letters = chr(65 + r) + letters
    return letters


def _xml_cells(col: int, rows: np.ndarray, cells: Cells) -> np.ndarray:
    """The <c> element of every cell of one column (empty text -> no element); ``rows`` holds
    the row numbers as text."""
    ref = _column_letter(col) + rows
    text = _s(cells.text)
    if not cells.numeric.all():
        text = np.where(cells.numeric, text, _escape(text))
    style = f' s="{cells.style}"' if cells.style else ""
    number = '<c r="' + ref + '"' + style + "><v>" + text + "</v></c>"
    if cells.numeric.all():
        return np.where(text == "", "", number)
    string = '<c r="' + ref + '" t="inlineStr"><is><t>' + text + "</t></is></c>"
    return np.where(text == "", "", np.where(cells.numeric, number, string))


def _xml_rows(first_row: int, columns: Sequence[Cells]) -> str:
    n = columns[0].text.size if columns else 0
    rows = _s(np.arange(first_row, first_row + n))
    cells = [_xml_cells(i, rows, c).tolist() for i, c in enumerate(columns)]
    starts = ('<row r="' + rows + '">').tolist()
    return "".join(itertools.chain.from_iterable(zip(starts, *cells, itertools.repeat("</row>"))))


def _text_row(row: int, values: Sequence[str], style: int) -> str:
    cells = [Cells(_s([str(v)]), np.zeros(1, dtype=bool), style) for v in values]
    return _xml_rows(row, cells)


_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_NS = "http://schemas.openxmlformats.org/package/2006"
_PKG_REL = f"{_PKG_NS}/relationships"
_PKG_CT = "application/vnd.openxmlformats-package"
_CT = "application/vnd.openxmlformats-officedocument"
_STYLES = (
    f'<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/>'
    '<numFmt numFmtId="165" formatCode="&quot;£&quot;#,##0.00"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def write_xlsx(
    path: Path,
    *,
    sheet: str,
    title_rows: Sequence[str],
    header: Sequence[str],
    columns: Sequence[Cells],
    footer_rows: Sequence[Sequence[Cells]] = (),
) -> None:
    """A workbook as HR reports export it: title rows, the header, the data, then e.g. a Total row.

    Rows are numbered from 1: titles, then the header, then data, then footers (one-cell Cells per
    column, so a footer can mix text and numbers)."""
    parts: list[str] = [_text_row(i + 1, [t], STYLE_BOLD) for i, t in enumerate(title_rows)]
    header_row = len(title_rows) + 1
    parts.append(_text_row(header_row, header, STYLE_BOLD))
    parts.append(_xml_rows(header_row + 1, columns))
    last = header_row + (columns[0].text.size if columns else 0)
    for footer in footer_rows:
        last += 1
        parts.append(_xml_rows(last, footer))
    dimension = f"A1:{_column_letter(len(header) - 1)}{last}"
    sheet_xml = (
        f'{_XML}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}"><dimension ref="{dimension}"/>'
        f"<sheetData>{''.join(parts)}</sheetData></worksheet>"
    )
    title = _escape(np.array([title_rows[0] if title_rows else "SYNTHETIC DEMO DATA"]))[0]
    files = {
        "[Content_Types].xml": (
            f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            f'<Default Extension="rels" ContentType="{_PKG_CT}.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            f'ContentType="{_CT}.spreadsheetml.worksheet+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.spreadsheetml.styles+xml"/>'
            '<Override PartName="/docProps/core.xml" '
            f'ContentType="{_PKG_CT}.core-properties+xml"/>'
            f'<Override PartName="/docProps/app.xml" ContentType="{_CT}.extended-properties+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            f'{_XML}<Relationships xmlns="{_PKG_REL}">'
            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
            f'<Relationship Id="rId2" Type="{_PKG_REL}/metadata/core-properties" Target="docProps/core.xml"/>'
            f'<Relationship Id="rId3" Type="{_REL}/extended-properties" Target="docProps/app.xml"/>'
            "</Relationships>"
        ),
        "docProps/core.xml": (
            f'{_XML}<cp:coreProperties xmlns:cp="{_PKG_NS}/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<dc:title>{title}</dc:title>"
            "<dc:creator>observatory.demo (synthetic data generator)</dc:creator>"
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{FIXED_TIMESTAMP}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{FIXED_TIMESTAMP}</dcterms:modified>'
            "</cp:coreProperties>"
        ),
        "docProps/app.xml": (
            f'{_XML}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
            "<Application>observatory.demo</Application></Properties>"
        ),
        "xl/workbook.xml": (
            f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
            f'<sheet name="{sheet}" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'{_XML}<Relationships xmlns="{_PKG_REL}">'
            f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/>'
            "</Relationships>"
        ),
        "xl/styles.xml": _XML + _STYLES,
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            archive.writestr(info, content.encode("utf-8"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue())
