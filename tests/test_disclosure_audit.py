"""The disclosure audit on the demo borough's publication, a planted leak, and the publish guard.

The audit attacks the published snapshot with the true counts from the warehouse (issue 7): it must
pass on what the pipeline published, fail on a table published without secondary suppression, and a
failing audit must leave the previous snapshot live.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from observatory import config, disclosure_audit, disclosure_tables
from observatory.defs.resources import dbt_executable
from observatory.disclosure import layout_digest, partition_digests
from observatory.disclosure_audit import audit_snapshot, min_count
from observatory.disclosure_tables import (
    OUTCOME_KEY,
    outcome_cells,
    outcome_layout,
    protect_outcomes,
    published_outcome_rows,
)
from observatory.publish import publish_snapshot


def test_the_demo_publication_passes_the_audit(demo_run):
    paths = demo_run["paths"]
    with duckdb.connect(str(paths.warehouse), read_only=True) as warehouse:
        report = audit_snapshot(paths.snapshot, warehouse)
        flags = warehouse.execute(
            "select count(*) filter (where is_primary_suppressed), "
            "count(*) filter (where is_secondary_suppressed) from intermediate.int_disclosure__outcome_flags"
        ).fetchone()
    assert report.passed, report.summary()
    assert report.k == min_count() == 5
    assert report.tables["outcome_indicators"] > 10_000
    assert report.tables["pay_gap"] > 100
    assert report.tables["workforce_representation"] > 0  # counts shown checked on every table
    primary, secondary = flags
    assert primary > 0 and secondary > 0  # the demo has small groups: the attack had work to do
    # The asset check recorded the same verdict in the Dagster run.
    evaluations = demo_run["result"].get_asset_check_evaluations()
    audit = [e for e in evaluations if e.check_name == "disclosure_audit"]
    assert len(audit) == 1 and audit[0].passed


def plant_leak(paths, tmp_path, *statements: str, memo=None):
    """A copy of the published snapshot changed by `statements` (with the warehouse attached as
    `warehouse`), attacked by the audit (with `memo`, if given). Returns the report and each
    statement's first value."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    leaky = tmp_path / "leaky.duckdb"
    shutil.copy(paths.snapshot, leaky)
    with duckdb.connect(str(leaky)) as con:
        con.execute(f"attach '{paths.warehouse}' as warehouse (read_only)")
        values = [con.execute(sql).fetchone()[0] for sql in statements]
    with duckdb.connect(str(paths.warehouse), read_only=True) as warehouse:
        return audit_snapshot(leaky, warehouse, memo=memo), values


# Put back the counts secondary suppression hid.
RESTORE_SECONDARY = """update publish.outcome_indicators as p
           set numerator = case when e.statistic != 'weighted_proportion' then e.numerator end,
               denominator = case when e.statistic != 'weighted_proportion' then e.denominator end,
               respondents = e.records
           from warehouse.intermediate.int_disclosure__outcome_flags as f,
                warehouse.marts.outcome_indicator_estimates as e
           where f.is_secondary_suppressed
             and (p.authority_code, p.period, p.indicator_id, p.ethnicity_level, p.ethnicity_code,
                  p.sex, p.fsm, p.sen)
               = (f.authority_code, f.period, f.indicator_id, f.ethnicity_level, f.ethnicity_code,
                  f.sex, f.fsm, f.sen)
             and (e.authority_code, e.period, e.indicator_id, e.ethnicity_level, e.ethnicity_code,
                  e.sex, e.fsm, e.sen)
               = (f.authority_code, f.period, f.indicator_id, f.ethnicity_level, f.ethnicity_code,
                  f.sex, f.fsm, f.sen)"""


def test_a_table_published_without_secondary_suppression_fails(demo_run, tmp_path):
    """Plant the leak: put back the counts secondary suppression hid. Subtraction then recovers
    small counts, and the audit names them with the value it recovered."""
    report, (restored,) = plant_leak(
        demo_run["paths"],
        tmp_path,
        RESTORE_SECONDARY,
    )
    assert restored > 0
    assert not report.passed
    leak = report.leaks[0]
    assert leak.table == "outcome_indicators"
    assert 1 <= leak.true_value < report.k
    assert leak.recovered_value == pytest.approx(leak.true_value, abs=0.01)
    assert "FAILED" in report.summary() and "was not published" in report.summary()


def test_a_pay_gap_headcount_put_back_in_either_table_is_attacked_across_both(demo_run, tmp_path):
    """Plant the leak in the pay-gap pair: put back the headcounts of pay_gap_by_sex's cells that
    secondary suppression hid. The audit reads both tables as one layout and recovers a small one."""
    restore = """update publish.pay_gap_by_sex as p
           set relevant_headcount = g.relevant_headcount,
               full_pay_relevant_headcount = g.full_pay_relevant_headcount
           from warehouse.intermediate.int_disclosure__pay_gap_flags as f,
                warehouse.marts.workforce_pay_gap as g
           where f.is_secondary_suppressed
             and (p.authority_code, p.snapshot_date, p.ethnicity_level, p.ethnicity_group, p.sex)
               = (f.authority_code, f.snapshot_date, f.ethnicity_level, f.ethnicity_group, f.sex)
             and (g.authority_code, g.snapshot_date, g.ethnicity_level, g.ethnicity_group, g.sex)
               = (f.authority_code, f.snapshot_date, f.ethnicity_level, f.ethnicity_group, f.sex)
             and g.dimension != 'ethnicity'
           returning 1"""
    report, (restored,) = plant_leak(demo_run["paths"], tmp_path, restore)
    assert restored == 1
    leaks = [leak for leak in report.leaks if leak.table == "pay_gap"]
    assert leaks and not report.passed
    assert all(1 <= leak.true_value < report.k and not leak.shown for leak in leaks)
    assert {leak.key["sex"] for leak in leaks} <= {"All", "Female", "Male"}


def test_a_small_count_shown_in_any_workforce_table_fails(demo_run, tmp_path):
    report, _ = plant_leak(
        demo_run["paths"],
        tmp_path,
        "update publish.workforce_declaration set prefer_not_to_say = 3 where rowid = 0 returning 1",
    )
    leaks = [leak for leak in report.leaks if leak.table == "workforce_declaration"]
    assert len(leaks) == 1 and leaks[0].shown
    assert "shown although below the threshold: 3" in str(leaks[0])


def test_a_failing_audit_keeps_the_previous_snapshot_live(data_dir):
    paths = config.paths()
    with duckdb.connect(str(paths.warehouse)) as con:
        con.execute("create schema publish")
        con.execute("create table publish.headline as select 1 as edition")
        publish_snapshot(con, ["headline"])
        con.execute("update publish.headline set edition = 2")

        def refuse(snapshot):
            raise RuntimeError("disclosure audit failed")

        with pytest.raises(RuntimeError, match="disclosure audit failed"):
            publish_snapshot(con, ["headline"], audit=refuse)
    with duckdb.connect(str(paths.snapshot), read_only=True) as live:
        assert live.execute("select edition from publish.headline").fetchone() == (1,)
    assert not list(paths.published.glob("*.tmp"))


# --- Flags reused across runs -------------------------------------------------------------------------

PARTITION = ["authority_code", "period", "indicator_id"]


def demo_outcome_inputs(paths):
    """The demo warehouse's estimates, ethnicity hierarchy and the flags its run stored."""
    with duckdb.connect(str(paths.warehouse), read_only=True) as warehouse:
        estimates = warehouse.sql("select * from marts.outcome_indicator_estimates").df()
        members = warehouse.sql(
            "select ethnicity_level as level, ethnicity_code as code, atom "
            "from intermediate.int_disclosure__ethnicity_members"
        ).df()
        stored = warehouse.sql("select * from intermediate.int_disclosure__outcome_flags").df()
    return estimates, members, stored


def by_key(flags: pd.DataFrame) -> pd.DataFrame:
    return flags.sort_values(OUTCOME_KEY).reset_index(drop=True)


def test_a_partition_whose_cells_are_unchanged_keeps_the_flags_the_last_run_gave_it(demo_run, monkeypatch):
    """Only partitions whose cells changed are protected again, and the table is what protecting
    everything would give: the stored flags are reused for the rest, not recomputed."""
    estimates, members, stored = demo_outcome_inputs(demo_run["paths"])
    k = min_count()
    protected_partitions = []
    real_protect = disclosure_tables.protect

    def recording_protect(cells, layout, k):
        protected_partitions.extend(cells[PARTITION].drop_duplicates().itertuples(index=False, name=None))
        return real_protect(cells, layout, k)

    monkeypatch.setattr(disclosure_tables, "protect", recording_protect)
    again = protect_outcomes(estimates, members, k, previous=stored)
    assert protected_partitions == []  # the same cells as the run that stored them: nothing to do
    assert by_key(again).equals(by_key(stored))

    # One partition's counts change (a late correction to a small group's numerator).
    published = estimates.index.isin(published_outcome_rows(estimates).index)
    small = estimates["numerator"].between(1, k - 1) & (estimates["statistic"] == "proportion") & published
    changed = tuple(estimates.loc[small, PARTITION].iloc[0])
    in_changed = (estimates[PARTITION] == changed).all(axis=1)
    corrected = estimates.copy()
    row = corrected.index[in_changed & small][0]
    corrected.loc[row, "numerator"] += 1
    after = by_key(protect_outcomes(corrected, members, k, previous=stored))
    assert protected_partitions == [changed]
    monkeypatch.setattr(disclosure_tables, "protect", real_protect)
    fresh = by_key(protect_outcomes(corrected, members, k))
    assert after.equals(fresh)  # reused and re-protected together = everything protected again
    in_after = (after[PARTITION] == changed).all(axis=1)
    assert (after.loc[~in_after, "partition_digest"].isin(stored["partition_digest"])).all()
    assert not after.loc[in_after, "partition_digest"].isin(stored["partition_digest"]).any()


def test_a_new_threshold_or_ethnicity_hierarchy_protects_every_partition_again(demo_run):
    estimates, members, _ = demo_outcome_inputs(demo_run["paths"])
    cells = outcome_cells(published_outcome_rows(estimates), respondents="records")
    k = min_count()

    def digests(k, members):
        layout = outcome_layout(members)
        return set(
            partition_digests(cells, layout, k, layout_digest(layout, Path(disclosure_tables.__file__)))
        )

    now = digests(k, members)
    assert len(now) == len(cells[PARTITION].drop_duplicates())  # one digest a partition
    assert now == digests(k, members.sample(frac=1, random_state=3))  # rows in any order
    assert not now & digests(k + 1, members)
    fewer = members[
        ~(
            (members["level"] == "custom")
            & (members["code"] == members.loc[members["level"] == "custom", "code"].iloc[0])
        )
    ]
    assert not now & digests(k, fewer)


def test_dbt_reuses_stored_flags_unless_told_not_to(demo_run, tmp_path, monkeypatch):
    """The dbt model reads its own table before replacing it. Flags planted in a copy of the demo
    warehouse survive a dbt run (their digests are unchanged), and `disclosure_reuse: false`
    protects everything again."""
    copy = tmp_path / "data"
    copy.mkdir()
    shutil.copy(demo_run["paths"].warehouse, copy / "warehouse.duckdb")
    monkeypatch.setenv(config.DATA_DIR_ENV, str(copy))
    flags = "intermediate.int_disclosure__outcome_flags"
    with duckdb.connect(str(copy / "warehouse.duckdb")) as con:
        planted = con.execute(
            f"update {flags} set is_secondary_suppressed = not is_secondary_suppressed "
            "where partition_digest = (select min(partition_digest) from "
            f"{flags} where is_secondary_suppressed) returning partition_digest"
        ).fetchall()
    assert planted

    def secondary(warehouse: Path) -> int:  # the planted partition's secondary suppressions
        with duckdb.connect(str(warehouse), read_only=True) as con:
            query = f"select count(*) from {flags} where partition_digest = ? and is_secondary_suppressed"
            return con.execute(query, [planted[0][0]]).fetchone()[0]

    def run(*extra: str) -> int:  # as Dagster runs dbt: in its own process
        project = str(config.DBT_PROJECT_DIR)
        args = ["run", "-s", "int_disclosure__outcome_flags", "--project-dir", project]
        args += ["--profiles-dir", project, "--target-path", str(tmp_path / "target"), *extra]
        done = subprocess.run([dbt_executable(), *args], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout[-3000:]
        return secondary(copy / "warehouse.duckdb")

    true_secondary = secondary(demo_run["paths"].warehouse)
    reused = run()
    assert reused != true_secondary  # the planted flags were kept: reused, not recomputed
    assert run("--vars", "{disclosure_reuse: false}") == true_secondary


def test_the_audit_attacks_again_only_partitions_changed_since_they_passed(demo_run, tmp_path, monkeypatch):
    """With the memo, an unchanged snapshot is not attacked again, and a leak planted since is
    found exactly as without it: only partitions whose cells changed are attacked."""
    paths, memo = demo_run["paths"], tmp_path / "memo.json"
    with duckdb.connect(str(paths.warehouse), read_only=True) as warehouse:
        first = audit_snapshot(paths.snapshot, warehouse, memo=memo)
        partitions = warehouse.execute(
            "select count(distinct (authority_code, period, indicator_id)) "
            "from intermediate.int_disclosure__outcome_flags"
        ).fetchall()[0][0]
        partitions += warehouse.execute(
            "select count(distinct (authority_code, snapshot_date)) "
            "from intermediate.int_disclosure__pay_gap_flags"
        ).fetchall()[0][0]
        assert first.passed and first.reused == {"outcome_indicators": 0, "pay_gap": 0}
        assert len(json.loads(memo.read_text())["passed"]) == partitions  # each partition passed
        attacked = []
        real_audit = disclosure_audit.audit

        def recording_audit(published, *args, **kwargs):
            attacked.append(len(published))
            return real_audit(published, *args, **kwargs)

        monkeypatch.setattr(disclosure_audit, "audit", recording_audit)
        again = audit_snapshot(paths.snapshot, warehouse, memo=memo)
    assert again.passed and attacked == []
    assert again.reused == {t: again.tables[t] for t in ("outcome_indicators", "pay_gap")}
    assert "not attacked again" in again.summary()

    # The leak planted in one partition: the one with the most secondary suppressions.
    one = (
        RESTORE_SECONDARY
        + """
             and f.partition_digest = (
                 select partition_digest from warehouse.intermediate.int_disclosure__outcome_flags
                 group by all order by count(*) filter (where is_secondary_suppressed) desc, 1 limit 1)"""
    )
    without, _ = plant_leak(paths, tmp_path / "without", one)
    with_memo, _ = plant_leak(paths, tmp_path / "with", one, memo=memo)
    assert without.leaks and [str(x) for x in with_memo.leaks] == [str(x) for x in without.leaks]
    assert 0 < attacked[-1] < with_memo.tables["outcome_indicators"]  # the changed partitions only
    # The memo now holds the partitions that passed, not the leaking ones.
    assert len(json.loads(memo.read_text())["passed"]) < partitions
