"""The disclosure audit on the demo borough's publication, a planted leak, and the publish guard.

The audit attacks the published snapshot with the true counts from the warehouse (issue 7): it must
pass on what the pipeline published, fail on a table published without secondary suppression, and a
failing audit must leave the previous snapshot live.
"""

from __future__ import annotations

import shutil

import duckdb
import pytest
from observatory import config
from observatory.disclosure_audit import audit_snapshot, min_count
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


def plant_leak(paths, tmp_path, *statements: str):
    """A copy of the published snapshot changed by `statements` (with the warehouse attached as
    `warehouse`), attacked by the audit. Returns the report and each statement's first value."""
    leaky = tmp_path / "leaky.duckdb"
    shutil.copy(paths.snapshot, leaky)
    with duckdb.connect(str(leaky)) as con:
        con.execute(f"attach '{paths.warehouse}' as warehouse (read_only)")
        values = [con.execute(sql).fetchone()[0] for sql in statements]
    with duckdb.connect(str(paths.warehouse), read_only=True) as warehouse:
        return audit_snapshot(leaky, warehouse), values


def test_a_table_published_without_secondary_suppression_fails(demo_run, tmp_path):
    """Plant the leak: put back the counts secondary suppression hid. Subtraction then recovers
    small counts, and the audit names them with the value it recovered."""
    report, (restored,) = plant_leak(
        demo_run["paths"],
        tmp_path,
        """update publish.outcome_indicators as p
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
                      f.sex, f.fsm, f.sen)""",
    )
    assert restored > 0
    assert not report.passed
    leak = report.leaks[0]
    assert leak.table == "outcome_indicators"
    assert 1 <= leak.true_value < report.k
    assert leak.recovered_value == pytest.approx(leak.true_value, abs=0.01)
    assert "FAILED" in report.summary() and "was not published" in report.summary()


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
