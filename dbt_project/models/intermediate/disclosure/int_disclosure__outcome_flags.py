"""Disclosure control of publish.outcome_indicators (methods reference §7): one row per outcome cell
with its primary and secondary suppression flags. The algorithm and the table's layout live in the
observatory package (observatory.disclosure, observatory.disclosure_tables), where the audit that
attacks the published snapshot reads the same layout."""

from observatory.disclosure_tables import protect_outcomes


def model(dbt, session):
    dbt.config(materialized="table")
    k = int(dbt.config.get("disclosure_min_count"))
    estimates = dbt.ref("outcome_indicator_estimates").df()
    members = (
        dbt.ref("int_disclosure__ethnicity_members")
        .project("ethnicity_level as level, ethnicity_code as code, atom")
        .df()
    )
    return protect_outcomes(estimates, members, k)
