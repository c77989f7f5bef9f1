"""What every domain generator is given: the authorities, the snapshot dates and its random streams."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from observatory.demo.authorities import Authority
from observatory.demo.faults import DirtyConfig


def _no_progress(domain: str, done: int) -> None:
    return None


@dataclass(frozen=True)
class DemoContext:
    seed: int
    scale: str
    authorities: tuple[Authority, ...]
    snapshot_dates: tuple[date, ...]
    dirty: DirtyConfig | None
    # Called by a domain after each authority it finishes, so the CLI can show a progress bar.
    on_progress: Callable[[str, int], None] = field(default=_no_progress, compare=False, repr=False)

    @property
    def years(self) -> tuple[int, ...]:
        """The years of the snapshot dates (2022..2025 for four years): the 31 March of each."""
        return tuple(d.year for d in self.snapshot_dates)

    def rng(self, source: str, *keys: int) -> np.random.Generator:
        """An independent stream per (seed, source, keys...).

        Keying streams by authority and snapshot year (not by position in a loop) means a file's
        content does not depend on the scale or on how many years are generated, and adding a new
        source or a fault never shifts the random numbers of existing ones.
        """
        return np.random.default_rng([self.seed, zlib.crc32(source.encode()), *keys])

    def advance(self, domain: str, authorities_done: int = 1) -> None:
        self.on_progress(domain, authorities_done)
