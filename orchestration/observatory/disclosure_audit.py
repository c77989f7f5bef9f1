"""The disclosure audit: attack a published snapshot as an outsider would, before it goes live.

For each table in observatory.disclosure_tables, the published counts (null where suppressed) are
read from the snapshot and the true counts from the warehouse's private marts; every exact relation
between cells (totals, ethnicity levels, custom groups, sex, FSM, SEN, the unknown-ethnicity share)
is written down, and the null-space attack reports any suppressed count from 1 to k-1 it recovers,
and any such count shown. The publish step refuses to swap in a snapshot with a leak.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import yaml

from observatory import config
from observatory.disclosure import Leak, audit
from observatory.disclosure_tables import AUDITED


def min_count() -> int:
    """k, the disclosure threshold, from the dbt var that every model uses (declared once)."""
    project = yaml.safe_load((config.DBT_PROJECT_DIR / "dbt_project.yml").read_text())
    return int(project["vars"]["disclosure_min_count"])


@dataclass
class AuditReport:
    k: int
    tables: dict[str, int] = field(default_factory=dict)  # table -> cells attacked
    suppressed: dict[str, int] = field(default_factory=dict)  # table -> cells with a hidden count
    leaks: list[Leak] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.leaks

    def summary(self) -> str:
        attacked = ", ".join(
            f"{t} ({n} cells, {self.suppressed[t]} suppressed)" for t, n in self.tables.items()
        )
        if self.passed:
            return f"Disclosure audit passed (k = {self.k}): no count below k recoverable from {attacked}"
        shown = "\n".join(f"  - {leak}" for leak in self.leaks[:20])
        more = f"\n  ... and {len(self.leaks) - 20} more" if len(self.leaks) > 20 else ""
        return (
            f"Disclosure audit FAILED (k = {self.k}): {len(self.leaks)} count(s) below {self.k} can be "
            f"recovered from the published tables. The snapshot was not published.\n{shown}{more}"
        )


def audit_snapshot(
    snapshot: Path | str, warehouse: duckdb.DuckDBPyConnection, k: int | None = None
) -> AuditReport:
    """Attack every audited table of `snapshot` (a DuckDB file) using the warehouse's true counts."""
    k = min_count() if k is None else k
    report = AuditReport(k)
    reader = duckdb.connect(str(snapshot), read_only=True)
    try:
        for tables in AUDITED:
            published = tables.cells(reader.sql(tables.published_sql).df(), False)
            truth = tables.cells(warehouse.sql(tables.truth_sql).df(), True)
            layout = tables.layout(warehouse)
            report.tables[tables.name] = len(published)
            own = published[~published[layout.attacker_knows]] if layout.attacker_knows else published
            report.suppressed[tables.name] = int(own[list(layout.counts)].isna().all(axis=1).sum())
            report.leaks += audit(published, truth, layout, k, tables.name)
    finally:
        reader.close()
    return report
