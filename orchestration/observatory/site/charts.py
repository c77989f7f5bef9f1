"""Geometry for inline SVG bar charts; the markup lives in templates/_macros.html.

Computing positions in Python keeps templates simple and the output deterministic (every
coordinate is rounded to one decimal place before it reaches the HTML). Charts never carry
meaning by colour: every bar has its value written beside it, and suppressed groups are
listed with their symbol instead of a bar.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass

from observatory.site.formatting import is_missing, pct

WIDTH = 640
LABEL_RIGHT = 190  # group labels end here (right-aligned)
PLOT_LEFT = 250  # room between labels and plot for values left of a negative bar
PLOT_RIGHT = 570  # room on the right for values beyond a positive bar
LINE_HEIGHT = 16
ROW_PADDING = 10
TOP = 6
AXIS_HEIGHT = 54
WRAP_AT = 26
BAR_HEIGHT = 14

SYMBOL_NOTES = {"c": "[c] confidential", "z": "[z] comparator (zero line)", "x": "[x] not available"}


@dataclass(frozen=True)
class ChartRow:
    label_lines: tuple[str, ...]
    label_y: float  # baseline of the first label line
    bar_x: float | None
    bar_y: float
    bar_width: float | None
    text: str  # value ("15.2%") or symbol note ("[c] confidential")
    text_x: float
    text_y: float
    text_anchor: str


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class BarChart:
    id: str
    title: str
    desc: str
    width: int
    height: float
    plot_top: float
    plot_bottom: float
    zero_x: float
    rows: tuple[ChartRow, ...]
    ticks: tuple[Tick, ...]
    tick_y: float
    axis_title: str
    axis_title_y: float
    below_label: str | None  # words for the negative side, left of zero
    above_label: str | None  # words for the positive side, right of zero
    below_x: float
    above_x: float
    direction_y: float
    plot_centre: float


def _r(value: float) -> float:
    return round(value, 1)


def nice_domain(values: list[float]) -> tuple[float, float, float]:
    """A domain that includes zero, with round ends and at most six ticks: (lo, hi, step)."""
    lo, hi = min([0.0, *values]), max([0.0, *values])
    if lo == hi:
        hi = 10.0
    span = hi - lo
    for exponent in range(-2, 7):
        for mantissa in (1, 2, 5):
            step = mantissa * 10.0**exponent
            if span / step <= 6:
                lo_n = math.floor(round(lo / step, 9)) * step
                hi_n = math.ceil(round(hi / step, 9)) * step
                return lo_n, hi_n, step
    return lo, hi, span  # pragma: no cover - values beyond 10^7 %


def bar_chart(
    items: list[tuple[str, float | None, str | None]],
    *,
    chart_id: str,
    title: str,
    desc: str,
    axis_title: str,
    below_label: str,
    above_label: str,
) -> BarChart:
    """Lay out a horizontal bar chart of (label, value, symbol) items around a zero line."""
    values = [v for _, v, s in items if not s and not is_missing(v)]
    lo, hi, step = nice_domain(values)

    def x(v: float) -> float:
        return PLOT_LEFT + (v - lo) / (hi - lo) * (PLOT_RIGHT - PLOT_LEFT)

    zero = x(0.0)
    rows, y = [], float(TOP)
    for label, value, symbol in items:
        lines = tuple(textwrap.wrap(label, WRAP_AT)) or ("",)
        height = len(lines) * LINE_HEIGHT + ROW_PADDING
        mid = y + height / 2
        baseline = mid + 4  # about a third of the 13px font below the middle
        label_y = _r(baseline - (len(lines) - 1) * LINE_HEIGHT / 2)
        bar_y = _r(mid - BAR_HEIGHT / 2)
        if symbol or is_missing(value):
            # No bar: say why, on whichever side of the zero line has room.
            left = zero > (PLOT_LEFT + PLOT_RIGHT) / 2
            row = ChartRow(
                label_lines=lines,
                label_y=label_y,
                bar_x=None,
                bar_y=bar_y,
                bar_width=None,
                text=SYMBOL_NOTES.get(symbol or "x", f"[{symbol}]"),
                text_x=_r(zero - 6 if left else zero + 6),
                text_y=_r(baseline),
                text_anchor="end" if left else "start",
            )
        else:
            end = x(value)
            row = ChartRow(
                label_lines=lines,
                label_y=label_y,
                bar_x=_r(min(zero, end)),
                bar_y=bar_y,
                bar_width=_r(abs(end - zero)),
                text=pct(value),
                text_x=_r(end - 4 if value < 0 else end + 4),
                text_y=_r(baseline),
                text_anchor="end" if value < 0 else "start",
            )
        rows.append(row)
        y += height
    plot_bottom = y + 4
    count = round((hi - lo) / step)
    places = 0 if step >= 1 else (1 if step >= 0.1 else 2)
    ticks = tuple(Tick(_r(x(lo + i * step)), pct(lo + i * step, places)) for i in range(count + 1))
    return BarChart(
        id=chart_id,
        title=title,
        desc=desc,
        width=WIDTH,
        height=_r(plot_bottom + AXIS_HEIGHT),
        plot_top=float(TOP),
        plot_bottom=_r(plot_bottom),
        zero_x=_r(zero),
        rows=tuple(rows),
        ticks=ticks,
        tick_y=_r(plot_bottom + 16),
        axis_title=axis_title,
        axis_title_y=_r(plot_bottom + 50),
        below_label=below_label if lo < 0 else None,
        above_label=above_label if hi > 0 else None,
        below_x=_r(zero - 6),
        above_x=_r(zero + 6),
        direction_y=_r(plot_bottom + 33),
        plot_centre=_r((PLOT_LEFT + PLOT_RIGHT) / 2),
    )
