"""What every domain generator is given: the authorities, the snapshot dates and its random streams."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import date

import numpy as np

from observatory.demo.authorities import Authority
from observatory.demo.faults import DirtyConfig


@dataclass(frozen=True)
class DemoContext:
    seed: int
    scale: str
    authorities: tuple[Authority, ...]
    snapshot_dates: tuple[date, ...]
    dirty: DirtyConfig | None

    def rng(self, source: str, *keys: int) -> np.random.Generator:
        """An independent stream per (seed, source, keys...).

        Keying streams by authority and snapshot year (not by position in a loop) means a file's
        content does not depend on the scale or on how many years are generated, and adding a new
        source or a fault never shifts the random numbers of existing ones.
        """
        return np.random.default_rng([self.seed, zlib.crc32(source.encode()), *keys])
