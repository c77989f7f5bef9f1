"""Methods and glossary: symbols, words, statistics, reference groups, disclosure control, sources.

Written for a lay reader, summarising docs/methods.md. The few settings it quotes (the minimum count,
the reference groups, the confidence level) are read from the dbt project's vars, the ones every
model uses; the sources and periods from the snapshot's manifest (and source titles from
publish.data_quality when published).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from observatory import config
from observatory.site import formatting as f
from observatory.site.pages import Page
from observatory.site.snapshot import Snapshot

# Every GSS symbol the Observatory's tables can carry (methods reference §7), in plain words.
SYMBOLS: dict[str, str] = {
    "c": "Confidential. The figure is withheld because it is about fewer than the minimum number of"
    " people, or because it would let someone work out a withheld figure by subtraction.",
    "low": "Rounds to zero. The figure is greater than zero but too small to show at the number of"
    " decimal places used.",
    "x": "Not available. No figure is held for this group or period, or it cannot be calculated"
    " (for example a rate with no events in the comparison group).",
    "z": "Not applicable. The figure does not apply: for example the gap between the reference"
    " group and itself, or a bonus gap where no bonus is paid.",
    "u": "Low reliability. The figure is published but is based on so few people that it should be"
    " read with great caution.",
}

COMPARISON_WORDS: tuple[tuple[str, str], ...] = (
    ("Better", "Significantly better than what it is compared with (the benchmark lies outside the 95%"
     " confidence interval, on the good side)."),
    ("Similar", "No significant difference: the benchmark lies inside the 95% confidence interval."),
    ("Worse", "Significantly worse than what it is compared with."),
    ("Higher / Lower", "A significant difference for a measure where higher is neither better nor worse"
     " (for example the share of staff in a grade, or children looked after)."),
    ("Not compared", "No comparison can be made: no benchmark is held, or the figure has no interval."),
)  # fmt: skip

TRENDS: tuple[tuple[str, str], ...] = (
    ("Increasing / Decreasing", "A significant rise or fall over the five most recent years; “and"
     " getting better” or “and getting worse” is added where higher or lower is better."),
    ("No significant change", "The figures moved, but not by more than chance would explain."),
    ("Cannot be calculated", "Fewer than five consecutive years are held, or a year is missing or"
     " withheld."),
)  # fmt: skip


@dataclass(frozen=True)
class Symbol:
    code: str
    shown: str  # "[c]"
    meaning: str


@dataclass(frozen=True)
class Source:
    name: str
    title: str
    periods: str
    tables: tuple[str, ...]


def dbt_vars() -> dict[str, Any]:
    """The dbt project's vars (settings every model uses); empty if the project file cannot be read."""
    try:
        project = yaml.safe_load((config.DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    return dict(project.get("vars") or {})


def symbols() -> tuple[Symbol, ...]:
    """Every symbol: the GSS list, then any other the site's formatting knows."""
    out = [Symbol(code, f"[{code}]", meaning) for code, meaning in SYMBOLS.items()]
    for code, meaning in f.SYMBOLS.items():
        if code not in SYMBOLS:
            out.append(Symbol(code, f"[{code}]", meaning[:1].upper() + meaning[1:] + "."))
    return tuple(out)


def _split_periods(text: str | None) -> dict[str, str]:
    """'hr_payroll: 2021-03-31 to 2025-03-31; ks4: 2020/21 to 2024/25' -> {source: periods}."""
    out = {}
    for part in (text or "").split(";"):
        name, sep, periods = part.strip().partition(":")
        if sep and name.strip():
            out[name.strip()] = periods.strip()
    return out


def sources(snapshot: Snapshot) -> tuple[Source, ...]:
    periods: dict[str, str] = {}
    tables: dict[str, set[str]] = {}
    for r in snapshot.manifest().rows:
        for name, p in _split_periods(r.get("source_periods")).items():
            periods.setdefault(name, p)
            tables.setdefault(name, set()).add(r["table_name"])
    titles: dict[str, str] = {}
    if "data_quality" in snapshot.tables():
        for r in snapshot.rows(
            "select distinct source_name, source_title from publish.data_quality order by source_name"
        ):
            if r["source_title"]:
                titles.setdefault(r["source_name"], r["source_title"])
    return tuple(
        Source(
            name,
            titles.get(name, name.replace("_", " ").capitalize()),
            periods[name],
            tuple(sorted(tables[name])),
        )
        for name in sorted(periods)
    )


def _group_name(snapshot: Snapshot, code: str | None, fallback: str) -> str:
    if not code:
        return fallback
    if "outcome_indicators" in snapshot.tables():
        rows = snapshot.rows(
            "select ethnicity_group from publish.outcome_indicators where ethnicity_code = ?"
            " and ethnicity_level in ('census2021', 'major') order by ethnicity_level limit 1",
            [code],
        )
        if rows:
            return rows[0]["ethnicity_group"]
    return {"WBRI": "White British"}.get(code, code)


def context(snapshot: Snapshot) -> dict[str, Any]:
    v = dbt_vars()
    k = v.get("disclosure_min_count")
    confidence = v.get("outcome_confidence")
    return {
        "symbols": symbols(),
        "comparison_words": COMPARISON_WORDS,
        "trends": TRENDS,
        "min_count": int(k) if k is not None else None,
        "pay_min_group": v.get("pay_gap_min_group_size"),
        "confidence": f"{round(float(confidence) * 100)}%" if confidence is not None else "95%",
        "reference_group": _group_name(snapshot, v.get("outcome_reference_group"), "White British"),
        "reference_major": _group_name(snapshot, v.get("outcome_reference_major_group"), "White"),
        "pay_comparator": _group_name(snapshot, v.get("pay_gap_comparator_code"), "White British"),
        "sources": sources(snapshot),
        "source_periods_known": bool(snapshot.manifest().source_periods),
    }


PAGE = Page(
    path="methods.html",
    template="methods.html",
    title="Methods and glossary",
    nav_label="Methods and glossary",
    context=context,
)
