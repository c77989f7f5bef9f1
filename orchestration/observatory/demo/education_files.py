"""Writing the pupil-level education extracts as councils' systems export them, faults and all.

Each authority uses one of three systems (``(index - 1) % 3``): an LA data warehouse (Northbrook's),
a school MIS export and a system that already uses snake_case names. They differ in headers, value
spellings (``M``/``Male``, ``Reception``/``R``, ``950/2001``/``9502001``), encodings and formats:
CSV for the census, KS4 and exclusions (the MIS writes KS4 as an XLSX report), XLSX with title rows
and a Total row for the EYFSP. Every CSV carries a ``data status`` column reading SYNTHETIC; every
XLSX says so in its title row; school names end "(synthetic)".

CSV text is assembled with numpy string operations rather than the csv module (an England run
writes ~35 million rows); values are quoted where they contain a comma or a quote, as csv would.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from observatory.demo import faults as F
from observatory.demo import writers as W
from observatory.demo.authorities import Authority

SYNTHETIC = "SYNTHETIC"
REASONS = (
    ("PD", "Persistent disruptive behaviour", 0.46, 0.35),
    ("VA", "Verbal abuse or threatening behaviour against an adult", 0.18, 0.10),
    ("PP", "Physical assault against a pupil", 0.12, 0.20),
    ("VP", "Verbal abuse or threatening behaviour against a pupil", 0.06, 0.03),
    ("PA", "Physical assault against an adult", 0.04, 0.10),
    ("DA", "Drug and alcohol related", 0.04, 0.08),
    ("OW", "Use or threat of use of an offensive weapon or prohibited item", 0.03, 0.09),
    ("DM", "Damage", 0.02, 0.01),
    ("BU", "Bullying", 0.015, 0.01),
    ("RA", "Racist abuse", 0.01, 0.01),
    ("SM", "Sexual misconduct", 0.01, 0.015),
    ("MT", "Inappropriate use of social media or online technology", 0.01, 0.005),
    ("TH", "Theft", 0.005, 0.005),
)  # (code, DfE reason, share of suspensions, share of permanent exclusions)


@dataclass(frozen=True)
class Layout:
    """One system's export of one source: headers in file order and how values are spelled."""

    headers: tuple[tuple[str, str], ...]  # (canonical column, header in the file)
    spell: dict[str, dict] = field(default_factory=dict)  # canonical column -> {value: text}
    fmt: str = "csv"
    encoding: str = "cp1252"
    laestab_slash: bool = False  # "950/2001" rather than "9502001"


_YEAR_R = {0: "R", **{g: str(g) for g in range(1, 12)}}
_YEAR_WORDS = {0: "Reception", **{g: f"Year {g}" for g in range(1, 12)}}
_MF = {False: "F", True: "M"}
_SEX_WORDS = {False: "Female", True: "Male"}
_YN = {False: "N", True: "Y"}
_SEN_CODES = {0: "N", 1: "K", 2: "E"}
_ONE_ZERO = {False: "0", True: "1"}
_REASON_CODES = {i: r[0] for i, r in enumerate(REASONS)}
_REASON_TEXT = {i: r[1] for i, r in enumerate(REASONS)}

# Headers in file order per system: (canonical column, header in the file).
_CENSUS_HEADERS = (
    (("upn", "UPN"), ("laestab", "LAESTAB"), ("urn", "URN"), ("school_name", "School Name"),
     ("nc_year", "NC Year Actual"), ("age", "Age at Start of Year"), ("date_of_birth", "DOB"),
     ("sex", "Gender"), ("ethnicity", "Ethnicity"), ("fsm_eligible", "FSM Eligible"),
     ("sen_provision", "SEN Provision"), ("eal", "EAL"), ("census_date", "Census Date"),
     ("data_status", "Data Status")),
    (("upn", "Pupil UPN"), ("laestab", "DfE Number"), ("urn", "URN"), ("school_name", "Establishment"),
     ("nc_year", "Year Group"), ("age", "Age"), ("date_of_birth", "Date of Birth"), ("sex", "Sex"),
     ("ethnicity", "Ethnic Code"), ("fsm_eligible", "FSM"), ("sen_provision", "SEN Status"),
     ("eal", "First Language"), ("census_date", "Census Date"), ("data_status", "Record Status")),
    (("upn", "upn"), ("laestab", "laestab"), ("urn", "urn"), ("school_name", "school_name"),
     ("nc_year", "nc_year"), ("age", "age_start_of_year"), ("date_of_birth", "date_of_birth"),
     ("sex", "sex"), ("ethnicity", "ethnicity"), ("fsm_eligible", "fsm_eligible"),
     ("sen_provision", "sen_provision"), ("eal", "eal"), ("census_date", "census_date"),
     ("data_status", "data_status")),
)  # fmt: skip
_EYFSP_HEADERS = (
    (("upn", "UPN"), ("laestab", "LAESTAB"), ("school_name", "School Name"), ("date_of_birth", "DOB"),
     ("sex", "Gender"), ("elgs_expected", "ELGs at Expected"), ("gld", "GLD"),
     ("academic_year", "Academic Year")),
    (("upn", "Pupil UPN"), ("laestab", "DfE Number"), ("school_name", "Establishment"),
     ("date_of_birth", "Date of Birth"), ("sex", "Sex"), ("elgs_expected", "Number of ELGs Expected"),
     ("gld", "Good Level of Development"), ("academic_year", "Year")),
    (("upn", "upn"), ("laestab", "laestab"), ("school_name", "school_name"),
     ("date_of_birth", "date_of_birth"), ("sex", "sex"), ("elgs_expected", "elgs_at_expected"),
     ("gld", "gld"), ("academic_year", "academic_year")),
)  # fmt: skip
_KS4_HEADERS = (
    (("upn", "UPN"), ("laestab", "LAESTAB"), ("school_name", "School Name"), ("date_of_birth", "DOB"),
     ("sex", "Gender"), ("attainment8", "ATT8SCR"), ("em_grade5", "EM95"),
     ("academic_year", "Academic Year"), ("data_status", "Data Status")),
    (("upn", "Pupil UPN"), ("laestab", "DfE Number"), ("school_name", "Establishment"),
     ("date_of_birth", "Date of Birth"), ("sex", "Sex"), ("attainment8", "Attainment 8 Score"),
     ("em_grade5", "English and Maths Grade 5+"), ("academic_year", "Year")),
    (("upn", "upn"), ("laestab", "laestab"), ("school_name", "school_name"),
     ("date_of_birth", "date_of_birth"), ("sex", "sex"), ("attainment8", "attainment_8"),
     ("em_grade5", "eng_maths_grade_5_plus"), ("academic_year", "academic_year"),
     ("data_status", "data_status")),
)  # fmt: skip
_EXCLUSION_HEADERS = (
    (("upn", "UPN"), ("laestab", "LAESTAB"), ("school_name", "School Name"),
     ("category", "Exclusion Type"), ("start_date", "Start Date"), ("reason", "Reason"),
     ("sessions", "Sessions"), ("academic_year", "Academic Year"), ("data_status", "Data Status")),
    (("upn", "Pupil UPN"), ("laestab", "DfE Number"), ("school_name", "Establishment"),
     ("category", "Category"), ("start_date", "Start Date"), ("reason", "Reason Code"),
     ("sessions", "Number of Sessions"), ("academic_year", "Year"), ("data_status", "Record Status")),
    (("upn", "upn"), ("laestab", "laestab"), ("school_name", "school_name"), ("category", "category"),
     ("start_date", "start_date"), ("reason", "reason_code"), ("sessions", "sessions"),
     ("academic_year", "academic_year"), ("data_status", "data_status")),
)  # fmt: skip

LAYOUTS: dict[str, tuple[Layout, ...]] = {
    "school_census": (
        Layout(
            _CENSUS_HEADERS[0],
            {"nc_year": _YEAR_R, "sex": _MF, "fsm_eligible": _YN, "sen_provision": _SEN_CODES, "eal": _YN},
        ),
        Layout(
            _CENSUS_HEADERS[1],
            {
                "nc_year": _YEAR_WORDS,
                "sex": _SEX_WORDS,
                "fsm_eligible": {False: "False", True: "True"},
                "sen_provision": {0: "No SEN", 1: "SEN Support", 2: "EHC Plan"},
                "eal": {False: "English", True: "Other than English"},
            },
            encoding="utf-8",
            laestab_slash=True,
        ),
        Layout(
            _CENSUS_HEADERS[2],
            {
                "nc_year": _YEAR_R,
                "sex": _MF,
                "fsm_eligible": _ONE_ZERO,
                "sen_provision": _SEN_CODES,
                "eal": _ONE_ZERO,
            },
        ),
    ),
    "eyfsp": (
        Layout(_EYFSP_HEADERS[0], {"sex": _MF, "gld": _YN}, fmt="xlsx"),
        Layout(
            _EYFSP_HEADERS[1],
            {"sex": _SEX_WORDS, "gld": {False: "No", True: "Yes"}},
            fmt="xlsx",
            laestab_slash=True,
        ),
        Layout(_EYFSP_HEADERS[2], {"sex": _MF, "gld": _ONE_ZERO}, fmt="xlsx"),
    ),
    "ks4": (
        Layout(_KS4_HEADERS[0], {"sex": _MF, "em_grade5": _ONE_ZERO}),
        Layout(
            _KS4_HEADERS[1],
            {"sex": _SEX_WORDS, "em_grade5": {False: "No", True: "Yes"}},
            fmt="xlsx",
            laestab_slash=True,
        ),
        Layout(_KS4_HEADERS[2], {"sex": _MF, "em_grade5": _YN}),
    ),
    "exclusions": (
        Layout(
            _EXCLUSION_HEADERS[0],
            {"category": {0: "Suspension", 1: "Permanent exclusion"}, "reason": _REASON_TEXT},
        ),
        Layout(
            _EXCLUSION_HEADERS[1],
            {"category": {0: "FIXD", 1: "PERM"}, "reason": _REASON_CODES},
            encoding="utf-8",
            laestab_slash=True,
        ),
        Layout(
            _EXCLUSION_HEADERS[2], {"category": {0: "suspension", 1: "permanent"}, "reason": _REASON_CODES}
        ),
    ),
}

DATE_COLUMNS = frozenset({"date_of_birth", "census_date", "start_date"})
NUMBER_COLUMNS = frozenset({"urn", "age", "elgs_expected", "attainment8", "sessions"})
FREE_TEXT = frozenset({"school_name"})
DIRECT_IDENTIFIERS = ("date_of_birth",)
# A required column dropped from one file per source in dirty mode (a file-level fault).
MISSING_COLUMN = {
    "school_census": "ethnicity",
    "eyfsp": "gld",
    "ks4": "attainment8",
    "exclusions": "category",
}


def system_for(authority: Authority) -> int:
    return (authority.index - 1) % 3


# --- formatting -------------------------------------------------------------------------------


def _quote_one(text: str) -> str:
    """CSV minimal quoting (as the csv module does) for a value with a comma, quote or line break."""
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _via_vocab(values: np.ndarray, to_text: Callable[[np.ndarray], list[str]]) -> np.ndarray:
    """Render each distinct value once (schools, dates, codes repeat thousands of times); missing
    values become empty cells."""
    codes, uniques = pd.factorize(values, sort=False)
    vocab = np.array([*to_text(np.asarray(uniques)), ""], dtype=object)
    return vocab[codes]


def text_cells(text: np.ndarray) -> W.Cells:
    """Cells holding Python strings (object dtype): the CSV writer joins them directly."""
    return W.Cells(np.asarray(text, dtype=object), np.zeros(len(text), dtype=bool))


def number_cells(text: np.ndarray, style: int = W.STYLE_GENERAL) -> W.Cells:
    text = np.asarray(text, dtype=object)
    return W.Cells(text, text != "", style)


def uk_dates(days: np.ndarray) -> np.ndarray:
    """datetime64 -> dd/mm/yyyy, each distinct date formatted once."""
    return _via_vocab(np.asarray(days, dtype="datetime64[D]"), lambda u: W.uk_dates(u).tolist())


def _spelled(values: np.ndarray, mapping: dict, quote: bool) -> np.ndarray:
    """Coded values (bools or small ints) -> the system's spelling, through a vocabulary."""
    keys = sorted(mapping)
    if keys != list(range(len(keys))):
        raise ValueError(f"spellings must be keyed 0..n-1 or False/True, not {keys}")
    vocab = np.array([_quote_one(mapping[k]) if quote else mapping[k] for k in keys], dtype=object)
    return vocab[np.asarray(values).astype(np.int64)]


def _laestab_slash(values: np.ndarray) -> list[str]:
    """9502001 -> '950/2001', as a DfE number is often written."""
    return [f"{x // 10000}/{x % 10000:04d}" for x in values.tolist()]


def _plain_ints(values: np.ndarray) -> list[str]:
    return [str(int(x)) for x in values.tolist()]


def render(frame: pd.DataFrame, layout: Layout) -> dict[str, W.Cells]:
    """Canonical values -> the cells the system writes (XLSX keeps numbers and dates numeric)."""
    xlsx = layout.fmt == "xlsx"
    out: dict[str, W.Cells] = {}
    for canonical, _ in layout.headers:
        v = frame[canonical].to_numpy()
        if canonical in layout.spell:
            cells = text_cells(_spelled(v, layout.spell[canonical], not xlsx))
        elif canonical in DATE_COLUMNS:
            if xlsx:
                cells = number_cells(
                    _via_vocab(v.astype("datetime64[D]"), lambda u: W.excel_serial(u).tolist()), W.STYLE_DATE
                )
            else:
                cells = text_cells(uk_dates(v))
        elif canonical == "laestab":
            cells = text_cells(_via_vocab(v, _laestab_slash if layout.laestab_slash else _plain_ints))
        elif canonical == "attainment8":
            text = _via_vocab(v, lambda u: W.decimal(u, 1).tolist())
            cells = number_cells(text) if xlsx else text_cells(text)
        elif canonical in NUMBER_COLUMNS:
            text = _via_vocab(v, _plain_ints)
            cells = number_cells(text) if xlsx else text_cells(text)
        elif canonical in FREE_TEXT:
            cells = text_cells(_via_vocab(v, lambda u: [x if xlsx else _quote_one(x) for x in u.tolist()]))
        else:  # identifiers and fixed values: never a comma or quote
            cells = text_cells(np.asarray(v, dtype=object))
        out[canonical] = cells
    return out


def write_csv_fast(path: Path, header: list[str], columns: list[W.Cells], encoding: str) -> None:
    """CRLF lines, header first, cells already quoted: byte-identical to the csv module's output,
    several times faster (rows joined from Python strings)."""
    lists = [c.text.tolist() for c in columns]
    lines = [",".join(_quote_one(h) for h in header), *map(",".join, zip(*lists, strict=True))]
    text = "\r\n".join(lines) + "\r\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("ascii") if text.isascii() else text.encode(encoding))


# --- faults -----------------------------------------------------------------------------------

# Per source: fault kind -> (canonical column, fault name, variants(j, clean text) -> (text, numeric)).
FaultSpec = dict[str, tuple[str, str, Callable[[int, str], tuple[str, bool]]]]


def _impossible(j: int, clean: str) -> tuple[str, bool]:
    year = clean[-4:] if len(clean) >= 4 and clean[-4:].isdigit() else "2024"
    return (f"{('31/02/', '30/02/', '31/04/')[j % 3]}{year}", False)


def _cycle(*values: str, numeric: bool = False) -> Callable[[int, str], tuple[str, bool]]:
    """The j-th fault of a kind writes values[j % n]."""
    return lambda j, clean: (values[j % len(values)], numeric)


def _negated(default: str) -> Callable[[int, str], tuple[str, bool]]:
    return lambda j, clean: (f"-{clean or default}", True)


def _unchanged(j: int, clean: str) -> tuple[str, bool]:
    return clean, False


FAULTS: dict[str, FaultSpec] = {
    "school_census": {
        F.UNKNOWN_LABEL: ("ethnicity", "unknown_ethnicity_code", _cycle("WBR", "BLKA", "XXXX", "AFRO")),
        F.IMPOSSIBLE_DATE: ("date_of_birth", "impossible_date", _impossible),
        F.NEGATIVE_NUMBER: ("age", "negative_age", _negated("5")),
        F.TEXT_IN_NUMERIC: ("age", "text_in_numeric", _cycle("n/a", "ten")),
        F.OUT_OF_RANGE: ("age", "age_out_of_range", _cycle("45", "99", numeric=True)),
        F.DUPLICATE_ROW: ("upn", "duplicate_row", _unchanged),
    },
    "eyfsp": {
        F.UNKNOWN_LABEL: ("gld", "unknown_gld_code", _cycle("P", "Yes?", "Z")),
        F.IMPOSSIBLE_DATE: ("date_of_birth", "impossible_date", _impossible),
        F.NEGATIVE_NUMBER: ("elgs_expected", "negative_elgs", _negated("3")),
        F.TEXT_IN_NUMERIC: ("elgs_expected", "text_in_numeric", _cycle("n/a", "all")),
        F.OUT_OF_RANGE: ("elgs_expected", "elgs_out_of_range", _cycle("21", "99", numeric=True)),
        F.DUPLICATE_ROW: ("upn", "duplicate_row", _unchanged),
    },
    "ks4": {
        F.UNKNOWN_LABEL: ("em_grade5", "unknown_em_code", _cycle("Q", "?", "P")),
        F.IMPOSSIBLE_DATE: ("date_of_birth", "impossible_date", _impossible),
        F.NEGATIVE_NUMBER: ("attainment8", "negative_attainment8", _negated("12.5")),
        F.TEXT_IN_NUMERIC: ("attainment8", "text_in_numeric", _cycle("ABS", "n/a")),
        F.OUT_OF_RANGE: ("attainment8", "attainment8_out_of_range", _cycle("95.5", "120", numeric=True)),
        F.DUPLICATE_ROW: ("upn", "duplicate_row", _unchanged),
    },
    "exclusions": {
        F.UNKNOWN_LABEL: ("reason", "unknown_reason", _cycle("ZZ", "Misc", "XX")),
        F.IMPOSSIBLE_DATE: ("start_date", "impossible_date", _impossible),
        F.NEGATIVE_NUMBER: ("sessions", "negative_sessions", _negated("4")),
        F.TEXT_IN_NUMERIC: ("sessions", "text_in_numeric", _cycle("two days", "n/a")),
        F.OUT_OF_RANGE: ("sessions", "sessions_out_of_range", _cycle("250", "999", numeric=True)),
        F.DUPLICATE_ROW: ("upn", "duplicate_row", _unchanged),
    },
}


def _inject(
    cells: dict[str, W.Cells], plan: F.FaultPlan, spec: FaultSpec, xlsx: bool
) -> dict[int, tuple[str, str, bool, str]]:
    """Overwrite the planned cells; returns clean row -> (canonical column, text, numeric, fault).
    Loops over the ~1% faulty rows only. In CSV every cell is text."""
    done: dict[int, tuple[str, str, bool, str]] = {}
    seen: dict[str, int] = {}
    for row, kind in zip(plan.rows.tolist(), plan.kinds.tolist(), strict=True):
        j = seen[kind] = seen.get(kind, -1) + 1
        column, fault, variant = spec[kind]
        clean = str(cells[column].text[row])
        if column in DATE_COLUMNS and xlsx:  # an Excel serial: the text a person would see
            clean = str(uk_dates(np.array([np.datetime64("1899-12-30") + int(clean)]))[0])
        text, numeric = variant(j, clean)
        numeric = numeric and xlsx
        if kind != F.DUPLICATE_ROW:
            cells[column].set(row, text, numeric=numeric)
        done[row] = (column, text, numeric, fault)
    return done


# --- one file ---------------------------------------------------------------------------------


@dataclass
class Written:
    record: dict
    faults: list[dict]
    include: np.ndarray  # clean rows that count in the expected statistics


def write_extract(
    folder: Path,
    name: str,
    source: str,
    layout_index: int,
    frame: pd.DataFrame,
    *,
    title: str,
    seed: int,
    rng_faults: np.random.Generator | None,
    dirty,
    drop_column: bool,
    footer: Callable[[list[str], list[W.Cells]], list[W.Cells]] | None = None,
    extra: dict | None = None,
) -> Written:
    """Render, plant faults, write one extract and describe it; ``frame`` holds canonical values."""
    layout = LAYOUTS[source][layout_index]
    xlsx = layout.fmt == "xlsx"
    cells = render(frame, layout)
    n = len(frame)
    if dirty is not None and rng_faults is not None and n:
        plan = F.plan(rng_faults, n, dirty)
        injected = _inject(cells, plan, FAULTS[source], xlsx)
        order = plan.order
    else:
        injected, order = {}, np.arange(n)
    if drop_column:  # faults planted in the dropped column are not in the file
        injected = {r: v for r, v in injected.items() if v[0] != MISSING_COLUMN[source]}
    headers = [(c, h) for c, h in layout.headers if not (drop_column and c == MISSING_COLUMN[source])]
    header = [h for _, h in headers]
    columns = [cells[c] if order.size == n else cells[c].take(order) for c, _ in headers]
    title_rows: list[str] = []
    footer_rows: list[int] = []
    if xlsx:
        title_rows = [
            title,
            f"Fictional council generated by observatory.demo (seed {seed}); not real pupils.",
        ]
        foot = [footer(header, columns)] if footer else []
        W.write_xlsx(
            folder / name,
            sheet=source.upper()[:31],
            title_rows=title_rows,
            header=header,
            columns=columns,
            footer_rows=foot,
        )
        footer_rows = [len(title_rows) + 1 + order.size + 1] if foot else []
    else:
        write_csv_fast(folder / name, header, columns, layout.encoding)
    header_row = len(title_rows) + 1
    first, copy = F.physical_rows(order, header_row + 1) if n else (np.empty(0), np.empty(0))
    rel = f"{source}/{name}"
    header_of = dict(layout.headers)
    faults, excluded = [], np.zeros(n, dtype=bool)
    upn = cells["upn"].text
    for row, (column, text, numeric, fault) in sorted(injected.items(), key=lambda kv: first[kv[0]]):
        duplicate = fault == "duplicate_row"
        excluded[row] = not duplicate  # a duplicate's original is valid: only the copy is faulty
        physical = int(copy[row]) if duplicate else int(first[row])
        record = {
            "file": rel,
            "row": physical,
            "data_row": physical - header_row,
            "column": header_of[column],
            "canonical_column": column,
            "value": float(text) if numeric else text,
            "fault": fault,
            "upn": str(upn[row]),
        }
        if duplicate:
            record["duplicate_of_row"] = int(first[row])
        faults.append(record)
    if drop_column:
        column = MISSING_COLUMN[source]
        faults.append(
            {
                "file": rel,
                "row": None,
                "data_row": None,
                "column": header_of[column],
                "canonical_column": column,
                "value": None,
                "fault": "missing_required_column",
            }
        )
        excluded[:] = True  # ingest rejects the whole file
    record = {
        "file": rel,
        "source": source,
        **(extra or {}),
        "format": layout.fmt,
        "encoding": layout.encoding if not xlsx else None,
        "sheet": source.upper()[:31] if xlsx else None,
        "title_rows": list(range(1, len(title_rows) + 1)),
        "header_row": header_row,
        "first_data_row": header_row + 1,
        "last_data_row": header_row + int(order.size),
        "footer_rows": footer_rows,
        "data_rows": int(order.size),
        "header": header,
        "columns": {h: c for c, h in headers},
        "direct_identifier_columns": [header_of[c] for c in DIRECT_IDENTIFIERS if c in dict(headers)],
        "system": layout_index,
        "missing_columns": [header_of[MISSING_COLUMN[source]]] if drop_column else [],
    }
    return Written(record, faults, ~excluded)
