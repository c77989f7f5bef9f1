"""The ground-truth file: what was planted, so tests can check the pipeline finds exactly that.

``inbox/ground_truth.json`` is written with sorted keys and rounded floats so that the same seed
gives the same bytes. Paths in it are relative to the inbox (``hr_payroll/hr_payroll_..._synthetic.csv``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from observatory.demo.context import DemoContext

SCHEMA_VERSION = 1
FLOAT_PLACES = 6

CONVENTIONS = {
    "paths": "File paths are relative to the inbox folder.",
    "row_numbers": (
        "'row' is the physical row: the line number in a CSV (header = line 1, first data row = "
        "line 2) or the row number in the XLSX sheet (title rows and header count). 'data_row' is "
        "the 1-based position among data rows."
    ),
    "clean_vs_dirty": (
        "mode 'clean': every row of every file is valid per the source contract and all rows are "
        "in the expected statistics. mode 'dirty': the rows listed in each source's 'faults' "
        "carry an injected fault; expected statistics are computed over the rows NOT listed, i.e. "
        "what remains if ingest quarantines every faulty row. A duplicate_row fault lists only the "
        "copy (its 'duplicate_of_row' is the original, which stays valid and is counted). "
        "Unknown ethnicity labels or codes are not row errors: ingest loads those rows and staging "
        "marks them 'unmapped' (listed in marts.dq_unmapped_ethnicity), so they count in all-person "
        "totals of the pipeline but in no group; the expected statistics leave them out entirely. "
        "A file with a missing required column is rejected whole and none of its rows count. "
        "All other rows are identical to clean mode with the same seed."
    ),
    "codes": "Ethnic groups are Census 2021 codes from seeds/ethnicity/ethnicity_census2021.csv.",
}


def rounded(value: float | None, places: int = FLOAT_PLACES) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), places)


def new_truth(ctx: DemoContext) -> dict:
    return {
        "synthetic": True,
        "generator": "observatory.demo",
        "schema_version": SCHEMA_VERSION,
        "seed": ctx.seed,
        "scale": ctx.scale,
        "years": len(ctx.snapshot_dates),
        "dirty": ctx.dirty is not None,
        "mode": "dirty" if ctx.dirty is not None else "clean",
        "dirty_config": ctx.dirty.as_dict() if ctx.dirty is not None else None,
        "snapshot_dates": [d.isoformat() for d in ctx.snapshot_dates],
        "authorities": [a.as_dict() for a in ctx.authorities],
        "conventions": CONVENTIONS,
        "sources": {},
    }


def merge_source_truth(sources: dict, source: str, truth: dict) -> None:
    """Add one domain's truth for ``source``. Two domains may write into one folder (education and
    care both publish EES benchmark files): their lists are concatenated and their dicts merged;
    any other key must agree."""
    if source not in sources:
        sources[source] = truth
        return
    merged = sources[source]
    for key, value in truth.items():
        if key not in merged:
            merged[key] = value
        elif isinstance(value, list) and isinstance(merged[key], list):
            merged[key] = merged[key] + value
        elif isinstance(value, dict) and isinstance(merged[key], dict):
            overlap = merged[key].keys() & value.keys()
            if overlap:
                raise ValueError(f"{source}: two domains both set {key}.{sorted(overlap)}")
            merged[key] = {**merged[key], **value}
        elif merged[key] != value:
            raise ValueError(f"{source}: two domains disagree on {key!r}")


def write_truth(path: Path, truth: dict) -> dict:
    """Write the JSON and return exactly what a reader will load from it."""
    text = json.dumps(truth, indent=1, sort_keys=True, ensure_ascii=False, allow_nan=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n", encoding="utf-8")
    return json.loads(text)
