"""Dirty mode: the faults real extracts carry, planted at a stated rate and recorded exactly.

A domain module says which fault kinds apply to which of its columns; this module picks the rows,
inserts duplicate rows and turns data positions into the row numbers a person would see.

Row numbers are PHYSICAL: the line number in a CSV file (the header is line 1, so the first data
row is line 2) or the row number in the XLSX sheet (title rows and the header count, so with two
title rows the first data row is row 4). ``data_row`` is the 1-based position among data rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Generic fault kinds; a domain declares which of its columns each applies to.
UNKNOWN_LABEL = "unknown_label"
DUPLICATE_ROW = "duplicate_row"
IMPOSSIBLE_DATE = "impossible_date"
NEGATIVE_NUMBER = "negative_number"
TEXT_IN_NUMERIC = "text_in_numeric"
OUT_OF_RANGE = "out_of_range"


@dataclass(frozen=True)
class DirtyConfig:
    """How dirty the extracts are. ``rate`` is the share of data rows given a fault; every kind
    appears at least once per file so each check is exercised even in small files."""

    rate: float = 0.01
    kinds: tuple[str, ...] = (
        UNKNOWN_LABEL,
        DUPLICATE_ROW,
        IMPOSSIBLE_DATE,
        NEGATIVE_NUMBER,
        TEXT_IN_NUMERIC,
        OUT_OF_RANGE,
    )

    def as_dict(self) -> dict:
        return {"rate": self.rate, "kinds": list(self.kinds)}


@dataclass
class FaultPlan:
    """Which clean rows (0-based positions in the clean frame) get which fault."""

    rows: np.ndarray
    kinds: np.ndarray
    order: np.ndarray


def plan(rng: np.random.Generator, n_rows: int, config: DirtyConfig) -> FaultPlan:
    """Distinct rows for ``max(len(kinds), round(rate * n_rows))`` faults, kinds in rotation.

    ``order`` is the written row order: clean rows in order, each duplicated row repeated
    straight after itself (as a bad join or a double export produces)."""
    n = min(n_rows, max(len(config.kinds), round(config.rate * n_rows)))
    rows = rng.choice(n_rows, size=n, replace=False)
    kinds = np.array(config.kinds, dtype=object)[np.arange(n) % len(config.kinds)]
    dup = np.sort(rows[kinds == DUPLICATE_ROW])
    order = np.insert(np.arange(n_rows), dup + 1, dup)
    return FaultPlan(rows=rows, kinds=kinds, order=order)


def physical_rows(order: np.ndarray, first_data_row: int) -> tuple[np.ndarray, np.ndarray]:
    """For each clean row: its physical row and, when duplicated, the copy's physical row (else -1)."""
    n = int(order.max()) + 1 if order.size else 0
    first = np.full(n, -1, dtype=np.int64)
    second = np.full(n, -1, dtype=np.int64)
    positions = np.arange(order.size)
    # order is non-decreasing, so the first occurrence of each row comes before its copy.
    is_first = np.r_[True, order[1:] != order[:-1]]
    first[order[is_first]] = positions[is_first] + first_data_row
    second[order[~is_first]] = positions[~is_first] + first_data_row
    return first, second


def fault_records(
    rel: str,
    injected: dict[int, tuple[str, str, bool, str]],
    first: np.ndarray,
    copy: np.ndarray,
    header_row: int,
    header_of: dict[str, str],
    id_column: str,
    ids: np.ndarray,
) -> tuple[list[dict], np.ndarray]:
    """One record per injected fault (clean row -> (canonical column, text, numeric, fault name)) at
    its physical row, in file order, naming the row's ``id_column`` value; and which clean rows stay
    valid (a duplicate's original does: ingest keeps the first occurrence)."""
    records: list[dict] = []
    valid = np.ones(first.size, dtype=bool)
    for row, (column, text, numeric, fault) in sorted(injected.items(), key=lambda kv: first[kv[0]]):
        valid[row] = fault == "duplicate_row"
        physical = int(copy[row]) if fault == "duplicate_row" else int(first[row])
        record = {
            "file": rel,
            "row": physical,
            "data_row": physical - header_row,
            "column": header_of[column],
            "canonical_column": column,
            "value": float(text) if numeric else text,
            "fault": fault,
            id_column: str(ids[row]),
        }
        if fault == "duplicate_row":
            record["duplicate_of_row"] = int(first[row])
        records.append(record)
    return records, valid
