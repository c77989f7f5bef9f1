"""Named points where the crash-safety tests kill a refresh, as a power cut or the OOM killer would.

The crash-safety tests (``tests/test_crash_safety.py``) set ``OBSERVATORY_CRASH_AT`` to one of
``POINTS`` and run ``observatory refresh`` as its own process group; when the refresh reaches that
point the whole group (dbt's process included) is sent SIGKILL: no ``finally`` block, no ``atexit``,
no flush. In normal runs the variable is unset and ``reached`` is one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

CRASH_ENV = "OBSERVATORY_CRASH_AT"

POINTS = {
    "ingest.load": "rows inserted into raw.<source>, transaction not yet committed",
    "dbt.build": "dbt has built some models and is building more",
    "publish.copy": "half-written snapshot file beside the live one",
    "publish.swapped": "new snapshot live, the site and exports not yet rebuilt",
    "site.written": "new site build written, not yet linked",
    "exports.written": "new exports written, not yet linked",
}


def reached(point: str) -> None:
    """Kill this refresh here if the crash-safety tests asked for it."""
    if os.environ.get(CRASH_ENV) != point:
        return
    if point not in POINTS:  # pragma: no cover - a typo in a test, not a crash point
        raise ValueError(f"unknown crash point {point!r}; known: {', '.join(POINTS)}")
    if os.getpgrp() == os.getpid():
        os.killpg(os.getpid(), signal.SIGKILL)  # the refresh and its dbt child die together
    os.kill(os.getpid(), signal.SIGKILL)
