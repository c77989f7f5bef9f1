"""The action plan demo source: quarterly XLSX progress workbooks that are deterministic, visibly
synthetic, readable by ingest, messy as real ones are, and whose ground truth (counts by status,
overdue actions, each action's status history, faults) agrees with the files."""

from __future__ import annotations

import re
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import pandas as pd
import pytest
from observatory.contracts import normalise_label, parse_contract
from observatory.demo import action_plan
from observatory.demo.authorities import authorities_for
from observatory.demo.context import DemoContext
from observatory.demo.faults import DirtyConfig
from observatory.ingest.readers import ROW_COLUMN, ExtractError, RawExtract, read_extract
from openpyxl import load_workbook

SOURCE = action_plan.SOURCE
REQUIRED = ("ref", "action", "due_date", "owner", "status")
MONTHS = {m.lower(): i + 1 for i, m in enumerate(action_plan.MONTHS)}


def _ctx(seed: int = 42, years: tuple[int, ...] = (2024, 2025), dirty: bool = False, authorities=None):
    return DemoContext(
        seed=seed,
        scale="borough",
        authorities=authorities or authorities_for("borough"),
        snapshot_dates=tuple(date(y, 3, 31) for y in years),
        dirty=DirtyConfig() if dirty else None,
    )


def _run(inbox: Path, **kwargs) -> dict:
    return action_plan.write(inbox, _ctx(**kwargs))[SOURCE]


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> tuple[Path, dict]:
    inbox = tmp_path_factory.mktemp("plan_clean")
    return inbox, _run(inbox)


@pytest.fixture(scope="module")
def dirty(tmp_path_factory) -> tuple[Path, dict]:
    inbox = tmp_path_factory.mktemp("plan_dirty")
    return inbox, _run(inbox, dirty=True)


@pytest.fixture(scope="module")
def layouts(tmp_path_factory) -> tuple[Path, dict]:
    """Authorities 1-3 over one year: the three tracker layouts."""
    inbox = tmp_path_factory.mktemp("plan_layouts")
    return inbox, _run(inbox, years=(2025,), authorities=authorities_for("london")[:3])


def _contract():
    doc = {
        "name": SOURCE,
        "domain": "action_plan",
        "period": {"column": "last_updated"},
        "columns": [
            {"name": c, "type": "string", "required": c in REQUIRED, "aliases": list(a)}
            for c, a in action_plan.column_aliases().items()
        ],
    }
    return parse_contract(doc)


@cache
def _extract(path: str, mtime_ns: int) -> RawExtract:
    return read_extract(Path(path), _contract())


def _read(inbox: Path, record: dict) -> pd.DataFrame:
    path = inbox / record["file"]
    extract = _extract(str(path), path.stat().st_mtime_ns)
    assert extract.malformed_rows == [] and extract.header_row == record["header_row"]
    return extract.frame.copy()


def _files(inbox: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((inbox / SOURCE).iterdir())}


def _month_end(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


def parse_due(text: str) -> date | None:
    """A due date cell as ingest reads it, by the rules in the ground truth's definitions."""
    text = text.strip()
    if normalise_label(text) in ("on going", "ongoing"):
        return None
    if m := re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)", text):  # an Excel date cell
        return date(*map(int, m.groups()))
    if m := re.fullmatch(r"(\d\d)/(\d\d)/(\d{4})", text):
        return date(int(m[3]), int(m[2]), int(m[1]))
    if m := re.fullmatch(r"([A-Za-z]{3})-(\d\d)", text):
        return _month_end(2000 + int(m[2]), MONTHS[m[1].lower()])
    if m := re.fullmatch(r"Q([1-4]) (\d\d)/\d\d", text):
        q, fy = int(m[1]), 2000 + int(m[2])
        month = 3 + 3 * q
        return _month_end(fy + (month > 12), (month - 1) % 12 + 1)
    raise ValueError(text)


def _canonical_status(record: dict, truth: dict) -> dict[str, str]:
    spelling = truth["layouts"][record["layout"]]["status"]
    return {v: k for k, v in spelling.items()}


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(clean, tmp_path):
    inbox, truth = clean
    assert _run(tmp_path / "again") == truth
    assert _files(tmp_path / "again") == _files(inbox)
    _run(tmp_path / "other", seed=7)
    other = _files(tmp_path / "other")
    assert other != _files(inbox)


def test_a_quarter_is_the_same_whichever_years_are_generated(clean, tmp_path):
    inbox, _ = clean
    _run(tmp_path / "one", years=(2025,))
    one = _files(tmp_path / "one")
    assert len(one) == 4 and all(_files(inbox)[name] == data for name, data in one.items())


def test_every_workbook_says_synthetic_in_its_name_and_title(clean):
    inbox, truth = clean
    assert len(truth["files"]) == 8  # quarterly, April 2023 to March 2025
    assert [r["as_at"] for r in truth["files"]][:2] == ["2023-06-30", "2023-09-30"]
    for record in truth["files"]:
        path = inbox / record["file"]
        assert "synthetic" in path.name and path.name.startswith(f"{SOURCE}_X09")
        extract = _extract(str(path), path.stat().st_mtime_ns)
        assert record["title_rows"] == [1, 2, 3] and record["header_row"] == 4
        assert [r for r, _ in extract.skipped_rows] == [1, 2, 3]
        titles = [
            r[0]
            for r in load_workbook(path, read_only=True).worksheets[0].iter_rows(max_row=3, values_only=True)
        ]
        assert titles[0].startswith("SYNTHETIC DEMO DATA - Northbrook (synthetic)")
        assert record["financial_quarter"] in titles[1] and "Fictional" in titles[2]


def test_workbooks_are_read_by_ingest_with_their_physical_rows(clean, layouts):
    for inbox, truth in (clean, layouts):
        for record in truth["files"]:
            frame = _read(inbox, record)
            assert len(frame) == record["data_rows"]
            assert frame[ROW_COLUMN].tolist() == list(
                range(record["first_data_row"], record["last_data_row"] + 1)
            )
            assert frame["ref"].is_unique


def test_three_layouts_with_merged_style_blanks_and_mixed_date_cells(layouts):
    inbox, truth = layouts
    assert [r["layout"] for r in truth["files"][::4]] == [0, 1, 2]
    assert len({tuple(r["header"]) for r in truth["files"]}) == 3
    for record in truth["files"]:
        frame = _read(inbox, record)
        assert 30 <= len(frame) <= 70
        first_of_rec = frame["recommendation"] != ""
        assert 10 <= first_of_rec.sum() < len(frame)  # continuation rows leave it blank
        due = frame["due_date"]
        assert due.str.fullmatch(r"\d{4}-\d\d-\d\d").any()  # Excel date cells
        assert due.str.fullmatch(r"[A-Z][a-z]{2}-\d\d").any()  # text months
        assert due.map(normalise_label).isin(["on going", "ongoing"]).any()
        statuses = set(frame["status"])
        assert statuses <= set(_canonical_status(record, truth))


def _check_update(inbox: Path, truth: dict, record: dict, kept_rows: set[int] | None = None) -> None:
    frame = _read(inbox, record)
    if kept_rows is not None:
        frame = frame[frame[ROW_COLUMN].isin(kept_rows)]
    as_at = date.fromisoformat(record["as_at"])
    status = frame["status"].map(_canonical_status(record, truth))
    due = frame["due_date"].map(parse_due)
    overdue = due.map(lambda d: d is not None and d < as_at) & (status != "Complete")
    update = next(u for u in truth["updates"] if u["file"] == record["file"])
    assert (
        status.value_counts().reindex(action_plan.STATUSES, fill_value=0).to_dict() == update["status_counts"]
    )
    assert int(overdue.sum()) == update["overdue"]
    assert frame["ref"][overdue].tolist() == update["overdue_refs"]
    assert update["rows_kept"] == len(frame)


def test_status_counts_and_overdue_actions_recomputed_from_the_files(clean, layouts):
    for inbox, truth in (clean, layouts):
        for record in truth["files"]:
            _check_update(inbox, truth, record)


def test_each_actions_history_matches_the_workbooks(clean):
    inbox, truth = clean
    seen: dict[str, dict[str, str]] = {}
    for record in truth["files"]:
        frame = _read(inbox, record)
        status = frame["status"].map(_canonical_status(record, truth))
        for ref, s in zip(frame["ref"], status, strict=True):
            seen.setdefault(ref, {})[record["as_at"]] = s
    assert {a["ref"]: a["history"] for a in truth["actions"]} == seen


def test_actions_move_through_statuses_and_some_slip(clean):
    _, truth = clean
    counts = [u["status_counts"] for u in truth["updates"]]
    complete = [c["Complete"] for c in counts]
    assert complete == sorted(complete) and complete[-1] > complete[0]  # completion only rises
    assert all(u["overdue"] > 0 for u in truth["updates"])
    histories = [list(a["history"].values()) for a in truth["actions"]]
    assert any("Not started" in h and h[-1] == "Complete" for h in histories)
    assert any("Off track" in h and "On track" in h for h in histories)
    late = [
        a
        for a in truth["actions"]
        if a["completed_as_at"] and a["due_date"] and a["completed_as_at"] > a["due_date"]
    ]
    assert late  # completed after the due date
    assert any(a["ongoing"] for a in truth["actions"])
    assert any(a["in_plan_from"] > truth["files"][0]["as_at"] for a in truth["actions"])  # added later


def test_policing_and_youth_justice_is_the_most_overdue_theme(clean):
    _, truth = clean
    totals: dict[str, list[int]] = {}
    for update in truth["updates"]:
        for theme, v in update["by_theme"].items():
            t = totals.setdefault(theme, [0, 0])
            t[0] += v["overdue"]
            t[1] += v["actions"]
    share = {theme: o / n for theme, (o, n) in totals.items()}
    assert max(share, key=share.get) == "Policing and youth justice"
    assert truth["planted"]["parameters"]["theme_hazard"] == {"Policing and youth justice": 0.4}


def test_dirty_faults_are_recorded_at_their_physical_rows(dirty, clean):
    inbox, truth = dirty
    rejected = [r for r in truth["files"] if r["rejected"]]
    assert len(rejected) == 1 and "status" not in rejected[0]["columns"].values()
    with pytest.raises(ExtractError, match="required column"):
        read_extract(inbox / rejected[0]["file"], _contract())
    assert rejected[0]["file"] not in {u["file"] for u in truth["updates"]}
    assert [f["fault"] for f in truth["faults"] if f["file"] == rejected[0]["file"]] == [
        "missing_required_column"
    ]
    for record in (r for r in truth["files"] if not r["rejected"]):
        faults = [f for f in truth["faults"] if f["file"] == record["file"]]
        assert {f["fault"] for f in faults} == {
            "unknown_status", "duplicate_row", "impossible_date", "negative_percent",
            "text_in_numeric", "percent_out_of_range",
        }  # fmt: skip
        frame = _read(inbox, record).set_index(ROW_COLUMN)
        for f in faults:
            value = frame.at[f["row"], f["canonical_column"]]
            assert value == f["value"] or float(value) == f["value"], f
            assert frame.at[f["row"], "ref"] == f["ref"]
            if f["fault"] == "duplicate_row":
                assert frame.loc[f["duplicate_of_row"]].equals(frame.loc[f["row"]])
        listed = {f["row"] for f in faults}
        _check_update(inbox, truth, record, kept_rows=set(frame.index) - listed)
        clean_frame = _read(clean[0], record).set_index("ref")
        other = frame[~frame.index.isin(listed)].set_index("ref")
        pd.testing.assert_frame_equal(other, clean_frame.loc[other.index].drop(columns=ROW_COLUMN))
