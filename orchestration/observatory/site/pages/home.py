"""The home page: what the Observatory is, the headline gaps and where the data came from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from observatory.site import formatting as f
from observatory.site.pages import Page, pay_gap
from observatory.site.snapshot import Snapshot

HEADLINE_GROUPS = 3


@dataclass(frozen=True)
class Headline:
    authority: str
    reporting_year: str
    snapshot_date: str
    overall: str | None  # the White British / ethnic minorities sentence, when published
    level_heading: str | None
    largest: tuple[str, ...]  # sentences for the largest gaps at the most detailed level


def headlines(snapshot: Snapshot) -> tuple[Headline, ...]:
    out = []
    for auth in pay_gap.load(snapshot):
        rows = list(auth.latest_rows)
        binary = pay_gap.largest_gaps([r for r in rows if r["ethnicity_level"] == "minority_binary"], 1)
        detailed = [lvl for lvl in pay_gap.LEVELS if lvl != "minority_binary"]
        level = next((lvl for lvl in detailed if any(r["ethnicity_level"] == lvl for r in rows)), None)
        top = (
            pay_gap.largest_gaps([r for r in rows if r["ethnicity_level"] == level], HEADLINE_GROUPS)
            if level
            else []
        )
        out.append(
            Headline(
                authority=auth.name,
                reporting_year=auth.reporting_year,
                snapshot_date=auth.snapshot_date,
                overall=(
                    pay_gap.gap_sentence(
                        binary[0]["ethnicity_group"],
                        binary[0]["median_hourly_gap_pct"],
                        auth.comparator,
                    )
                    if binary
                    else None
                ),
                level_heading=pay_gap.level_heading(level) if top else None,
                largest=tuple(
                    pay_gap.gap_sentence(r["ethnicity_group"], r["median_hourly_gap_pct"], auth.comparator)
                    for r in top
                ),
            )
        )
    return tuple(out)


def context(snapshot: Snapshot) -> dict[str, Any]:
    manifest = snapshot.manifest()
    return {
        "headlines": headlines(snapshot) if pay_gap.TABLE in snapshot.tables() else (),
        "manifest_rows": tuple(
            {
                "table": r["table_name"],
                "rows": f.count(r["row_count"]) if r["row_count"] is not None else "Not recorded",
                "published_at": (f.long_datetime(r["published_at"]) if r["published_at"] else "Not recorded"),
                "source_periods": r["source_periods"] or "Not recorded",
            }
            for r in manifest.rows
        ),
        "source_periods": manifest.source_periods,
        "pay_gap_href": pay_gap.PAGE.path,
    }


PAGE = Page(
    path="index.html",
    template="index.html",
    title="Race Equality Observatory",
    nav_label="Home",
    context=context,
)
