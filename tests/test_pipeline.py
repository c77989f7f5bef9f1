"""End to end: an HR extract with aliased columns flows through Dagster, dbt and publish to the site.

One pipeline run per module (a run costs ~20 s, mostly dbt start-up); the tests read its outputs.
"""

from __future__ import annotations

import duckdb
import pytest
from conftest import HR_HEADER, hr_row, use_data_dir, write_csv
from observatory.disclosure_audit import audit_snapshot
from observatory.refresh import run_refresh

DAYS = {"Weekly": 7, "Fortnightly": 14, "4 Weekly": 28, "Monthly": 30.44, "Annual": 365.25}


def paid(emp, ethnicity, hourly, period, **kw):
    """A row whose period pay is `hourly` an hour for 35 hours a week, in the given pay period."""
    return hr_row(emp, ethnicity, basic=round(hourly * 35 * DAYS[period] / 7, 6), period=period, **kw)


def hand_built_rows():
    """methods.md §5 vector x3 (White British) and x4 (Black African), in every pay period, plus
    leave, unknown and unmapped ethnicities, and a group too small to publish."""
    periods = list(DAYS)
    rows = []
    for i, rate in enumerate([10, 12, 14, 20] * 3):
        rows.append(paid(f"WB{i}", "White British", rate, periods[i % 5]))
    # On reduced pay for leave: relevant but not full-pay relevant, so excluded from hourly gaps.
    rows.append(paid("WB-leave", "White - British", 99, "Monthly", leave="Y"))
    for i, rate in enumerate([9, 11, 13] * 4):
        rows.append(paid(f"BA{i}", "Black or Black British - African", rate, periods[(i + 2) % 5]))
    for i in range(3):
        rows.append(paid(f"IN{i}", "Asian or Asian British - Indian", 30, "Monthly"))
    rows.append(paid("PNTS", "Prefer not to say", 50, "Monthly"))
    rows.append(paid("BLANK", "", 50, "Monthly"))
    rows.append(paid("ODD", "Martian", 50, "Monthly"))
    return rows


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    root = tmp_path_factory.mktemp("pipeline") / "data"
    with pytest.MonkeyPatch.context() as mp:
        paths = use_data_dir(mp, root, authority="X09000001", key="test-key-not-secret", demo=False)
        write_csv(paths.inbox_for("hr_payroll") / "payroll_2024.csv", hand_built_rows(), encoding="cp1252")
        first, summary = run_refresh()
        snapshot_bytes = paths.snapshot.read_bytes()
        site_target = paths.site.resolve()

        # Now a malformed extract arrives: missing a required column and text in a numeric column.
        header = [h for h in HR_HEADER if h != "Pay Frequency"]
        bad = [r[:7] + r[8:] for r in hand_built_rows()[:3]]
        bad[0][6] = "lots"
        write_csv(paths.inbox_for("hr_payroll") / "payroll_2025_broken.csv", bad, header=header)
        second, second_summary = run_refresh()
        yield {
            "paths": paths,
            "first": first,
            "summary": summary,
            "second": second,
            "second_summary": second_summary,
            "snapshot_bytes": snapshot_bytes,
            "site_target": site_target,
        }


def published(paths, where=""):
    with duckdb.connect(str(paths.snapshot), read_only=True) as con:
        return con.execute(f"select * from publish.pay_gap {where}").df()


def test_refresh_materialises_ingest_every_dbt_model_publish_and_site(pipeline):
    assert pipeline["first"].success
    keys = set(pipeline["summary"].materialized)
    assert {"raw/hr_payroll", "staging/stg_hr__payroll", "publish/pay_gap", "published/snapshot"} <= keys
    assert "published/board_site" in keys
    # The one warning is the planted unmapped label ("Martian"); every other check passes.
    assert [c[:2] for c in pipeline["summary"].failed_checks] == [
        ("marts/dq_unmapped_ethnicity", "is_empty_dq_unmapped_ethnicity_")
    ]


def test_pay_gap_reproduces_the_methods_vector_across_pay_periods(pipeline):
    df = published(pipeline["paths"], "where ethnicity_level = 'detailed'").set_index("ethnicity_group")
    ba = df.loc["Black African"]
    assert ba["mean_hourly_gap_pct"] == 21.4
    assert ba["median_hourly_gap_pct"] == 15.4
    with duckdb.connect(str(pipeline["paths"].warehouse), read_only=True) as con:
        counted = con.execute(
            "select full_pay_relevant_headcount from marts.workforce_pay_gap "
            "where dimension = 'ethnicity' and ethnicity_group = 'Black African'"
        ).fetchall()
    assert counted == [(12,)]  # every pay period counted (published as "c": see the next test)
    wb = df.loc["White British"]
    assert wb["mean_hourly_pay"] == 14.0 and wb["median_hourly_pay"] == 13.0  # leave row excluded
    assert wb["relevant_headcount"] == 13
    assert wb["gap_symbol"] == "z" and wb["is_comparator"]
    # One employee on leave: publishing 12 of 13 would disclose a count of 1, so it is suppressed.
    assert wb.isna()["headcount_symbol"] and wb["full_pay_headcount_symbol"] == "c"
    assert wb.isna()["full_pay_relevant_headcount"]


def test_unknown_and_unmapped_ethnicities_are_excluded_from_gaps(pipeline):
    df = published(pipeline["paths"])
    assert not df["ethnicity_group"].str.contains("Martian|Prefer|Unknown", case=False).any()
    with duckdb.connect(str(pipeline["paths"].warehouse), read_only=True) as con:
        statuses = dict(
            con.execute(
                "select ethnicity_status, count(*) from staging.stg_hr__payroll "
                "where snapshot_date = '2024-03-31' group by 1"
            ).fetchall()
        )
    assert statuses == {"known": 28, "prefer_not_to_say": 1, "not_recorded": 1, "unmapped": 1}


def test_an_unmapped_ethnicity_is_listed_for_the_data_team_and_warned_by_a_check(pipeline):
    with duckdb.connect(str(pipeline["paths"].warehouse), read_only=True) as con:
        rows = con.execute(
            "select source_name, authority_code, period, ethnicity_recorded, row_count "
            "from marts.dq_unmapped_ethnicity"
        ).fetchall()
    assert rows == [("hr_payroll", "X09000001", "2024-03-31", "Martian", 1)]
    check = ("marts/dq_unmapped_ethnicity", "is_empty_dq_unmapped_ethnicity_", "WARN")
    assert check in pipeline["summary"].failed_checks


def test_small_groups_are_suppressed_and_cannot_be_recovered_by_subtraction(pipeline):
    df = published(pipeline["paths"]).set_index(["ethnicity_level", "ethnicity_group"])
    indian = df.loc[("detailed", "Indian")]
    assert indian["headcount_symbol"] == "c" and indian["pay_symbol"] == "c"
    assert indian.isna()["relevant_headcount"]  # not published
    # Major level: Asian (3) is suppressed; Ethnic minorities (15) is published, so Black must be
    # too, and Black African (all of Black: 12), which gives Black back across levels.
    assert df.loc[("major", "Asian"), "headcount_symbol"] == "c"
    assert df.loc[("major", "Black"), "headcount_symbol"] == "c"
    assert df.loc[("detailed", "Black African"), "headcount_symbol"] == "c"
    assert df.loc[("minority_binary", "Ethnic minorities"), "relevant_headcount"] == 15
    # Black African's gap is still published: its 12 full-pay staff are enough for a gap.
    assert df.loc[("detailed", "Black African"), "median_hourly_gap_pct"] == 15.4
    # The pay-gap pair is attacked together by the publish step's audit, and nothing is recovered.
    with duckdb.connect(str(pipeline["paths"].warehouse), read_only=True) as con:
        report = audit_snapshot(pipeline["paths"].snapshot, con)
    assert report.passed, report.summary()
    assert report.tables["pay_gap"] == 17 and report.suppressed["pay_gap"] == 8


def test_published_snapshot_is_readable_and_has_a_manifest(pipeline):
    with duckdb.connect(str(pipeline["paths"].snapshot), read_only=True) as con:
        manifest = con.execute(
            "select table_name, row_count, source_periods from publish.manifest"
        ).fetchall()
    by_table = {name: (rows, periods) for name, rows, periods in manifest}
    assert by_table["pay_gap"][0] > 0
    assert "hr_payroll: 2024-03-31 to 2024-03-31" in by_table["pay_gap"][1]


def test_site_shows_the_pay_gap_from_the_snapshot(pipeline):
    page = (pipeline["paths"].site / "pay-gap.html").read_text()
    assert "Black African" in page and "15.4%" in page
    assert "Synthetic demo data" not in page  # this data directory is not marked as demo


def test_malformed_extract_fails_with_file_column_and_rule_and_keeps_the_last_publication(pipeline):
    second = pipeline["second"]
    assert not second.success
    failures = " ".join(msg for _, msg in pipeline["second_summary"].failed_steps)
    assert "payroll_2025_broken.csv" in failures
    assert "pay_period" in failures and "required column" in failures
    paths = pipeline["paths"]
    assert paths.snapshot.read_bytes() == pipeline["snapshot_bytes"]
    assert paths.site.resolve() == pipeline["site_target"]
    assert "published/snapshot" not in pipeline["second_summary"].materialized


def test_definitions_load_with_lineage_checks_and_the_nightly_schedule():
    from observatory.definitions import defs

    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {"raw/hr_payroll", "staging/stg_hr__payroll", "publish/pay_gap", "published/board_site"} <= keys
    staging = graph.get(
        next(k for k in graph.get_all_asset_keys() if k.path == ["staging", "stg_hr__payroll"])
    )
    assert [p.to_user_string() for p in staging.parent_keys if p.path[0] == "raw"] == ["raw/hr_payroll"]
    checks = {k.name for k in graph.asset_check_keys}
    assert {"rows_reconcile", "no_quarantined_rows"} <= checks
    assert any(name.startswith("unique_combination_pay_gap") for name in checks)
    schedule = defs.resolve_schedule_def("nightly_refresh_schedule")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "Europe/London"
