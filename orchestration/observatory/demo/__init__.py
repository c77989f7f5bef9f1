"""Deterministic synthetic demo data: fictional councils' extracts with planted, documented truths.

``generate`` writes each source's extracts into ``inbox/<source>/`` the way real council systems
produce them (their own column names, Windows-1252 CSV, XLSX reports with title and total rows) and
``inbox/ground_truth.json`` recording what was planted, so tests can check that the pipeline finds
exactly that. Everything is fictional and says so: authority codes start ``X09`` (never an ONS
code), names end "(synthetic)" and every file name contains ``synthetic``.

One module per domain, listed in ``DOMAINS``. Each exposes ``SOURCES`` (the inbox folders it
writes, one per data contract) and ``write(inbox, ctx) -> {source: ground truth}``; it calls
``ctx.advance(DOMAIN)`` after each authority so the command line can show progress.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import date
from pathlib import Path
from types import ModuleType

from observatory.demo.authorities import SCALES, authorities_for
from observatory.demo.context import DemoContext
from observatory.demo.faults import DirtyConfig
from observatory.demo.truth import merge_source_truth, new_truth, write_truth

__all__ = ["DOMAINS", "LAST_SNAPSHOT", "SCALES", "domain_modules", "generate", "sources"]

LAST_SNAPSHOT = date(2025, 3, 31)
# Domain modules in generation order (population first: other domains read its denominators).
DOMAINS: tuple[str, ...] = (
    "population_files",
    "hr",
    "hr_people",
    "survey",
    "action_plan",
    "fingertips",
    "justice",
    "care",
    "education",
)


def domain_modules() -> list[ModuleType]:
    return [importlib.import_module(f"observatory.demo.{name}") for name in DOMAINS]


def sources() -> list[str]:
    """Every inbox folder the generator writes."""
    return [s for m in domain_modules() for s in m.SOURCES]


def generate(
    inbox: Path,
    *,
    seed: int = 42,
    scale: str = "borough",
    dirty: bool = False,
    years: int = 5,
    on_progress: Callable[[str, int], None] | None = None,
) -> dict:
    """Write demo extracts into inbox/<source>/ and inbox/ground_truth.json; return the ground-truth dict.

    ``on_progress(domain, n)`` is called as each domain finishes n more authorities; the total is
    ``len(DOMAINS) * number of authorities``."""
    if seed < 0:
        raise ValueError("seed must be a non-negative integer")
    if years < 1:
        raise ValueError("years must be at least 1")
    inbox = Path(inbox)
    inbox.mkdir(parents=True, exist_ok=True)
    extra = {"on_progress": on_progress} if on_progress is not None else {}
    ctx = DemoContext(
        seed=int(seed),
        scale=scale,
        authorities=authorities_for(scale),
        snapshot_dates=tuple(date(LAST_SNAPSHOT.year - years + 1 + i, 3, 31) for i in range(years)),
        dirty=DirtyConfig() if dirty else None,
        **extra,
    )
    truth = new_truth(ctx)
    for module in domain_modules():
        for source, source_truth in module.write(inbox, ctx).items():
            merge_source_truth(truth["sources"], source, source_truth)
    return write_truth(inbox / "ground_truth.json", truth)
