"""The action-plan tracker on the demo borough (issue 7, item 3).

publish.action_plan, action_plan_summary and action_plan_history must recover what the generator
planted (every action's status at every update, counts by status and theme, the overdue actions),
agree with a pandas recomputation from the raw extract (overdue = due before the as-at date and not
Complete; due soon = within 90 days), list each action's status history in update order, link only
indicators of the catalogue, and answer the board's question from one table: the overdue actions
beside the latest figures and trends of the outcomes they target, exactly as the published outcome
tables show them (a suppressed figure stays suppressed).
"""

from __future__ import annotations

import csv
from datetime import date, timedelta

import duckdb
import pandas as pd
import pytest
from observatory import config
from observatory.contracts import normalise_label
from observatory.demo import action_plan_content

DUE_SOON_DAYS = 90  # the default of the dbt var action_plan_due_soon_days
SEEDS = config.DBT_PROJECT_DIR / "seeds" / "reference"


def _published(demo_run, table: str) -> pd.DataFrame:
    with duckdb.connect(str(demo_run["paths"].snapshot), read_only=True) as con:
        return con.execute(f"select * from publish.{table}").df()


@pytest.fixture(scope="module")
def tracker(demo_run) -> pd.DataFrame:
    return _published(demo_run, "action_plan")


@pytest.fixture(scope="module")
def actions(tracker) -> pd.DataFrame:
    """One row per action (the tracker repeats an action once per linked indicator)."""
    return tracker.drop_duplicates(["authority_code", "action_ref"]).set_index(
        ["authority_code", "action_ref"]
    )


@pytest.fixture(scope="module")
def summary(demo_run) -> pd.DataFrame:
    return _published(demo_run, "action_plan_summary")


@pytest.fixture(scope="module")
def history(demo_run) -> pd.DataFrame:
    return _published(demo_run, "action_plan_history")


@pytest.fixture(scope="module")
def raw(demo_run) -> pd.DataFrame:
    """The loaded extract, as ingest wrote it (private schema, read-only)."""
    with duckdb.connect(str(demo_run["paths"].warehouse), read_only=True) as con:
        frame = con.execute(
            "select upper(authority_code) as authority_code, as_at_date, ref, due_date, status "
            "from raw.action_plan"
        ).df()
    for column in ("as_at_date", "due_date"):
        frame[column] = pd.to_datetime(frame[column]).dt.date
    return frame


@pytest.fixture(scope="module")
def truth(demo_run) -> dict:
    return demo_run["truth"]["sources"]["action_plan"]


def _links() -> list[dict]:
    with (SEEDS / "action_plan_indicator_links.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _quarter(as_at: str) -> tuple[str, str]:
    """('Q1', '2023/24') for '2023-06-30': the UK financial quarter of an as-at date."""
    d = date.fromisoformat(as_at)
    start = d.year if d.month >= 4 else d.year - 1
    return f"Q{(d.month + 8) % 12 // 3 + 1}", f"{start}/{(start + 1) % 100:02d}"


def _expected_history(statuses: dict[str, str]) -> str:
    """The status at the first update and at every change, oldest first, the year written when it changes."""
    entries, previous_status, previous_year = [], None, None
    for as_at in sorted(statuses):
        if statuses[as_at] == previous_status:
            continue
        quarter, year = _quarter(as_at)
        entries.append(
            f"{quarter} {statuses[as_at]}" if year == previous_year else f"{quarter} {year} {statuses[as_at]}"
        )
        previous_status, previous_year = statuses[as_at], year
    return " -> ".join(entries)


def _same(a, b) -> bool:
    """Equal, or both missing (None, NaN, NA)."""
    return (pd.isna(a) and pd.isna(b)) or (not pd.isna(a) and not pd.isna(b) and a == b)


def test_overdue_and_due_soon_actions_equal_a_recomputation_from_the_raw_extract(raw, actions, truth):
    latest = raw[raw["as_at_date"] == raw.groupby("authority_code")["as_at_date"].transform("max")]
    due = latest["due_date"].notna()
    open_ = latest["status"] != "Complete"
    past = due & (latest["due_date"] < latest["as_at_date"])
    soon_limit = latest["as_at_date"] + timedelta(days=DUE_SOON_DAYS)
    soon = due & (latest["due_date"] >= latest["as_at_date"]) & (latest["due_date"] <= soon_limit)
    overdue = latest[past & open_]
    in_latest = actions[actions["is_in_latest_update"]]

    published = set(in_latest.index[in_latest["is_overdue"]])
    assert published == set(zip(overdue["authority_code"], overdue["ref"], strict=True))
    assert published, "the demo plan has overdue actions"
    assert set(in_latest.index[in_latest["is_due_soon"]]) == set(
        zip(latest.loc[soon & open_, "authority_code"], latest.loc[soon & open_, "ref"], strict=True)
    )
    days = (overdue["as_at_date"] - overdue["due_date"]).map(lambda d: d.days)
    assert dict(zip(zip(overdue["authority_code"], overdue["ref"], strict=True), days, strict=True)) == {
        key: int(row["days_overdue"]) for key, row in in_latest[in_latest["is_overdue"]].iterrows()
    }
    # ... and the generator's own list of overdue actions in each authority's latest update.
    last = {}
    for update in truth["updates"]:
        if update["as_at"] >= last.get(update["authority_code"], {}).get("as_at", ""):
            last[update["authority_code"]] = update
    assert published == {(code, ref) for code, update in last.items() for ref in update["overdue_refs"]}


def test_every_action_ever_listed_appears_once_per_link_or_once_without(raw, tracker, actions):
    assert set(actions.index) == set(zip(raw["authority_code"], raw["ref"], strict=True))
    rows_per_action = tracker.groupby(["authority_code", "action_ref"]).size()
    assert (
        rows_per_action == actions["linked_indicators"].clip(lower=1).reindex(rows_per_action.index)
    ).all()
    unlinked = tracker[tracker["indicator_id"].isna()]
    assert (unlinked["linked_indicators"] == 0).all() and (unlinked["indicator_value_symbol"] == "z").all()
    assert len(unlinked) > 0 and tracker["indicator_id"].notna().sum() > 0


def test_planted_statuses_are_recovered_at_every_update(truth, actions, history):
    by_update = history.assign(as_at=history["as_at_date"].astype(str)).set_index(
        ["authority_code", "action_ref", "as_at"]
    )["status"]
    expected = {
        (a["authority_code"], a["ref"], as_at): status
        for a in truth["actions"]
        for as_at, status in a["history"].items()
    }
    assert by_update.to_dict() == expected
    for a in truth["actions"]:
        row = actions.loc[(a["authority_code"], a["ref"])]
        last = max(a["history"])
        assert row["latest_status"] == a["history"][last]
        assert str(row["status_as_at_date"])[:10] == last
        assert row["updates_count"] == len(a["history"])
        assert row["is_ongoing"] == a["ongoing"]


def test_status_history_lists_the_first_status_and_each_change_in_update_order(truth, actions):
    changes = 0
    for a in truth["actions"]:
        published = actions.loc[(a["authority_code"], a["ref"]), "status_history"]
        assert published == _expected_history(a["history"]), a["ref"]
        changes += published.count(" -> ")
    assert changes > len(truth["actions"])  # statuses do move: the order is really tested


def test_summary_counts_equal_the_planted_counts_by_status_and_theme(truth, summary):
    rows = summary.assign(as_at=summary["as_at_date"].astype(str)).set_index(
        ["authority_code", "as_at", "theme", "owner"]
    )
    columns = {"Not started": "not_started", "On track": "on_track", "At risk": "at_risk",
               "Off track": "off_track", "Complete": "complete"}  # fmt: skip
    for update in truth["updates"]:
        whole = rows.loc[(update["authority_code"], update["as_at"], "All", "All")]
        assert whole["actions"] == update["rows_kept"]
        assert {s: whole[c] for s, c in columns.items()} == update["status_counts"]
        assert whole["overdue"] == update["overdue"]
        # The catalogue indicator ap_actions_on_track_pct is read from this row.
        on_track = update["status_counts"]["On track"] + update["status_counts"]["Complete"]
        assert whole["complete_or_on_track_pct"] == pytest.approx(
            round(100 * on_track / update["rows_kept"], 1)
        )
        for theme, counts in update["by_theme"].items():
            row = rows.loc[(update["authority_code"], update["as_at"], theme, "All")]
            assert (row["actions"], row["complete"], row["overdue"]) == (
                counts["actions"], counts["complete"], counts["overdue"],
            )  # fmt: skip
    # Every (theme, owner) cell adds up to its theme's and owner's 'All' rows.
    cells = summary[(summary["theme"] != "All") & (summary["owner"] != "All")]
    by_theme = cells.groupby(["authority_code", "as_at_date", "theme"])["actions"].sum()
    themes = summary[summary["owner"] == "All"].set_index(["authority_code", "as_at_date", "theme"])[
        "actions"
    ]
    assert (by_theme == themes.reindex(by_theme.index)).all()
    assert summary["is_latest_update"].sum() > 0


def test_every_linked_indicator_is_in_the_catalogue_and_every_demo_link_names_a_demo_action(tracker):
    with (SEEDS / "indicators.csv").open(encoding="utf-8") as fh:
        catalogue = {row["indicator_id"] for row in csv.DictReader(fh)}
    links = _links()
    assert {link["indicator_id"] for link in links} <= catalogue
    assert set(tracker["indicator_id"].dropna()) <= catalogue
    library = {normalise_label(a.text) for r in action_plan_content.RECOMMENDATIONS for a in r.actions}
    by_description = [link for link in links if link["action_description"]]
    assert by_description and all(
        normalise_label(link["action_description"]) in library for link in by_description
    )
    # Every indicator the demo borough's plan links to has a published figure.
    linked = tracker[tracker["indicator_id"].notna()]
    assert linked["indicator_value_symbol"].isin(["x", "z"]).sum() == 0
    assert (linked["indicator_value"].notna() | (linked["indicator_value_symbol"] == "c")).all()


def test_linked_figures_are_the_published_outcome_figures_and_stay_suppressed(demo_run, tracker):
    outcomes = _published(demo_run, "outcome_indicators")
    every = (outcomes["sex"] == "All") & (outcomes["fsm"] == "All") & (outcomes["sen"] == "All")
    cells = outcomes[outcomes["breakdown"].isin(["total", "ethnicity"]) & every].set_index(
        ["authority_code", "indicator_id", "period", "ethnicity_level", "ethnicity_code"]
    )
    linked = tracker[tracker["indicator_source"] == "outcome_indicators"]
    assert len(linked) > 0
    for _, row in linked.iterrows():
        key = (row["authority_code"], row["indicator_id"])
        latest = outcomes.loc[(outcomes["authority_code"] == key[0]) & (outcomes["indicator_id"] == key[1])]
        assert row["indicator_period"] == latest.loc[latest["period_end_year"].idxmax(), "period"]
        overall = cells.loc[(*key, row["indicator_period"], "all", "All")]
        assert row["indicator_value"] == pytest.approx(overall["value"], nan_ok=True)
        assert row["indicator_trend"] == overall["trend"]
        assert row["indicator_compared_with_england"] == overall["compared_with_england"]
        if pd.isna(row["targeted_ethnicity_code"]):
            continue
        group = cells.loc[
            (*key, row["indicator_period"], row["targeted_ethnicity_level"], row["targeted_ethnicity_code"])
        ]
        for ours, theirs in (
            ("group_value_symbol", "value_symbol"),
            ("group_is_significant", "is_rri_significant"),
        ):
            assert _same(row[ours], group[theirs]), (row["action_ref"], ours)
        assert row["group_value"] == pytest.approx(group["value"], nan_ok=True)
        assert row["group_rri"] == pytest.approx(group["rri"], nan_ok=True)
    # Never un-suppressed: a withheld group figure is null here with its symbol.
    withheld = tracker[tracker["group_value_symbol"].isin(["c", "x"])]
    assert withheld["group_value"].isna().all() and withheld["group_rri"].isna().all()


def test_the_board_question_is_answered_by_one_table(demo_run, tracker):
    """Which actions are overdue, and how are the outcomes they target moving? One filter, one table."""
    overdue = tracker[tracker["is_overdue"] & tracker["indicator_id"].notna()]
    assert len(overdue) > 0
    answered = overdue[["action_ref", "theme", "owner", "days_overdue", "indicator_name", "indicator_period",
                        "indicator_value", "indicator_trend", "targeted_group", "group_value", "group_rri",
                        "group_compared_with_reference"]]  # fmt: skip
    assert answered["days_overdue"].gt(0).all()
    assert answered["indicator_period"].notna().all()
    assert answered["indicator_trend"].notna().any()
    # The slow theme the generator planted (policing and youth justice) has overdue actions whose
    # targeted outcomes (stop and search, youth justice) are shown beside them.
    policing = overdue[overdue["theme"] == action_plan_content.POLICING]
    assert len(policing) > 0
    assert policing["indicator_id"].str.match(r"^(police_|yj_|rs_)").all()
    # Workforce figures come from the workforce tables: the top-5% share is publish.top_earners'.
    top = tracker[tracker["indicator_id"] == "wf_top5_minority_share_pct"]
    earners = (
        _published(demo_run, "top_earners").sort_values("snapshot_date").groupby("authority_code").last()
    )
    for _, row in top.iterrows():
        assert row["indicator_value"] == pytest.approx(
            earners.loc[row["authority_code"], "minority_share_pct"]
        )
        assert row["indicator_period"] == earners.loc[row["authority_code"], "reporting_year"]
