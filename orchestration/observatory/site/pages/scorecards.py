"""What the two scorecard pages and the overview share: comparison cells, trend markers, numbers by unit.

Comparison cells follow the Fingertips convention (a coloured cell per comparison) with the word always
printed in the cell, so no meaning rests on colour. The colours are not Fingertips' red and green,
which many colour-blind readers cannot tell apart: blue for better, orange for worse, pale yellow for
similar, light and dark purple for higher and lower (no judgement), grey for not compared; every text
colour on its background has a contrast of at least 4.5:1 (checked in tests/test_site_scorecards.py;
the colours are in static/scorecards.css).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from observatory.site import filters
from observatory.site import formatting as f
from observatory.site.pages import Download

# word -> css modifier; the background and text colours (for the contrast test) live here and in the CSS
COMPARISON_STYLES: dict[str, tuple[str, str, str]] = {
    "Better": ("better", "#005a9c", "#ffffff"),
    "Similar": ("similar", "#fbe38e", "#0b0c0c"),
    "Worse": ("worse", "#a84300", "#ffffff"),
    "Higher": ("higher", "#ddd5f3", "#0b0c0c"),
    "Lower": ("lower", "#4b2a86", "#ffffff"),
    "Not compared": ("not-compared", "#e8e8e8", "#0b0c0c"),
}
NOT_COMPARED = "Not compared"
# The comparison words in the order pages list them (the key, counts)
KEY_WORDS = ("Better", "Similar", "Worse", "Higher", "Lower", NOT_COMPARED)

# Trend words (Fingertips' recent trend) -> arrow glyph; the words are always printed beside it.
TREND_ARROWS: dict[str, str] = {
    "Increasing": "\u2191",
    "Increasing and getting better": "\u2191",
    "Increasing and getting worse": "\u2191",
    "Decreasing": "\u2193",
    "Decreasing and getting better": "\u2193",
    "Decreasing and getting worse": "\u2193",
    "No significant change": "\u2192",
    "Cannot be calculated": "\u2013",
}


@dataclass(frozen=True)
class Comparison:
    word: str
    css: str  # class modifier: cmp-<css>


def comparison(word: str | None) -> Comparison:
    """A comparison word as a cell; a missing word reads 'Not compared' (never a blank)."""
    text = word or NOT_COMPARED
    style = COMPARISON_STYLES.get(text)
    return Comparison(text, style[0] if style else "not-compared")


@dataclass(frozen=True)
class Trend:
    words: str
    arrow: str
    direction: str  # what the arrow means, for screen readers: "rising", "falling", "no change"


def trend(words: str | None) -> Trend:
    text = words or "Cannot be calculated"
    arrow = TREND_ARROWS.get(text, "\u2013")
    direction = {"\u2191": "rising", "\u2193": "falling", "\u2192": "no significant change"}.get(
        arrow, "no trend"
    )
    return Trend(text, arrow, direction)


def number(value: float, unit: str | None) -> str:
    """A value in its unit's usual form: 67.1% for shares, 48.3 for rates, scores and years."""
    if unit == "%":
        return f.pct(value)
    return f._fixed(value, 1)


def with_unit(value: float, unit: str | None) -> str:
    """The value with its unit, for sentences: '67.1%', '84.7 years', '5.2 per 100 pupils'."""
    text = number(value, unit)
    if not unit or unit == "%":
        return text
    if unit == "score":
        return f"a score of {text}"
    return f"{text} {unit}"


def unit_label(unit: str | None) -> str:
    """For a column heading: '(%)', '(per 100 pupils)'."""
    return f"({unit})" if unit else ""


def value_cell(value: float | None, symbol: str | None, unit: str | None) -> f.Cell:
    return f.cell(value, symbol or None, lambda v: number(v, unit))


def interval(lower: float | None, upper: float | None, unit: str | None) -> str:
    """'65.5 to 68.6' (no unit: the column says it), or '' when there is no interval."""
    if f.is_missing(lower) or f.is_missing(upper):
        return ""
    return f"{f._fixed(lower, 1)} to {f._fixed(upper, 1)}"


def signed(value: float, unit: str | None) -> str:
    """A difference with its sign: '+3.3', '−9.7' ('percentage points' are implied for shares)."""
    text = f._fixed(value, 1)
    return text if text.startswith(f.MINUS) or text in ("0.0",) else "+" + text


def difference_cell(value: float | None, symbol: str | None, unit: str | None) -> f.Cell:
    return f.cell(value, symbol or None, lambda v: signed(v, unit))


def page_context(
    authorities: Sequence[Any], topic: tuple[str, str], topics: dict[str, str], download: Download
) -> dict[str, Any]:
    """A scorecard page's context: its authorities (each with ``code`` and ``name``), the authority
    control (the first chosen) and a control over its topics (``topic``: the data-<name> attribute
    and label; ``topics``: key -> name, in order) when there are several, its download and the key."""
    controls = [*filters.authority_control(((a.code, a.name) for a in authorities), select_first=True)]
    if len(topics) > 1:
        name, label = topic
        controls.append(filters.control(name, label, list(topics), labels=topics))
    return {
        "authorities": authorities,
        "controls": tuple(controls),
        "download": download,
        "comparison_words": tuple((word, comparison(word)) for word in KEY_WORDS),
    }
