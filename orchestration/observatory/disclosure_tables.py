"""How each published table adds up, declared once: the dbt models that protect them and the audit
that attacks the published snapshot both read these layouts (observatory.disclosure does the work).

Each entry names the published table, the private model holding its true counts, the layout, and a
function turning rows of either (published or true) into the layout's cells.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from observatory.disclosure import FlatDimension, Hierarchy, Layout, layout_digest, partition_digests, protect

# --- publish.outcome_indicators ---------------------------------------------------------------------

OUTCOME_KEY = [
    "authority_code",
    "period",
    "indicator_id",
    "ethnicity_level",
    "ethnicity_code",
    "sex",
    "fsm",
    "sen",
]
UNKNOWN_LEVEL, UNKNOWN_CODE = "unknown", "Unknown"
# The columns `outcome_cells` reads, from the estimates mart (true counts) and the published table:
# both have some fifty, and reading them all took 8.6 GiB of frames at England scale (docs/scaling.md).
TRUE_OUTCOME_COLUMNS = [*OUTCOME_KEY, "statistic", "numerator", "denominator", "records"]
PUBLISHED_OUTCOME_COLUMNS = [
    *OUTCOME_KEY,
    "statistic",
    "numerator",
    "denominator",
    "respondents",
    "unknown_ethnicity_symbol",
]
# Each outcome flag row carries its partition's digest (observatory.disclosure.partition_digests), so
# the next run reuses the protection of partitions whose cells have not changed.
DIGEST = "partition_digest"


def read_frame(relation: duckdb.DuckDBPyRelation) -> pd.DataFrame:
    """A query's rows as a frame, through Arrow: pyarrow gives equal strings one Python object, where
    `.df()` makes one a cell (England's estimates: 1.0 GiB against 5.8, in a third of the time)."""
    return relation.to_arrow_table().to_pandas()


def outcome_layout(members: pd.DataFrame) -> Layout:
    """Ethnicity at every level x sex x FSM x SEN, within an authority, period and indicator.

    Counts by the indicator's statistic: events and population (proportions and rates: numerator and
    denominator), pupils (means: the denominator), respondents (surveys: weighted numerators are not
    published), and the total score of a mean, confidential with its row.
    """
    unknown = pd.DataFrame({"level": [UNKNOWN_LEVEL], "code": [UNKNOWN_CODE], "atom": ["unknown"]})
    return Layout(
        partition=("authority_code", "period", "indicator_id"),
        dimensions=(
            Hierarchy(
                "ethnicity_level",
                "ethnicity_code",
                pd.concat([members, unknown], ignore_index=True),
                overlapping_levels=("custom", UNKNOWN_LEVEL),
            ),
            FlatDimension("sex", "All"),
            FlatDimension("fsm", "All"),
            FlatDimension("sen", "All"),
        ),
        counts=("events", "population", "respondents"),
        sums=("score_total",),
        attacker_knows="is_derived",
        withhold_known=True,  # publish.outcome_indicators withholds the unknown share (and differences)
        priority=headline_rows,
    )


def headline_rows(cells: pd.DataFrame) -> pd.Series:
    """Ethnicity alone at the DfE main, Census 2021 and major levels: the rows boards read (Black
    Caribbean suspensions): two extra tiers of cost, hidden only when nothing cheaper protects."""
    alone = (cells[["sex", "fsm", "sen"]] == "All").all(axis=1)
    return 2 * (alone & cells["ethnicity_level"].isin(["all", "dfe_main", "census2021", "major"]))


def outcome_cells(rows: pd.DataFrame, respondents: str) -> pd.DataFrame:
    """Cells of the outcome layout from the estimates mart or the published table.

    Fingertips rows (statistic 'published') are OHID's own publication and are left out. One row is
    added for people of unknown ethnicity in each overall cell (all sexes, FSM and SEN: the overall
    count less the major groups'): the published unknown-ethnicity share lets an attacker work it
    out, so it is treated as known. Where the published table withholds that share (disclosure
    control's last resort: `Layout.withhold_known`), the row is a suppressed cell like any other.
    """
    rows = rows[rows["statistic"] != "published"]
    stat = rows["statistic"]
    cells = rows[OUTCOME_KEY].copy()
    cells["events"] = rows["numerator"].where(stat.isin(["proportion", "rate"]))
    cells["population"] = rows["denominator"].where(stat.isin(["proportion", "rate", "mean"]))
    cells["respondents"] = rows[respondents].where(stat == "weighted_proportion")
    cells["score_total"] = rows["numerator"].where(stat == "mean")
    cells["is_derived"] = False
    counts = ["events", "population", "respondents", "score_total"]
    cell = ["authority_code", "period", "indicator_id", "sex", "fsm", "sen"]
    # The unknown share is published for the overall cell only (share differences, which would give
    # the known total of a breakdown, are published for the overall cell only too).
    whole = (cells[["sex", "fsm", "sen"]] == "All").all(axis=1)
    overall = cells[whole & (cells["ethnicity_level"] == "all")].set_index(cell)[counts]
    known = cells[whole & (cells["ethnicity_level"] == "major")].groupby(cell)[counts].sum(min_count=1)
    # Only where groups of known ethnicity exist: the attacker derives the unknown count from them
    # (with the unknown share and the share differences); with none, All is not split at all.
    unknown = (overall - known.reindex(overall.index)).dropna(how="all")
    withheld = overall.index[:0]
    if "is_unknown_share_withheld" in rows:  # the published table: was the share withheld?
        share = rows[whole & (rows["ethnicity_level"] == "all")].set_index(cell)["is_unknown_share_withheld"]
        withheld = overall.index[share.reindex(overall.index).fillna(False).astype(bool).to_numpy()]
        unknown = unknown.reindex(unknown.index.union(withheld))
        unknown.loc[withheld, counts] = float("nan")
    unknown["is_derived"] = ~unknown.index.isin(withheld)
    unknown = unknown.reset_index().assign(ethnicity_level=UNKNOWN_LEVEL, ethnicity_code=UNKNOWN_CODE)
    return pd.concat([cells, unknown[cells.columns]], ignore_index=True)


def published_outcome_rows(estimates: pd.DataFrame) -> pd.DataFrame:
    """The cells publish.outcome_indicators carries. DfE extended codes (Somali, Nigerian, Turkish,
    Kurdish...) are published for ethnicity alone: crossed with sex, FSM or SEN half their cells
    fall below k, and their suppression would hide much of the rest. Those intersections are read
    at a broader level (methods §7): DfE main codes, or the custom groups (Somali, Turkish and
    Kurdish) which keep every breakdown."""
    intersection = (estimates[["sex", "fsm", "sen"]] != "All").any(axis=1)
    return estimates[~((estimates["ethnicity_level"] == "extended") & intersection)]


def protect_outcomes(
    estimates: pd.DataFrame, members: pd.DataFrame, k: int, previous: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Suppression flags for every published estimate cell (publish.outcome_indicators joins it and
    publishes only the cells it lists, and Fingertips rows), with each partition's digest.

    `previous` is an earlier result (the model's table before this run): a partition whose digest it
    holds is taken from it, not protected again, since its cells, k, layout and code are the same.
    One source's new extract touches a few indicators, so a refresh protects only those."""
    cells = outcome_cells(published_outcome_rows(estimates), respondents="records")
    layout = outcome_layout(members)
    cells[DIGEST] = partition_digests(cells, layout, k, layout_digest(layout, Path(__file__)))
    columns = [*OUTCOME_KEY, "is_primary_suppressed", "is_secondary_suppressed", "is_unknown_share_withheld"]
    reused = pd.DataFrame(columns=[*columns, DIGEST])
    if previous is not None and DIGEST in previous:
        reused = previous.loc[previous[DIGEST].isin(cells[DIGEST]), [*columns, DIGEST]]
    todo = cells[~cells[DIGEST].isin(reused[DIGEST])]
    if todo.empty:
        return reused.reset_index(drop=True)
    result = protect(todo, layout, k).cells
    # A derived row hidden: its partition's unknown share (and share differences) are withheld.
    withheld = result.loc[result["is_derived"] & result["is_secondary_suppressed"], list(layout.partition)]
    result = result[~result["is_derived"]].merge(
        withheld.assign(is_unknown_share_withheld=True), on=list(layout.partition), how="left"
    )
    result["is_unknown_share_withheld"] = result["is_unknown_share_withheld"].eq(True)  # else NaN
    fresh = result[[*columns, DIGEST]]
    return pd.concat([reused, fresh], ignore_index=True) if len(reused) else fresh


# --- publish.pay_gap with publish.pay_gap_by_sex -------------------------------------------------

# A pay-gap cell: ethnicity rows (publish.pay_gap) are sex 'All', the gender pay gap's rows are
# ethnicity 'all', so one key covers every row of both tables and of the mart (workforce_pay_gap).
PAY_GAP_KEY = ["authority_code", "snapshot_date", "ethnicity_level", "ethnicity_group", "sex"]
PAY_GAP_COUNTS = ("relevant_headcount", "full_pay_relevant_headcount")
PAY_GAP_COLUMNS = ", ".join([*PAY_GAP_KEY, *PAY_GAP_COUNTS])
PAY_GAP_MEMBERS_SQL = (
    "select ethnicity_level as level, ethnicity_group as code, atom "
    "from intermediate.int_disclosure__workforce_members"
)


def pay_gap_layout(members: pd.DataFrame) -> Layout:
    """Headcounts by ethnicity level x sex: pay_gap (all staff) and pay_gap_by_sex (women, men) are
    published together, so a group's headcount is attacked across both. `members`: level, code, atom
    (int_disclosure__workforce_members)."""
    return Layout(
        partition=("authority_code", "snapshot_date"),
        dimensions=(
            Hierarchy("ethnicity_level", "ethnicity_group", members, overlapping_levels=()),
            FlatDimension("sex", "All"),
        ),
        counts=PAY_GAP_COUNTS,
    )


def protect_pay_gaps(gaps: pd.DataFrame, members: pd.DataFrame, k: int) -> pd.DataFrame:
    """Suppression flags for every pay-gap cell of workforce_pay_gap (PAY_GAP_COLUMNS): the macro
    pay_gap_disclosure hides the headcounts of the cells it flags, in both published tables."""
    flags = protect(gaps[[*PAY_GAP_KEY, *PAY_GAP_COUNTS]], pay_gap_layout(members), k).cells
    return flags[[*PAY_GAP_KEY, "is_primary_suppressed", "is_secondary_suppressed"]]


# --- Registry ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditedTables:
    """Published tables attacked together: how to read them from the snapshot, their true counts from
    the warehouse, the layout, and how rows of either become the layout's cells."""

    name: str
    published_sql: str  # on the snapshot
    truth_sql: str  # on the warehouse
    layout: Callable[[duckdb.DuckDBPyConnection], Layout]  # from the warehouse's reference data
    cells: Callable[[pd.DataFrame, bool], pd.DataFrame]  # (rows, rows are the truth)


AUDITED = [
    AuditedTables(
        name="outcome_indicators",
        published_sql=f"select {', '.join(PUBLISHED_OUTCOME_COLUMNS)} from publish.outcome_indicators",
        truth_sql=f"select {', '.join(TRUE_OUTCOME_COLUMNS)} from marts.outcome_indicator_estimates",
        layout=lambda con: outcome_layout(
            con.sql(
                "select ethnicity_level as level, ethnicity_code as code, atom "
                "from intermediate.int_disclosure__ethnicity_members"
            ).df()
        ),
        cells=lambda rows, truth: (
            outcome_cells(published_outcome_rows(rows), respondents="records")
            if truth
            else outcome_cells(
                rows.assign(is_unknown_share_withheld=rows["unknown_ethnicity_symbol"].eq("c")),
                respondents="respondents",
            )
        ),
    ),
    AuditedTables(
        name="pay_gap",
        published_sql=(
            f"select {', '.join(PAY_GAP_KEY[:4])}, 'All' as sex, {', '.join(PAY_GAP_COUNTS)} "
            f"from publish.pay_gap union all select {PAY_GAP_COLUMNS} from publish.pay_gap_by_sex"
        ),
        truth_sql=f"select {PAY_GAP_COLUMNS} from marts.workforce_pay_gap",
        layout=lambda con: pay_gap_layout(con.sql(PAY_GAP_MEMBERS_SQL).df()),
        cells=lambda rows, truth: rows,
    ),
]


# Published tables whose own suppression rules are not yet on the engine: the audit checks that no
# count of people among these columns is shown between 0 and k (primary suppression), table by table.
SHOWN_COUNTS = {
    "pay_quartiles": ("employees_in_quartile", "full_pay_relevant_headcount"),
    "top_earners": (
        "full_pay_relevant_headcount",
        "top_earners_headcount",
        "top_earners_known_ethnicity",
        "top_earners_ethnic_minority",
    ),
    "workforce_relative_likelihood": ("a", "n1", "c", "n0"),
    "workforce_representation": ("headcount", "band_known_headcount"),
    "workforce_declaration": ("headcount", "declared", "prefer_not_to_say", "not_recorded"),
}
