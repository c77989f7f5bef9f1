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
from observatory.disclosure_tables import AUDITED, SHOWN_COUNTS


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
            f"{t} ({n} cells, {self.suppressed[t]} suppressed)"
            if self.suppressed[t] >= 0
            else f"{t} ({n} rows)"
            for t, n in self.tables.items()
        )
        if self.passed:
            return f"Disclosure audit passed (k = {self.k}): no count below k recoverable from {attacked}"
        shown = "\n".join(f"  - {leak}" for leak in self.leaks[:20])
        more = f"\n  ... and {len(self.leaks) - 20} more" if len(self.leaks) > 20 else ""
        return (
            f"Disclosure audit FAILED (k = {self.k}): {len(self.leaks)} count(s) below {self.k} can be "
            f"recovered from the published tables. The snapshot was not published.\n{shown}{more}"
        )


def shown_small_counts(reader: duckdb.DuckDBPyConnection, table: str, columns, k: int) -> list[Leak]:
    """Every count of people from 1 to k-1 a table shows (fractional counts: above 0, below k)."""
    leaks = []
    rows = reader.execute(f"select * from publish.{table}").df()
    labels = [c for c in rows.columns if rows[c].dtype == object][:6]
    for column in columns:
        for _, row in rows[(rows[column] > 0) & (rows[column] < k)].iterrows():
            leaks.append(Leak(table, row[labels].to_dict(), column, row[column], row[column], shown=True))
    return leaks


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
        for table, columns in SHOWN_COUNTS.items():
            report.leaks += shown_small_counts(reader, table, columns, k)
            report.tables[table] = reader.execute(f"select count(*) from publish.{table}").fetchone()[0]
            report.suppressed[table] = -1  # their own rules; only what they show is checked
    finally:
        reader.close()
    return report
