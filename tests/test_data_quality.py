"""publish.data_quality: per authority, source and period, what arrived and what happened to it.

A small pipeline runs the demo's dirty justice extracts (faults planted and recorded in the ground
truth) with one source's extract made older than its cadence; the demo borough's run checks every
source of a clean council reconciles. Rows in = loaded + quarantined is checked against the ingest's
own log, planted quarantines appear with their rule, planted unmapped ethnicities are counted (and
suppressed below the disclosure threshold), and the stale source is flagged.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from datetime import date

import duckdb
import pandas as pd
import pytest
from conftest import use_data_dir
from observatory.contracts import load_contracts
from observatory.demo import justice
from observatory.demo.authorities import authorities_for
from observatory.demo.context import DemoContext
from observatory.demo.faults import DirtyConfig
from observatory.refresh import run_refresh

AUTHORITY = "X09000001"
STALE_SOURCE, FRESH_SOURCE = "youth_justice", "stop_search"
STALE_DAYS = 400  # older than the 366-day cadence both justice contracts declare
# Row faults that load (the row is kept; staging reports the value as unmapped), not quarantined.
FINDINGS = {"unknown_ethnicity", "unknown_ethnicity_code"}
K = 5  # dbt_project.yml disclosure_min_count


@pytest.fixture(scope="module")
def dirty_run(tmp_path_factory):
    """The dirty justice extracts (2024/25; the 2023/24 files carry a file-level fault that fails the
    ingest by design, tested elsewhere) through the whole pipeline."""
    source_inbox = tmp_path_factory.mktemp("justice_dirty")
    ctx = DemoContext(
        seed=42,
        scale="borough",
        authorities=authorities_for("borough"),
        snapshot_dates=(date(2024, 3, 31), date(2025, 3, 31)),
        dirty=DirtyConfig(),
    )
    truth = justice.write(source_inbox, ctx)
    root = tmp_path_factory.mktemp("dq") / "data"
    with pytest.MonkeyPatch.context() as mp:
        paths = use_data_dir(mp, root, authority=AUTHORITY, key=None, demo=True)
        files = {}
        for source, source_truth in truth.items():
            rejected = {f["file"] for f in source_truth["faults"] if f["level"] == "file"}
            for record in source_truth["files"]:
                if record["file"] in rejected:
                    continue
                target = paths.inbox / record["file"]
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source_inbox / record["file"], target)
                files[source] = (record, target)
        old = time.time() - STALE_DAYS * 86400
        os.utime(files[STALE_SOURCE][1], (old, old))
        result, summary = run_refresh()
        with duckdb.connect(str(paths.snapshot), read_only=True) as con:
            published = con.execute("select * from publish.data_quality").df()
        with duckdb.connect(str(paths.warehouse), read_only=True) as con:
            log = con.execute("select * from raw.load_log where not superseded").df()
            raw_rows = {s: con.execute(f"select count(*) from raw.{s}").fetchone()[0] for s in truth}
        yield {
            "truth": truth,
            "files": files,
            "result": result,
            "summary": summary,
            "dq": published,
            "log": log,
            "raw_rows": raw_rows,
        }


def _row(dq: pd.DataFrame, source: str, **where) -> pd.Series:
    rows = dq[dq["source_name"] == source]
    for column, value in where.items():
        rows = rows[rows[column] == value]
    assert len(rows) == 1, (source, where, rows)
    return rows.iloc[0]


def _row_faults(run, source: str) -> list[dict]:
    record, _ = run["files"][source]
    return [f for f in run["truth"][source]["faults"] if f["file"] == record["file"] and f["level"] == "row"]


def test_the_dirty_run_publishes(dirty_run):
    assert dirty_run["result"].success
    assert "publish/data_quality" in dirty_run["summary"].materialized


def test_rows_in_equal_loaded_plus_quarantined_and_match_the_ingest_log(dirty_run):
    dq, log = dirty_run["dq"], dirty_run["log"]
    assert (dq["rows_in"] == dq["rows_loaded"] + dq["rows_quarantined"]).all()
    for source in (STALE_SOURCE, FRESH_SOURCE):
        record, _ = dirty_run["files"][source]
        mine = dq[dq["source_name"] == source]
        logged = log[log["source"] == source]
        assert mine["rows_in"].sum() == logged["rows_in"].sum() == record["data_rows"]
        assert mine["rows_quarantined"].sum() == logged["rows_quarantined"].sum()
        assert mine["rows_loaded"].sum() == dirty_run["raw_rows"][source]  # what the warehouse holds
        assert mine["files"].sum() == len(logged) == 1


def test_planted_quarantines_appear_with_their_rule(dirty_run):
    dq = dirty_run["dq"]
    for source in (STALE_SOURCE, FRESH_SOURCE):
        planted = {f["row"] for f in _row_faults(dirty_run, source) if f["fault"] not in FINDINGS}
        row = _row(dq, source, period="2025-03-31")
        assert row["rows_quarantined"] == len(planted) > 0
        assert row["status"] in ("rows quarantined", "stale")
        shown = re.findall(r"(.+?) \((\d+)\)(?:; |$)", row["top_quarantine_rules"])
        assert 1 <= len(shown) <= 3
        counts = [int(n) for _, n in shown]
        assert counts == sorted(counts, reverse=True) and sum(counts) <= row["rows_quarantined"]
    # Stop and search: eight duplicated rows planted, tied for the commonest rule.
    duplicates = [f for f in _row_faults(dirty_run, FRESH_SOURCE) if f["fault"] == "duplicate_row"]
    rules = _row(dq, FRESH_SOURCE, period="2025-03-31")["top_quarantine_rules"]
    assert re.search(rf"unique: a second row for the same searched_at[^;]* \({len(duplicates)}\)", rules)
    assert re.search(r"range: must be at least 49 \(\d+\)", rules)  # the planted negative latitudes


def test_planted_unmapped_ethnicities_are_counted_and_suppressed_below_the_threshold(dirty_run):
    dq = dirty_run["dq"]
    for source in (STALE_SOURCE, FRESH_SOURCE):
        values = [f["value"] for f in _row_faults(dirty_run, source) if f["fault"] in FINDINGS]
        row = _row(dq, source, period="2025-03-31")
        if len(values) >= K:
            assert row["unmapped_ethnicity_rows"] == len(values)
            assert row["unmapped_ethnicity_values"] == len(set(values))
            assert pd.isna(row["unmapped_ethnicity_rows_symbol"])
        else:
            assert 0 < len(values) < K
            assert pd.isna(row["unmapped_ethnicity_rows"]) and pd.isna(row["unmapped_ethnicity_values"])
            assert row["unmapped_ethnicity_rows_symbol"] == row["unmapped_ethnicity_values_symbol"] == "c"
        assert 0 < row["ethnicity_unknown_share"] < 1 or row["ethnicity_unknown_share_symbol"] == "c"
    planted = [
        sum(f["fault"] in FINDINGS for f in _row_faults(dirty_run, s)) for s in (STALE_SOURCE, FRESH_SOURCE)
    ]
    assert min(planted) < K <= max(planted), "one source above the threshold and one below"


def test_a_source_whose_extract_is_older_than_its_cadence_is_stale(dirty_run):
    dq = dirty_run["dq"]
    stale = _row(dq, STALE_SOURCE, period="2025-03-31")
    fresh = _row(dq, FRESH_SOURCE, period="2025-03-31")
    assert stale["cadence_days"] == fresh["cadence_days"] == 366
    assert STALE_DAYS - 1 <= stale["days_since_latest_extract"] <= STALE_DAYS + 1
    assert bool(stale["is_stale"]) and stale["status"] == "stale"
    assert fresh["days_since_latest_extract"] <= 1 and not fresh["is_stale"]
    assert stale["latest_file_date"] < fresh["latest_file_date"]
    # The freshness check warns in Dagster and in the refresh summary.
    failed = [(check, severity) for _, check, severity in dirty_run["summary"].failed_checks]
    assert ("data_quality_no_stale_source", "WARN") in failed


def test_every_contract_appears_and_sources_never_received_are_missing(dirty_run):
    dq = dirty_run["dq"]
    assert set(dq["source_name"]) == set(load_contracts())
    missing = dq[~dq["source_name"].isin([STALE_SOURCE, FRESH_SOURCE])]
    assert (missing["status"] == "missing").all() and (missing["files"] == 0).all()
    assert missing["is_stale"].all() and (missing["rows_in"] == 0).all()
    assert (missing["unmapped_ethnicity_rows_symbol"] == "x").all()
    council = missing[missing["source_name"] == "hr_payroll"]
    assert council["authority_code"].tolist() == [AUTHORITY]  # a council source: per authority
    publication = missing[missing["source_name"] == "fingertips"]
    assert publication["authority_code"].isna().all() and len(publication) == 1


def test_the_load_log_records_each_files_own_date(dirty_run):
    log = dirty_run["log"].set_index("source")
    for source, (_, path) in dirty_run["files"].items():
        recorded = log.loc[source, "file_modified_at"]
        assert abs(recorded.timestamp() - int(path.stat().st_mtime)) < 1


def test_every_source_of_the_demo_borough_reconciles_and_is_fresh(demo_run):
    paths = demo_run["paths"]
    with duckdb.connect(str(paths.snapshot), read_only=True) as con:
        dq = con.execute("select * from publish.data_quality").df()
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        log = con.execute(
            "select source, sum(rows_in) as rows_in, count(*) as files from raw.load_log "
            "where not superseded group by source"
        ).df()
    assert set(dq["source_name"]) == set(load_contracts()) == set(log["source"])
    assert (dq["status"] == "ok").all()
    assert (dq["rows_in"] == dq["rows_loaded"] + dq["rows_quarantined"]).all()
    totals = dq.groupby("source_name")[["rows_in"]].sum()
    assert totals["rows_in"].to_dict() == log.set_index("source")["rows_in"].to_dict()
    # A council's files hold one period each: one file per row (five years of the demo).
    payroll = dq[dq["source_name"] == "hr_payroll"]
    assert len(payroll) == 5 and (payroll["files"] == 1).all()
    assert set(payroll["authority_code"]) == {"X09000001"}
