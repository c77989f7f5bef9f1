"""How the fictional research suppliers write a residents' survey data file (see survey.py).

Three suppliers, three layouts, as councils receive them:

* 0 - an SPSS export saved as CSV with variable LABELS as headers ("Q4 How much do you trust your
  local council?"), UTF-8 with a byte-order mark, dates dd/mm/yyyy, weights scaled to mean 1.
* 1 - an SPSS export with variable NAMES as headers (RESPID, QETHNIC, Q4_TRUST...), Windows-1252,
  SPSS DATE11 dates ("10-Sep-2024"), "F"/"M", HR-style ethnicity labels, weights mean 1.
* 2 - an XLSX data table with two title rows, a Total row (sum of weights), Excel dates, a numeric
  serial number and weights grossed to the authority's population aged 16+.

CSV files say they are synthetic in a ``Data status`` column (SYNTHETIC on every row); the XLSX in
its title rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from observatory.demo import faults as F
from observatory.demo import writers as W
from observatory.demo.authorities import Authority
from observatory.demo.context import DemoContext
from observatory.demo.ethnicity import PREFER_NOT_TO_SAY, load_labels
from observatory.demo.survey_model import AGE_BANDS, QUESTIONS

SOURCE = "resident_survey"

CANONICAL = (
    "respondent_id", "authority_code", "survey_wave", "fieldwork_date", "age_band", "sex",
    "ethnicity", "ward", "tenure", "satisfaction_area", "belonging", "worry_crime",
    "trust_council", "treated_fairly", "weight", "data_status",
)  # fmt: skip
ANSWER_COLUMNS = ("satisfaction_area", "belonging", "worry_crime", "trust_council", "treated_fairly")

# Fictional ward names (an authority takes 16-22 of them plus "<name> Central").
WARD_NAMES = (
    "Abbey", "Ashgrove", "Bankside", "Beacon Hill", "Bridge", "Castle", "Chapel End", "Church Street",
    "Clayfield", "Common", "Coldharbour", "Cross Lanes", "Eastfield", "Elmstead", "Fairview",
    "Forest", "Greenside", "Harbour", "Highfield", "Hillside", "Kingsmead", "Lark Rise",
    "Meadowbank", "Mill Lane", "Northgate", "Oakwood", "Orchard", "Parkside", "Priory",
    "Queen\u2019s Park", "Riverside", "St Anne\u2019s", "St John\u2019s", "St Mary\u2019s",
    "Southgate", "Station", "Thornhill", "Victoria", "Wellfield", "West Green", "Woodside",
)  # fmt: skip


@dataclass(frozen=True)
class Supplier:
    headers: tuple[tuple[str, str], ...]  # (canonical column, header in the file), in file order
    ext: str
    encoding: str
    age_band: tuple[str, ...]  # spelling of each AGE_BANDS entry
    sex: dict[str, str]
    ethnicity_style: str
    wave: str  # "slash" 2024/25, "dash" 2024-25, "long" 2024/2025
    date_style: str  # "uk" dd/mm/yyyy, "spss" dd-Mon-yyyy, "excel" a date cell
    id_style: str
    weight_scale: str  # "mean 1" or "grossed"
    weight_places: int
    dont_know: str = "Don't know"


SUPPLIERS: tuple[Supplier, ...] = (
    Supplier(
        headers=(
            ("respondent_id", "Respondent ID"),
            ("authority_code", "Local authority code"),
            ("survey_wave", "Survey year"),
            ("fieldwork_date", "Interview date"),
            ("age_band", "Age group"),
            ("sex", "Sex"),
            ("ethnicity", "Ethnic group"),
            ("ward", "Ward"),
            ("tenure", "Tenure"),
            ("satisfaction_area", "Q1 Satisfaction with local area as a place to live"),
            ("belonging", "Q2 How strongly do you feel you belong to your neighbourhood"),
            ("worry_crime", "Q3 How worried are you about crime in your local area"),
            ("trust_council", "Q4 How much do you trust your local council"),
            ("treated_fairly", "Q5 Council services treat people like me fairly"),
            ("weight", "Weight"),
            ("data_status", "Data status"),
        ),
        ext="csv",
        encoding="utf-8-sig",
        age_band=("16-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+"),
        sex={"Female": "Female", "Male": "Male"},
        ethnicity_style="census",
        wave="slash",
        date_style="uk",
        id_style="numeric",
        weight_scale="mean 1",
        weight_places=6,
    ),
    Supplier(
        headers=(
            ("respondent_id", "RESPID"),
            ("survey_wave", "WAVE"),
            ("authority_code", "LACODE"),
            ("fieldwork_date", "INTDATE"),
            ("sex", "QSEX"),
            ("age_band", "AGEBAND"),
            ("ethnicity", "QETHNIC"),
            ("tenure", "QTENURE"),
            ("ward", "WARDNAME"),
            ("satisfaction_area", "Q1_SATIS"),
            ("belonging", "Q2_BELONG"),
            ("worry_crime", "Q3_CRIME"),
            ("trust_council", "Q4_TRUST"),
            ("treated_fairly", "Q5_FAIR"),
            ("weight", "WEIGHT_RIM"),
            ("data_status", "DATA_STATUS"),
        ),
        ext="csv",
        encoding="cp1252",
        age_band=("16 to 24", "25 to 34", "35 to 44", "45 to 54", "55 to 64", "65 to 74", "75 and over"),
        sex={"Female": "F", "Male": "M"},
        ethnicity_style="hr",
        wave="dash",
        date_style="spss",
        id_style="prefixed",
        weight_scale="mean 1",
        weight_places=6,
    ),
    Supplier(
        headers=(
            ("respondent_id", "Serial No"),
            ("authority_code", "LA code"),
            ("survey_wave", "Wave"),
            ("fieldwork_date", "Fieldwork date"),
            ("age_band", "Age"),
            ("sex", "Gender"),
            ("ethnicity", "Ethnicity"),
            ("ward", "Ward name"),
            ("tenure", "Housing tenure"),
            ("satisfaction_area", "Satisfaction with local area"),
            ("belonging", "Sense of belonging"),
            ("worry_crime", "Worry about crime"),
            ("trust_council", "Trust in the council"),
            ("treated_fairly", "Treated fairly by council services"),
            ("weight", "Grossing weight"),
        ),
        ext="xlsx",
        encoding="utf-8",
        age_band=(
            "16-24 years",
            "25-34 years",
            "35-44 years",
            "45-54 years",
            "55-64 years",
            "65-74 years",
            "75 years and over",
        ),
        sex={"Female": "Female", "Male": "Male"},
        ethnicity_style="census",
        wave="long",
        date_style="excel",
        id_style="serial",
        weight_scale="grossed",
        weight_places=3,
        dont_know="Don\u2019t know",
    ),
)

_FAULT_NAMES = {
    F.DUPLICATE_ROW: "duplicate_row",
    F.IMPOSSIBLE_DATE: "impossible_date",
    F.NEGATIVE_NUMBER: "negative_weight",
    F.TEXT_IN_NUMERIC: "text_in_numeric",
    F.OUT_OF_RANGE: "weight_out_of_range",
}


def supplier_for(authority: Authority, year: int) -> int:
    """An authority's supplier; each council re-tendered its survey for 2024/25 (reporting year 2025)."""
    return (authority.index - 1 + (2 if year >= 2025 else 0)) % len(SUPPLIERS)


def wave_label(year: int, supplier: int) -> str:
    style = SUPPLIERS[supplier].wave
    if style == "long":
        return f"{year - 1}/{year}"
    return f"{year - 1}{'/' if style == 'slash' else '-'}{year % 100:02d}"


def _dates(days: np.ndarray, style: str) -> W.Cells:
    if style == "excel":
        return W.Cells.of_numbers(W.excel_serial(days), W.STYLE_DATE)
    if style == "uk":
        return W.Cells.of_text(W.uk_dates(days))
    iso = np.datetime_as_string(np.asarray(days, dtype="datetime64[D]"), unit="D").astype(object)
    months = np.array(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"])
    text = [f"{d[8:10]}-{months[int(d[5:7]) - 1]}-{d[:4]}" for d in iso]
    return W.Cells.of_text(np.array(text, dtype=object))


def _ids(n: int, year: int, style: str) -> W.Cells:
    i = np.arange(1, n + 1)
    if style == "serial":
        return W.Cells.of_numbers(i.astype(str))
    if style == "prefixed":
        return W.Cells.of_text(np.char.add(f"R{year - 1}", np.char.zfill(i.astype(str), 5)))
    return W.Cells.of_text(np.char.add(f"{year % 100:02d}", np.char.zfill(i.astype(str), 4)))


def render(
    frame: pd.DataFrame, weight: np.ndarray, supplier: Supplier, authority: Authority, year: int
) -> dict[str, W.Cells]:
    """Canonical respondent values -> the cells this supplier writes, per canonical column."""
    n = len(frame)
    labels = load_labels()
    preferred = {c: labels.by_style[supplier.ethnicity_style][c][0] for c in labels.codes}
    code = frame["census_code"]
    ethnicity = code.map(preferred).where(code.notna(), PREFER_NOT_TO_SAY).to_numpy(dtype=object)
    band_of = dict(zip([b[0] for b in AGE_BANDS], supplier.age_band, strict=True))
    cells = {
        "respondent_id": _ids(n, year, supplier.id_style),
        "authority_code": W.Cells.of_text(np.full(n, authority.code, dtype=object)),
        "survey_wave": W.Cells.of_text(np.full(n, wave_label(year, SUPPLIERS.index(supplier)), dtype=object)),
        "fieldwork_date": _dates(frame["fieldwork_date"].to_numpy(), supplier.date_style),
        "age_band": W.Cells.of_text(frame["age_band"].map(band_of).to_numpy(dtype=object)),
        "sex": W.Cells.of_text(frame["sex"].map(supplier.sex).to_numpy(dtype=object)),
        "ethnicity": W.Cells.of_text(ethnicity),
        "ward": W.Cells.of_text(frame["ward"].to_numpy(dtype=object)),
        "tenure": W.Cells.of_text(frame["tenure"].to_numpy(dtype=object)),
        "data_status": W.Cells.of_text(np.full(n, "SYNTHETIC", dtype=object)),
    }
    for q in QUESTIONS:
        answers = frame[q.name].replace(q.dont_know, supplier.dont_know).to_numpy(dtype=object)
        cells[q.name] = W.Cells.of_text(answers)
    weight_text = W.decimal(weight, supplier.weight_places)
    cells["weight"] = (
        W.Cells.of_numbers(weight_text) if supplier.ext == "xlsx" else W.Cells.of_text(weight_text)
    )
    return cells


def fault_value(
    kind: str, j: int, row: int, cells: dict[str, W.Cells], supplier: Supplier, year: int
) -> tuple[str, str, bool, str]:
    """The (canonical column, text, numeric cell?, fault name) planted for the j-th fault of a kind."""
    xlsx = supplier.ext == "xlsx"
    if kind == F.UNKNOWN_LABEL:
        if j % 2 == 0:
            unmapped = load_labels().unmapped()
            return "ethnicity", unmapped[(j // 2) % len(unmapped)], False, "unknown_ethnicity_label"
        return "trust_council", "99", False, "unknown_answer_code"  # an unlabelled SPSS code
    if kind == F.DUPLICATE_ROW:
        return "respondent_id", str(cells["respondent_id"].text[row]), xlsx, _FAULT_NAMES[kind]
    if kind == F.IMPOSSIBLE_DATE:
        text = f"31-Feb-{year - 1}" if supplier.date_style == "spss" else f"31/02/{year - 1}"
        return "fieldwork_date", text, False, _FAULT_NAMES[kind]
    if kind == F.NEGATIVE_NUMBER:
        return "weight", "-" + str(cells["weight"].text[row]), xlsx, _FAULT_NAMES[kind]
    if kind == F.TEXT_IN_NUMERIC:
        return "weight", ("#NULL!", "n/a")[j % 2], False, _FAULT_NAMES[kind]
    if kind == F.OUT_OF_RANGE:
        return "weight", "0", xlsx, _FAULT_NAMES[kind]  # a design weight must be positive
    raise ValueError(kind)  # pragma: no cover - a kind this source does not plant


def column_aliases() -> dict[str, tuple[str, ...]]:
    """Every header each canonical column has in some supplier's files (a draft for the contract)."""
    out: dict[str, list[str]] = {c: [] for c in CANONICAL}
    for supplier in SUPPLIERS:
        for canonical, header in supplier.headers:
            if header not in out[canonical]:
                out[canonical].append(header)
    return {c: tuple(v) for c, v in out.items()}


def file_name(authority: Authority, year: int, ext: str) -> str:
    return f"{SOURCE}_{authority.code}_{year - 1}-{year % 100:02d}_synthetic.{ext}"


def write_file(
    inbox_dir: Path,
    authority: Authority,
    year: int,
    frame: pd.DataFrame,
    weight_written: np.ndarray,
    ctx: DemoContext,
    drop_column: str | None,
) -> tuple[dict, list[dict], np.ndarray]:
    """Write one file; returns its record, its fault records and the rows kept in the statistics."""
    supplier = SUPPLIERS[supplier_for(authority, year)]
    name = file_name(authority, year, supplier.ext)
    rel = f"{SOURCE}/{name}"
    n = len(frame)
    cells = render(frame, weight_written, supplier, authority, year)
    headers = [(c, h) for c, h in supplier.headers if c != drop_column]

    order, injected = np.arange(n), {}
    if ctx.dirty is not None and drop_column is None:
        plan = F.plan(ctx.rng(SOURCE, authority.index, year, 1), n, ctx.dirty)
        order, injected = plan.order, _inject(plan, cells, supplier, year)

    columns = [cells[c] if order.size == n else cells[c].take(order) for c, _ in headers]
    header = [h for _, h in headers]
    title_rows: list[str] = []
    footer_rows: list[int] = []
    if supplier.ext == "csv":
        W.write_csv(inbox_dir / name, header, columns, encoding=supplier.encoding)
    else:
        title_rows, footer_rows = _write_xlsx(inbox_dir / name, authority, year, ctx.seed, headers, columns)
    header_row = len(title_rows) + 1
    first, copy = F.physical_rows(order, header_row + 1)
    records, kept = F.fault_records(
        rel, injected, first, copy, header_row, dict(headers), "respondent_id", cells["respondent_id"].text
    )
    excluded = ~kept
    if drop_column is not None:
        excluded[:] = True
        records.insert(0, _missing_column(rel, drop_column, dict(supplier.headers)[drop_column]))

    file_record = {
        "file": rel,
        "source": SOURCE,
        "authority_code": authority.code,
        "year": year,
        "wave": f"{year - 1}/{year % 100:02d}",
        "format": supplier.ext,
        "encoding": supplier.encoding if supplier.ext == "csv" else None,
        "sheet": "Data" if supplier.ext == "xlsx" else None,
        "title_rows": list(range(1, len(title_rows) + 1)),
        "header_row": header_row,
        "first_data_row": header_row + 1,
        "last_data_row": header_row + order.size,
        "footer_rows": footer_rows,
        "data_rows": int(order.size),
        "respondents": n,
        "header": header,
        "columns": {h: c for c, h in headers},
        "supplier": supplier_for(authority, year),
        "weight_scale": supplier.weight_scale,
        "rejected": drop_column is not None,
    }
    return file_record, records, ~excluded


def _write_xlsx(
    path: Path, authority: Authority, year: int, seed: int, headers: list[tuple[str, str]], columns: list
) -> tuple[list[str], list[int]]:
    """Supplier 2's data table: two title rows, the header, the data and a Total row (sum of weights)."""
    title_rows = [
        f"SYNTHETIC DEMO DATA - {authority.name} Residents' Survey "
        f"{wave_label(year, supplier_for(authority, year))}",
        f"Respondent-level data, fictional council generated by observatory.demo (seed {seed}); "
        "not real people. Weighted to the resident population aged 16+.",
    ]
    footer = [
        W.Cells.of_text(np.array(["Total" if i == 0 else ""], dtype=object)) for i in range(len(headers))
    ]
    canonical = [c for c, _ in headers]
    if "weight" in canonical:
        col = columns[canonical.index("weight")]
        total = pd.to_numeric(pd.Series(col.text[col.numeric]), errors="coerce").sum()
        footer[canonical.index("weight")] = W.Cells.of_numbers(W.decimal(np.array([total]), 3))
    W.write_xlsx(
        path,
        sheet="Data",
        title_rows=title_rows,
        header=[h for _, h in headers],
        columns=columns,
        footer_rows=[footer],
    )
    return title_rows, [len(title_rows) + 1 + columns[0].text.size + 1]


Injected = dict[int, tuple[str, str, bool, str]]  # clean row -> (column, text, numeric?, fault name)


def _inject(plan: F.FaultPlan, cells: dict[str, W.Cells], supplier: Supplier, year: int) -> Injected:
    """Overwrite the planned cells (a duplicate's copy is added when the rows are ordered)."""
    injected: Injected = {}
    seen: dict[str, int] = {}
    for row, kind in zip(plan.rows.tolist(), plan.kinds.tolist(), strict=True):
        j = seen[kind] = seen.get(kind, -1) + 1  # faults of this kind so far: rotates the variants
        column, text, numeric, fault = fault_value(kind, j, row, cells, supplier, year)
        if kind != F.DUPLICATE_ROW:
            cells[column].set(row, text, numeric=numeric)
        injected[row] = (column, text, numeric, fault)
    return injected


def _missing_column(rel: str, canonical: str, header: str) -> dict:
    """The file-level fault of a file delivered without a required column (ingest rejects it)."""
    return {
        "file": rel,
        "row": None,
        "data_row": None,
        "column": header,
        "canonical_column": canonical,
        "value": None,
        "fault": "missing_required_column",
    }
