"""Process pools for the CPU-bound steps (ingest checks, disclosure chunks, exports), one way.

Spawned, never forked: Dagster, dbt and DuckDB run threads that a fork would copy mid-flight. Sized
by the caller, usually from ``config.cores()``.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from itertools import repeat


def process_pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))


def map_in_processes(function: Callable, items: Sequence, args: tuple, workers: int) -> list:
    """``function(item, *args)`` for every item, in order: in this process when one would do (one
    item or one worker), else in up to ``workers`` processes (``function`` module-level, so that a
    worker can import it)."""
    if len(items) <= 1 or workers <= 1:
        return [function(item, *args) for item in items]
    with process_pool(min(len(items), workers)) as pool:
        return list(pool.map(function, items, *(repeat(a) for a in args)))
