"""Disclosure control of publish.outcome_indicators (methods reference §7): one row per outcome cell
with its primary and secondary suppression flags. The algorithm and the table's layout live in the
observatory package (observatory.disclosure, observatory.disclosure_tables), where the audit that
attacks the published snapshot reads the same layout.

Protecting every partition takes minutes at London scale, and one source's new extract changes a
few indicators: the table as the last run left it is read first, and a partition whose digest (its
cells, k, the ethnicity hierarchy and the disclosure code) it already holds keeps its flags. The var
`disclosure_reuse: false` protects everything again."""

from observatory.disclosure_tables import DIGEST, TRUE_OUTCOME_COLUMNS, protect_outcomes, read_frame


def model(dbt, session):
    dbt.config(materialized="table")
    k = int(dbt.config.get("disclosure_min_count"))
    estimates = read_frame(dbt.ref("outcome_indicator_estimates").project(", ".join(TRUE_OUTCOME_COLUMNS)))
    members = (
        dbt.ref("int_disclosure__ethnicity_members")
        .project("ethnicity_level as level, ethnicity_code as code, atom")
        .df()
    )
    return protect_outcomes(estimates, members, k, previous=_previous(dbt, session))


def _previous(dbt, session):
    """The flags the last run left, if reuse is on and they carry digests; else None."""
    if str(dbt.config.get("disclosure_reuse")).lower() in ("false", "0", "no"):  # yml renders text
        return None
    columns = session.execute(
        "select column_name from information_schema.columns "
        "where table_catalog = ? and table_schema = ? and table_name = ?",
        [dbt.this.database, dbt.this.schema, dbt.this.identifier],
    ).fetchall()
    if (DIGEST,) not in columns:
        return None
    return read_frame(session.sql(f"select * from {dbt.this!r}"))
