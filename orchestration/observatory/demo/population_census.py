"""The Census 2021 TS021 file of the population domain (see ``population_files``).

``population_census2021_ts021_synthetic.csv`` in the ONS bulk CSV shape (Nomis): ``date``,
``geography``, ``geography code``, then one column per category headed with the real TS021 wording,
in the bulk file's order. One row for England, London and each of the 150 fictional authorities
whatever the scale; England and London are sums of the fictional authorities. Census day 2021 is
taken as the mid-2021 population, ``residents(authority, 2022)``. Also the fault bookkeeping both
population files share.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from observatory.demo import faults as F
from observatory.demo import population as P
from observatory.demo import writers as W
from observatory.demo.authorities import CENSUS_CODES, all_authorities
from observatory.demo.context import DemoContext

SOURCE = "population"  # the random-stream key, shared with the mid-year tables
CENSUS_SOURCE = "population_census"  # its own inbox folder and contract: a wide table, another shape

CENSUS_YEAR = 2021
CENSUS_RESIDENTS_YEAR = 2022  # residents(a, 2022) is the mid-2021 population: Census 2021
ENGLAND = ("E92000001", "England")
LONDON = ("E12000007", "London")

# TS021 columns in the Nomis bulk file's order: (key, header). Keys are Census 2021 codes for the
# 19 categories, the major group name for the 5 high-level groups, "Total" for all residents.
_T = "Ethnic group: "
_ASIAN, _BLACK = (
    "Asian, Asian British or Asian Welsh",
    "Black, Black British, Black Welsh, Caribbean or African",
)
_MIXED, _WHITE, _OTHER = "Mixed or Multiple ethnic groups", "White", "Other ethnic group"
TS021: tuple[tuple[str, str], ...] = (
    ("Total", f"{_T}Total: All usual residents"),
    ("Asian", f"{_T}{_ASIAN}"),
    ("ABAN", f"{_T}{_ASIAN}: Bangladeshi"),
    ("ACHN", f"{_T}{_ASIAN}: Chinese"),
    ("AIND", f"{_T}{_ASIAN}: Indian"),
    ("APKN", f"{_T}{_ASIAN}: Pakistani"),
    ("AOTH", f"{_T}{_ASIAN}: Other Asian"),
    ("Black", f"{_T}{_BLACK}"),
    ("BAFR", f"{_T}{_BLACK}: African"),
    ("BCRB", f"{_T}{_BLACK}: Caribbean"),
    ("BOTH", f"{_T}{_BLACK}: Other Black"),
    ("Mixed", f"{_T}{_MIXED}"),
    ("MWAS", f"{_T}{_MIXED}: White and Asian"),
    ("MWBA", f"{_T}{_MIXED}: White and Black African"),
    ("MWBC", f"{_T}{_MIXED}: White and Black Caribbean"),
    ("MOTH", f"{_T}{_MIXED}: Other Mixed or Multiple ethnic groups"),
    ("White", f"{_T}{_WHITE}"),
    ("WBRI", f"{_T}{_WHITE}: English, Welsh, Scottish, Northern Irish or British"),
    ("WIRI", f"{_T}{_WHITE}: Irish"),
    ("WGYP", f"{_T}{_WHITE}: Gypsy or Irish Traveller"),
    ("WROM", f"{_T}{_WHITE}: Roma"),
    ("WOTH", f"{_T}{_WHITE}: Other White"),
    ("Other", f"{_T}{_OTHER}"),
    ("OARA", f"{_T}{_OTHER}: Arab"),
    ("OOTH", f"{_T}{_OTHER}: Any other ethnic group"),
)
MAJORS = ("Asian", "Black", "Mixed", "White", "Other")
MAJOR_OF = {c: next(m for m in MAJORS if m[0] == c[0]) for c in CENSUS_CODES}
# The TS021 category label of each code, without the "Ethnic group: " prefix (the ONS style's values).
TS021_LABEL = {k: h.removeprefix(_T) for k, h in TS021 if k in CENSUS_CODES}

FAULT_NAMES = {
    F.UNKNOWN_LABEL: "unknown_code",
    F.DUPLICATE_ROW: "duplicate_row",
    F.IMPOSSIBLE_DATE: "impossible_date",
    F.NEGATIVE_NUMBER: "negative_count",
    F.TEXT_IN_NUMERIC: "text_in_numeric",
    F.OUT_OF_RANGE: "count_exceeds_total",
}
MISSING_COLUMN = "missing_required_column"
UNKNOWN_AREA_CODE = "X09000999"  # the right shape, but no such authority

# Census file header -> canonical column (the TS021 keys: Census codes, major groups, "Total").
CENSUS_COLUMNS = {"date": "date", "geography": "geography", "geography code": "geography_code"} | {
    h: k for k, h in TS021
}


def census_file_name() -> str:
    return f"{SOURCE}_census{CENSUS_YEAR}_ts021_synthetic.csv"


def census_counts() -> pd.DataFrame:
    """TS021 counts per geography (England, London, then the 150 authorities), columns = TS021 keys."""
    rows, codes, names = [], [], []
    for authority in all_authorities():
        by_group = P.residents(authority, CENSUS_RESIDENTS_YEAR).counts.sum(axis=(1, 2))
        rows.append(by_group)
        codes.append(authority.code)
        names.append(authority.name)
    per_la = np.array(rows, dtype=np.int64)
    london = np.array([a.region == "London" for a in all_authorities()])
    table = np.vstack([per_la.sum(axis=0), per_la[london].sum(axis=0), per_la])
    frame = pd.DataFrame(table, columns=list(CENSUS_CODES))
    for major in MAJORS:
        frame[major] = frame[[c for c in CENSUS_CODES if MAJOR_OF[c] == major]].sum(axis=1)
    frame["Total"] = frame[list(CENSUS_CODES)].sum(axis=1)
    frame.insert(0, "geography_code", [ENGLAND[0], LONDON[0], *codes])
    frame.insert(1, "geography", [f"{ENGLAND[1]} (synthetic)", f"{LONDON[1]} (synthetic)", *names])
    return frame


def no_faults(n: int) -> F.FaultPlan:
    return F.FaultPlan(rows=np.empty(0, np.int64), kinds=np.empty(0, object), order=np.arange(n))


def record_faults(
    rel: str,
    injected: dict[int, tuple[str, str, str, bool, str]],
    order: np.ndarray,
    first_data_row: int,
    keys: dict[str, np.ndarray],
) -> tuple[list[dict], np.ndarray]:
    """Fault records with physical rows, and the clean rows that stay in the expected statistics."""
    first, copy = F.physical_rows(order, first_data_row)
    n = len(next(iter(keys.values())))
    excluded = np.zeros(n, dtype=bool)
    out = []
    for row, (canonical, header, text, numeric, fault) in sorted(
        injected.items(), key=lambda kv: first[kv[0]]
    ):
        excluded[row] = fault != "duplicate_row"  # the original of a duplicate stays valid
        physical = int(copy[row]) if fault == "duplicate_row" else int(first[row])
        record = {
            "file": rel,
            "row": physical,
            "data_row": physical - first_data_row + 1,
            "column": header,
            "canonical_column": canonical,
            "value": float(text) if numeric else text,
            "fault": fault,
            **{k: str(v[row]) for k, v in keys.items()},
        }
        if fault == "duplicate_row":
            record["duplicate_of_row"] = int(first[row])
        out.append(record)
    return out, ~excluded


def write_census(inbox_dir: Path, ctx: DemoContext) -> tuple[dict, list[dict], list[dict]]:
    """The TS021 bulk CSV; returns (file record, fault records, expected census counts)."""
    frame = census_counts()
    n = len(frame)
    cells: dict[str, W.Cells] = {
        "date": W.Cells.of_text(np.full(n, str(CENSUS_YEAR))),
        "geography": W.Cells.of_text(frame["geography"].to_numpy()),
        "geography code": W.Cells.of_text(frame["geography_code"].to_numpy()),
    }
    for key, header in TS021:
        cells[header] = W.Cells.of_text(frame[key].to_numpy().astype(str))
    header = list(cells)
    injected: dict[int, tuple[str, str, str, bool, str]] = {}
    plan = no_faults(n)
    if ctx.dirty is not None:
        plan = F.plan(ctx.rng(SOURCE, 0, CENSUS_YEAR, 1), n, ctx.dirty)
        detailed = [h for k, h in TS021 if k in CENSUS_CODES]
        seen: dict[str, int] = {}
        for row, kind in zip(plan.rows.tolist(), plan.kinds.tolist(), strict=True):
            j = seen[kind] = seen.get(kind, -1) + 1
            column = detailed[(row + j) % len(detailed)]
            total = int(frame.at[row, "Total"])
            if kind == F.UNKNOWN_LABEL:
                column, text = "geography code", UNKNOWN_AREA_CODE
            elif kind == F.DUPLICATE_ROW:
                column, text = "geography code", str(frame.at[row, "geography_code"])
            elif kind == F.IMPOSSIBLE_DATE:
                column, text = "date", f"30/02/{CENSUS_YEAR}"
            elif kind == F.NEGATIVE_NUMBER:
                text = str(-max(int(cells[column].text[row]), 1))
            elif kind == F.TEXT_IN_NUMERIC:
                text = "n/a"
            elif kind == F.OUT_OF_RANGE:
                text = str(2 * total + 1)
            else:  # pragma: no cover - a kind this source does not plant
                raise ValueError(kind)
            if kind != F.DUPLICATE_ROW:
                cells[column].set(row, text, numeric=False)
            injected[row] = (CENSUS_COLUMNS[column], column, text, False, FAULT_NAMES[kind])
    order = plan.order
    columns = [cells[h] if order.size == n else cells[h].take(order) for h in header]
    name = census_file_name()
    W.write_csv(inbox_dir / name, header, columns, encoding="utf-8")
    rel = f"{CENSUS_SOURCE}/{name}"
    keys = {"area_code": frame["geography_code"].to_numpy()}
    fault_records, include = record_faults(rel, injected, order, 2, keys)
    record = {
        "file": rel,
        "source": CENSUS_SOURCE,
        "table": "census2021_ts021",
        "authority_code": None,
        "census_year": CENSUS_YEAR,
        "residents_year": CENSUS_RESIDENTS_YEAR,
        "format": "csv",
        "encoding": "utf-8",
        "sheet": None,
        "title_rows": [],
        "header_row": 1,
        "first_data_row": 2,
        "last_data_row": 1 + order.size,
        "footer_rows": [],
        "data_rows": int(order.size),
        "header": header,
        "columns": CENSUS_COLUMNS,
    }
    kept = frame[include].to_dict("records")
    expected = [
        {
            "geography_code": r["geography_code"],
            "geography": r["geography"],
            "total": int(r["Total"]),
            "major": {m: int(r[m]) for m in MAJORS},
            "counts": {c: int(r[c]) for c in CENSUS_CODES},
        }
        for r in kept
    ]
    return record, fault_records, expected
