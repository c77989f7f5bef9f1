"""Deterministic synthetic demo data: fictional councils' extracts with planted, documented truths.

``generate`` writes each source's extracts into ``inbox/<source>/`` the way real council systems
produce them (their own column names, Windows-1252 CSV, XLSX reports with title and total rows) and
``inbox/ground_truth.json`` recording what was planted, so tests can check that the pipeline finds
exactly that. Everything is fictional and says so: authority codes start ``X09`` (never an ONS
code), names end "(synthetic)" and every file name contains ``synthetic``.

One module per domain (``hr`` so far); each exposes ``SOURCE`` and ``write(inbox_dir, ctx)``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from observatory.demo import hr
from observatory.demo.authorities import SCALES, authorities_for
from observatory.demo.context import DemoContext
from observatory.demo.faults import DirtyConfig
from observatory.demo.truth import new_truth, write_truth

__all__ = ["LAST_SNAPSHOT", "SCALES", "SOURCES", "generate"]

LAST_SNAPSHOT = date(2025, 3, 31)
SOURCES: dict[str, Callable[[Path, DemoContext], dict]] = {hr.SOURCE: hr.write}


def generate(
    inbox: Path, *, seed: int = 42, scale: str = "borough", dirty: bool = False, years: int = 4
) -> dict:
    """Write demo extracts into inbox/<source>/ and inbox/ground_truth.json; return the ground-truth dict."""
    if seed < 0:
        raise ValueError("seed must be a non-negative integer")
    if years < 1:
        raise ValueError("years must be at least 1")
    inbox = Path(inbox)
    inbox.mkdir(parents=True, exist_ok=True)
    ctx = DemoContext(
        seed=int(seed),
        scale=scale,
        authorities=authorities_for(scale),
        snapshot_dates=tuple(date(LAST_SNAPSHOT.year - years + 1 + i, 3, 31) for i in range(years)),
        dirty=DirtyConfig() if dirty else None,
    )
    truth = new_truth(ctx)
    for source, write in SOURCES.items():
        truth["sources"][source] = write(inbox / source, ctx)
    return write_truth(inbox / "ground_truth.json", truth)
