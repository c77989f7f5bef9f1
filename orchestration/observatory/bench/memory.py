"""Peak memory of a process and all its children (dbt, Chromium), sampled from /proc.

`resource.getrusage` gives only the largest single process's peak, and only once a child has been
waited for; the pipeline's memory is the sum over the tree at one moment (Python + dbt's subprocess
+ Chromium), so a thread samples that every ``interval`` seconds. Stages are then given the peak of
the samples inside their time window. No dependency: Linux /proc only (elsewhere: no samples).
"""

from __future__ import annotations

import os
import resource
import threading
import time
from bisect import bisect_left, bisect_right
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
PROC = Path("/proc")


def _parent_and_rss(pid: str) -> tuple[int, int] | None:
    try:
        stat = (PROC / pid / "stat").read_text()
        statm = (PROC / pid / "statm").read_text()
    except OSError:  # the process ended between listing and reading
        return None
    # Field 4 (ppid) follows the command name, which is in parentheses and may hold spaces.
    ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
    return ppid, int(statm.split()[1]) * PAGE


def tree_rss(root: int) -> tuple[int, int]:
    """(RSS of ``root`` alone, RSS of ``root`` and every descendant), in bytes."""
    parents: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir(PROC):
        if not entry.name.isdigit():
            continue
        found = _parent_and_rss(entry.name)
        if found is None:
            continue
        pid = int(entry.name)
        parents.setdefault(found[0], []).append(pid)
        rss[pid] = found[1]
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(parents.get(pid, []))
    return rss.get(root, 0), total


class MemorySampler:
    """Samples (time.time(), RSS of this process, RSS of it and its children) on a daemon thread."""

    def __init__(self, interval: float = 0.25):
        self.interval = interval
        self.times: list[float] = []
        self.own: list[int] = []
        self.total: list[int] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.available = PROC.joinpath(str(os.getpid()), "statm").exists()

    def sample(self) -> None:
        if not self.available:
            return
        own, total = tree_rss(os.getpid())
        self.times.append(time.time())
        self.own.append(own)
        self.total.append(total)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> MemorySampler:
        self.sample()
        self._thread = threading.Thread(target=self._run, name="bench-memory", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.sample()

    def peak(self, start: float | None = None, end: float | None = None) -> int | None:
        """Peak RSS (bytes, process tree) between two time.time() values, or over every sample.

        A window shorter than the interval may hold no sample: the nearest samples around it count."""
        if not self.times:
            return None
        lo = 0 if start is None else max(bisect_left(self.times, start) - 1, 0)
        hi = len(self.times) if end is None else min(bisect_right(self.times, end) + 1, len(self.times))
        return max(self.total[lo:hi]) if hi > lo else None


def rusage_peaks() -> dict[str, int]:
    """The kernel's own peaks (bytes): this process, and the largest child it has waited for."""
    scale = 1024  # ru_maxrss is in KiB on Linux
    return {
        "self_max_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale,
        "children_max_rss_bytes": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * scale,
    }


GIB_BYTES = 1024**3
