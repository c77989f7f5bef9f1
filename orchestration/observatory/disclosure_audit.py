"""The disclosure audit: attack a published snapshot as an outsider would, before it goes live.

For each table in observatory.disclosure_tables, the published counts (null where suppressed) are
read from the snapshot and the true counts from the warehouse's private marts; every exact relation
between cells (totals, ethnicity levels, custom groups, sex, FSM, SEN, the unknown-ethnicity share)
is written down, and the null-space attack reports any suppressed count from 1 to k-1 it recovers,
and any such count shown. The publish step refuses to swap in a snapshot with a leak.

A partition (authority, period, indicator) is attacked alone, so its verdict depends only on its
published and true cells, k, the layout and the code. With a memo file, a partition whose digest of
all of those passed the last audit is not attacked again: a refresh after one source's new extract
attacks only the partitions it changed. The memo holds digests of true counts, so it lives beside
the warehouse, never in the published snapshot.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import yaml

from observatory import config, disclosure_tables
from observatory.disclosure import Layout, Leak, audit, layout_digest, partition_digests
from observatory.disclosure_tables import AUDITED, SHOWN_COUNTS, read_frame


def min_count() -> int:
    """k, the disclosure threshold, from the dbt var that every model uses (declared once)."""
    project = yaml.safe_load((config.DBT_PROJECT_DIR / "dbt_project.yml").read_text())
    return int(project["vars"]["disclosure_min_count"])


@dataclass
class AuditReport:
    k: int
    tables: dict[str, int] = field(default_factory=dict)  # table -> cells attacked
    suppressed: dict[str, int] = field(default_factory=dict)  # table -> cells with a hidden count
    # table -> cells of partitions unchanged since they passed an audit (the memo), not attacked again
    reused: dict[str, int] = field(default_factory=dict)
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
        reused = sum(self.reused.values())
        if reused:
            attacked += f"; {reused} cells unchanged since they passed an audit were not attacked again"
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
    snapshot: Path | str,
    warehouse: duckdb.DuckDBPyConnection,
    k: int | None = None,
    memo: Path | None = None,
) -> AuditReport:
    """Attack every audited table of `snapshot` (a DuckDB file) using the warehouse's true counts.

    With `memo` (a file the last audit left), partitions unchanged since they passed are not attacked
    again; the file is then rewritten with the digests of every partition that passes now."""
    k = min_count() if k is None else k
    report = AuditReport(k)
    passed = _read_memo(memo)
    now_passed: list[str] = []
    reader = config.connect(snapshot, read_only=True)
    try:
        for tables in AUDITED:
            published = tables.cells(read_frame(reader.sql(tables.published_sql)), False)
            truth = tables.cells(read_frame(warehouse.sql(tables.truth_sql)), True)
            layout = tables.layout(warehouse)
            report.tables[tables.name] = len(published)
            own = published[~published[layout.attacker_knows]] if layout.attacker_knows else published
            report.suppressed[tables.name] = int(own[list(layout.counts)].isna().all(axis=1).sum())
            digests = _partition_digests(published, truth, layout, k, tables.name)
            todo = ~digests.isin(passed)
            report.reused[tables.name] = int((~todo).sum())
            partition = list(layout.partition)
            attacked = published.loc[todo, partition].drop_duplicates()
            leaks = (
                audit(published[todo], truth.merge(attacked, on=partition), layout, k, tables.name)
                if todo.any()
                else []
            )
            report.leaks += leaks
            leaking = {tuple(leak.key[c] for c in partition) for leak in leaks}
            rows = published[partition].assign(digest=digests).drop_duplicates(partition)
            for *key, digest in rows.itertuples(index=False, name=None):
                if tuple(key) not in leaking:
                    now_passed.append(digest)
        for table, columns in SHOWN_COUNTS.items():
            report.leaks += shown_small_counts(reader, table, columns, k)
            report.tables[table] = reader.execute(f"select count(*) from publish.{table}").fetchone()[0]
            report.suppressed[table] = -1  # their own rules; only what they show is checked
    finally:
        reader.close()
    if memo is not None:
        _write_memo(memo, now_passed)
    return report


def _partition_digests(
    published: pd.DataFrame, truth: pd.DataFrame, layout: Layout, k: int, table: str
) -> pd.Series:
    """Each published cell's partition digest: its published and true cells, k, the layout, the code
    (the engine, the tables' layouts and this module) and the table. Indexed like `published`."""
    context = layout_digest(layout, Path(disclosure_tables.__file__), Path(__file__)) + table.encode()
    partition = list(layout.partition)
    shown = published[partition].assign(_shown=partition_digests(published, layout, k, context))
    true = truth[partition].assign(_true=partition_digests(truth, layout, k, context))
    both = shown.drop_duplicates(partition).merge(true.drop_duplicates(partition), on=partition, how="left")
    both["_digest"] = [
        hashlib.blake2b(f"{a}|{b}".encode(), digest_size=16).hexdigest()
        for a, b in zip(both["_shown"], both["_true"], strict=True)
    ]
    return published[partition].merge(both, on=partition, how="left")["_digest"].set_axis(published.index)


def _read_memo(memo: Path | None) -> set[str]:
    """The digests of partitions that passed the last audit (none if there is no readable memo)."""
    try:
        return set(json.loads(Path(memo).read_text())["passed"]) if memo else set()
    except (OSError, ValueError, KeyError, TypeError):
        return set()


def _write_memo(memo: Path, passed: list[str]) -> None:
    """Replace the memo in one rename: a crash leaves the old one or the new one, never half."""
    memo.parent.mkdir(parents=True, exist_ok=True)
    part = memo.with_name(f".{memo.name}.tmp")
    part.write_text(json.dumps({"passed": sorted(passed)}) + "\n")
    os.replace(part, memo)
