"""Disclosure control of publish.pay_gap and publish.pay_gap_by_sex together (methods reference §7):
one row per pay-gap cell (ethnicity at every level x sex) with its primary and secondary suppression
flags. The two tables are published side by side, so a group's headcount is protected across both:
by level (Indian within Asian within ethnic minorities) and by sex (women and men of a group add up
to the group). The layout lives in observatory.disclosure_tables, where the audit reads it too."""

from observatory.disclosure_tables import PAY_GAP_COLUMNS, protect_pay_gaps, read_frame


def model(dbt, session):
    dbt.config(materialized="table")
    k = int(dbt.config.get("disclosure_min_count"))
    gaps = read_frame(dbt.ref("workforce_pay_gap").project(PAY_GAP_COLUMNS))
    members = (
        dbt.ref("int_disclosure__workforce_members")
        .project("ethnicity_level as level, ethnicity_group as code, atom")
        .df()
    )
    return protect_pay_gaps(gaps, members, k)
