"""Geometry for the outcome charts (dot plot, forest plot, trend lines, funnel); markup in _plots.html.

Like charts.py, Python computes every coordinate (rounded to one decimal place) so templates stay
simple and the same snapshot gives byte-identical SVG. No chart carries meaning by colour alone:
values, significance and directions are written as words beside the marks, a suppressed group
gets its symbol and meaning in place of a mark, and trend lines are named at their ends.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from observatory.site.charts import Tick, nice_domain
from observatory.site.formatting import is_missing

WIDTH = 660
LABEL_RIGHT = 190  # group labels end here (right-aligned)
PLOT_LEFT = 200
PLOT_RIGHT = 520
VALUE_X = 530  # values and words, left-aligned, right of the plot
LINE_HEIGHT = 16
ROW_PADDING = 10
WRAP_AT = 26
TOP = 26  # room for the reference-line label above the rows
AXIS_HEIGHT = 58

SYMBOL_NOTES = {
    "c": "[c] confidential",
    "x": "[x] not available",
    "z": "[z] reference group",
    "u": "[u] low reliability",
    "low": "[low] rounds to 0",
}

# Line styles for trend series: told apart by dash pattern and end label, never colour alone.
SERIES_STYLES = (
    ("#0b0c0c", ""),
    ("#1d4f91", "7 4"),
    ("#6f3c8f", "2 3"),
    ("#8a3b12", "10 3 2 3"),
    ("#28613b", "4 2"),
)


def _r(value: float) -> float:
    return round(value, 1)


CHAR_WIDTH = 7.5  # a generous average width of a 13px bold character


def tidy_ticks(labels: Sequence[str]) -> tuple[str, ...]:
    """Drop a decimal part that is zero on every tick ('50.0' -> '50', '20.0%' -> '20%')."""
    pattern = re.compile(r"\.0+(?=%?$)")
    if labels and all(pattern.search(t) for t in labels):
        return tuple(pattern.sub("", t) for t in labels)
    return tuple(labels)


def width_for(texts: Sequence[str], start: float = VALUE_X) -> int:
    """The chart width that leaves room for the longest text written from ``start``."""
    longest = max((len(t) for t in texts), default=0)
    return max(WIDTH, math.ceil(start + longest * CHAR_WIDTH + 6))


def symbol_note(symbol: str | None) -> str:
    return SYMBOL_NOTES.get(symbol or "x", f"[{symbol}]")


@dataclass(frozen=True)
class Point:
    """One group's estimate: label, value with its 95% interval, symbol, and the words written beside it."""

    label: str
    value: float | None
    lower: float | None = None
    upper: float | None = None
    symbol: str | None = None  # c, x, z...: no mark, the symbol's meaning instead
    text: str = ""  # written beside the mark, e.g. "11.6" or "2.36, significantly higher"

    @property
    def shown(self) -> bool:
        return not self.symbol and not is_missing(self.value)


@dataclass(frozen=True)
class PlotRow:
    label_lines: tuple[str, ...]
    label_y: float  # baseline of the first label line
    mid_y: float
    point_x: float | None  # None: no mark, ``text`` is a symbol note
    lo_x: float | None
    hi_x: float | None
    text: str
    text_y: float
    note_x: float  # where a symbol note starts when there is no mark
    clipped_lo: bool = False  # interval runs off the plot (drawn to the edge with an arrow)
    clipped_hi: bool = False

    @property
    def whisker(self) -> str:
        """Path of the interval: a line with end caps, or no cap where an arrow marks a clipped end."""
        if self.lo_x is None or self.hi_x is None:
            return ""
        y = self.mid_y
        d = f"M{self.lo_x} {y}H{self.hi_x}"
        if not self.clipped_lo:
            d += f"M{self.lo_x} {_r(y - 5)}v10"
        if not self.clipped_hi:
            d += f"M{self.hi_x} {_r(y - 5)}v10"
        return d

    @property
    def arrows(self) -> str:
        """Filled arrowheads at clipped ends (the interval runs beyond the plotted range)."""
        d = ""
        if self.clipped_lo and self.lo_x is not None:
            d += f"M{self.lo_x} {self.mid_y}l6 -4v8z"
        if self.clipped_hi and self.hi_x is not None:
            d += f"M{self.hi_x} {self.mid_y}l-6 -4v8z"
        return d


@dataclass(frozen=True)
class IntervalPlot:
    """A dot plot or forest plot: one row per group, a point, its interval and its words."""

    kind: str  # "dot" or "forest"
    id: str
    title: str
    desc: str
    width: int
    height: float
    plot_top: float
    plot_bottom: float
    rows: tuple[PlotRow, ...]
    ticks: tuple[Tick, ...]
    tick_y: float
    axis_title: str
    axis_title_y: float
    ref_x: float | None  # the overall value (dot) or parity at 1 (forest)
    ref_label: str
    value_x: int = VALUE_X
    label_right: int = LABEL_RIGHT
    below_label: str | None = None  # forest: words left of parity
    above_label: str | None = None
    direction_y: float = 0.0

    @property
    def marks(self) -> int:
        return sum(1 for r in self.rows if r.point_x is not None)

    @property
    def axis_centre(self) -> float:
        return (PLOT_LEFT + PLOT_RIGHT) / 2


def _rows(points: Sequence[Point], x: Callable[[float], float], lo: float, hi: float, note_x: float):
    rows, y = [], float(TOP)
    for p in points:
        lines = tuple(textwrap.wrap(p.label, WRAP_AT)) or ("",)
        height = len(lines) * LINE_HEIGHT + ROW_PADDING
        mid = y + height / 2
        baseline = mid + 4
        label_y = _r(baseline - (len(lines) - 1) * LINE_HEIGHT / 2)
        if p.shown:
            has_ci = not is_missing(p.lower) and not is_missing(p.upper)
            lo_v = max(p.lower, lo) if has_ci else None
            hi_v = min(p.upper, hi) if has_ci else None
            rows.append(
                PlotRow(
                    label_lines=lines,
                    label_y=label_y,
                    mid_y=_r(mid),
                    point_x=_r(x(p.value)),
                    lo_x=_r(x(lo_v)) if has_ci else None,
                    hi_x=_r(x(hi_v)) if has_ci else None,
                    text=p.text,
                    text_y=_r(baseline),
                    note_x=_r(note_x),
                    clipped_lo=has_ci and p.lower < lo,
                    clipped_hi=has_ci and p.upper > hi,
                )
            )
        else:
            rows.append(
                PlotRow(
                    label_lines=lines,
                    label_y=label_y,
                    mid_y=_r(mid),
                    point_x=None,
                    lo_x=None,
                    hi_x=None,
                    text=p.text or symbol_note(p.symbol),
                    text_y=_r(baseline),
                    note_x=_r(note_x),
                )
            )
        y += height
    return tuple(rows), y + 4


def dot_plot(
    points: Sequence[Point],
    *,
    chart_id: str,
    title: str,
    desc: str,
    axis_title: str,
    fmt: Callable[[float], str],
    reference: tuple[str, float] | None = None,
) -> IntervalPlot:
    """Each group's value as a dot with its 95% interval as a whisker; the overall value as a dashed line.

    The axis starts at zero (values are rates, shares or scores), so lengths can be compared.
    """
    values = [v for p in points if p.shown for v in (p.value, p.lower, p.upper) if not is_missing(v)]
    if reference is not None and not is_missing(reference[1]):
        values.append(reference[1])
    lo, hi, step = nice_domain(values)

    def x(v: float) -> float:
        return PLOT_LEFT + (v - lo) / (hi - lo) * (PLOT_RIGHT - PLOT_LEFT)

    rows, bottom = _rows(points, x, lo, hi, PLOT_LEFT + 4)
    count = round((hi - lo) / step)
    values_at = [lo + i * step for i in range(count + 1)]
    ticks = tuple(
        Tick(_r(x(v)), label)
        for v, label in zip(values_at, tidy_ticks([fmt(v) for v in values_at]), strict=True)
    )
    ref_x = None if reference is None or is_missing(reference[1]) else _r(x(reference[1]))
    return IntervalPlot(
        kind="dot",
        id=chart_id,
        title=title,
        desc=desc,
        width=width_for([r.text for r in rows if r.point_x is not None]),
        height=_r(bottom + AXIS_HEIGHT - 18),
        plot_top=float(TOP),
        plot_bottom=_r(bottom),
        rows=rows,
        ticks=ticks,
        tick_y=_r(bottom + 16),
        axis_title=axis_title,
        axis_title_y=_r(bottom + 34),
        ref_x=ref_x,
        ref_label=f"{reference[0]}: {fmt(reference[1])}" if ref_x is not None else "",
    )


LOG_TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0)


def log_domain(values: Sequence[float]) -> tuple[float, float, tuple[float, ...]]:
    """A log-scale domain that includes 1 (parity), ending on 1-2-5 ticks: (lo, hi, ticks).

    Non-positive or missing values are ignored; beyond 0.01 or 100 the domain stops (intervals
    that run further are drawn to the edge with an arrow)."""
    finite = [v for v in values if not is_missing(v) and v > 0 and math.isfinite(v)]
    lo_v, hi_v = min([1.0, *finite]), max([1.0, *finite])
    lo = max([t for t in LOG_TICKS if t <= lo_v * (1 + 1e-9)], default=LOG_TICKS[0])
    hi = min([t for t in LOG_TICKS if t >= hi_v * (1 - 1e-9)], default=LOG_TICKS[-1])
    if lo == hi:  # only parity: show 0.5 to 2
        lo, hi = 0.5, 2.0
    ticks = tuple(t for t in LOG_TICKS if lo <= t <= hi)
    if len(ticks) > 7:  # wide range: powers of ten (and 1) only
        ticks = tuple(t for t in ticks if math.log10(t).is_integer())
    return lo, hi, ticks


def rri_text(value: float) -> str:
    """1.234 -> '1.23' (RRIs to two decimal places, as in the tables)."""
    from observatory.site.formatting import _fixed

    return _fixed(value, 2)


def forest_plot(
    points: Sequence[Point],
    *,
    chart_id: str,
    title: str,
    desc: str,
    reference_label: str,
    higher_label: str = "higher for this group \u2192",
    lower_label: str = "\u2190 lower for this group",
) -> IntervalPlot:
    """Relative rate indices on a log scale around a parity line at 1, each with its 95% interval.

    Significance is written beside each row by the caller (``Point.text``), never shown by colour.
    """
    lo, hi, ticks = log_domain([v for p in points if p.shown for v in (p.value, p.lower, p.upper)])
    span = math.log(hi) - math.log(lo)

    def x(v: float) -> float:
        v = min(max(v, lo), hi)
        return PLOT_LEFT + (math.log(v) - math.log(lo)) / span * (PLOT_RIGHT - PLOT_LEFT)

    parity = x(1.0)
    rows, bottom = _rows(points, x, lo, hi, VALUE_X)
    return IntervalPlot(
        kind="forest",
        id=chart_id,
        title=title,
        desc=desc,
        width=width_for([r.text for r in rows]),
        height=_r(bottom + AXIS_HEIGHT),
        plot_top=float(TOP),
        plot_bottom=_r(bottom),
        rows=rows,
        ticks=tuple(Tick(_r(x(t)), _tick_text(t)) for t in ticks),
        tick_y=_r(bottom + 16),
        axis_title=f"Relative rate index compared with {reference_label} (log scale)",
        axis_title_y=_r(bottom + 52),
        ref_x=_r(parity),
        ref_label=f"1 = same rate as {reference_label}",
        below_label=lower_label,
        above_label=higher_label,
        direction_y=_r(bottom + 34),
    )


def _tick_text(t: float) -> str:
    return f"{t:g}"


# --- trend lines ------------------------------------------------------------------------------

TREND_WIDTH = 640
TREND_LEFT = 64
TREND_RIGHT = 440
TREND_TOP = 14
TREND_PLOT_HEIGHT = 220
END_LABEL_GAP = 15


@dataclass(frozen=True)
class Series:
    """One line: its name and one Point per period (value None where there is none)."""

    label: str
    points: tuple[Point, ...]


@dataclass(frozen=True)
class TrendMark:
    x: float
    y: float | None  # None: no value this period (a gap in the line)
    lo_y: float | None
    hi_y: float | None
    text: str


@dataclass(frozen=True)
class TrendLine:
    label: str
    end_text: str  # "Black 13.3" written at the line's end
    colour: str
    dash: str
    paths: tuple[str, ...]  # one "M x y L x y ..." per unbroken run
    marks: tuple[TrendMark, ...]
    end_x: float
    end_y: float  # label baseline after moving labels apart
    anchor_x: float | None  # the last point (a leader joins it to the label)
    anchor_y: float | None
    index: int


@dataclass(frozen=True)
class TrendChart:
    id: str
    title: str
    desc: str
    width: int
    height: float
    left: int
    right: int
    top: int
    bottom: float
    periods: tuple[tuple[float, str], ...]  # (x, label)
    ticks: tuple[tuple[float, str], ...]  # (y, label)
    lines: tuple[TrendLine, ...]
    axis_title: str
    axis_title_y: float
    period_y: float

    @property
    def marks(self) -> int:
        return sum(1 for line in self.lines for m in line.marks if m.y is not None)


def spread_labels(ys: Sequence[float], gap: float, top: float, bottom: float) -> list[float]:
    """Move label baselines apart by at least ``gap``, keeping order and staying within [top, bottom]."""
    order = sorted(range(len(ys)), key=lambda i: (ys[i], i))
    placed: list[float] = []
    for i in order:
        y = max(ys[i], top)
        if placed and y < placed[-1] + gap:
            y = placed[-1] + gap
        placed.append(y)
    overflow = (placed[-1] - bottom) if placed else 0
    if overflow > 0:  # push the stack back up from the bottom
        placed = [y - overflow for y in placed]
        for k in range(len(placed) - 2, -1, -1):
            placed[k] = min(placed[k], placed[k + 1] - gap)
    out = [0.0] * len(ys)
    for slot, i in enumerate(order):
        out[i] = placed[slot]
    return out


def trend_chart(
    periods: Sequence[str],
    series: Sequence[Series],
    *,
    chart_id: str,
    title: str,
    desc: str,
    axis_title: str,
    fmt: Callable[[float], str],
) -> TrendChart:
    """Value by period for a few groups, each with 95% interval bars; every line named at its end."""
    values = [
        v
        for s in series
        for p in s.points
        if p.shown
        for v in (p.value, p.lower, p.upper)
        if not is_missing(v)
    ]
    lo, hi, step = nice_domain(values)
    bottom = TREND_TOP + TREND_PLOT_HEIGHT
    n = len(periods)

    def px(i: int) -> float:
        return TREND_LEFT + 20 + (i * (TREND_RIGHT - TREND_LEFT - 40) / (n - 1) if n > 1 else 0)

    def py(v: float) -> float:
        return bottom - (v - lo) / (hi - lo) * TREND_PLOT_HEIGHT

    lines: list[TrendLine] = []
    for k, s in enumerate(series):
        colour, dash = SERIES_STYLES[k % len(SERIES_STYLES)]
        marks, runs, run = [], [], []
        for i, p in enumerate(s.points[:n]):
            x = _r(px(i))
            if p.shown:
                y = _r(py(p.value))
                has_ci = not is_missing(p.lower) and not is_missing(p.upper)
                marks.append(
                    TrendMark(
                        x, y, _r(py(p.lower)) if has_ci else None, _r(py(p.upper)) if has_ci else None, p.text
                    )
                )
                run.append(f"{x} {y}")
            else:
                marks.append(TrendMark(x, None, None, None, p.text or symbol_note(p.symbol)))
                if run:
                    runs.append(run)
                run = []
        if run:
            runs.append(run)
        last = next((m for m in reversed(marks) if m.y is not None), None)
        end_text = f"{s.label} {last.text}" if last else f"{s.label}: no values"
        lines.append(
            TrendLine(
                label=s.label,
                end_text=end_text,
                colour=colour,
                dash=dash,
                paths=tuple("M " + " L ".join(r) for r in runs),
                marks=tuple(marks),
                end_x=float(TREND_RIGHT + 10),
                end_y=last.y + 4 if last else float(bottom),
                anchor_x=last.x if last else None,
                anchor_y=last.y if last else None,
                index=k,
            )
        )
    placed = spread_labels([ln.end_y for ln in lines], END_LABEL_GAP, TREND_TOP + 4, bottom + 4)
    lines = [TrendLine(**{**ln.__dict__, "end_y": _r(y)}) for ln, y in zip(lines, placed, strict=True)]
    count = round((hi - lo) / step)
    return TrendChart(
        id=chart_id,
        title=title,
        desc=desc,
        width=max(TREND_WIDTH, width_for([ln.end_text for ln in lines], TREND_RIGHT + 10)),
        height=_r(bottom + 58),
        left=TREND_LEFT,
        right=TREND_RIGHT,
        top=TREND_TOP,
        bottom=float(bottom),
        periods=tuple((_r(px(i)), p) for i, p in enumerate(periods)),
        ticks=tuple(
            (_r(py(lo + i * step)), label)
            for i, label in enumerate(tidy_ticks([fmt(lo + i * step) for i in range(count + 1)]))
        ),
        lines=tuple(lines),
        axis_title=axis_title,
        axis_title_y=_r(bottom + 46),
        period_y=_r(bottom + 20),
    )


# --- funnel -----------------------------------------------------------------------------------

FUNNEL_BAR_HEIGHT = 22


@dataclass(frozen=True)
class FunnelStage:
    label_lines: tuple[str, ...]
    label_y: float
    bar_x: float | None  # None: no bar, ``text`` is a symbol note
    bar_y: float
    bar_width: float | None
    text: str
    text_y: float


@dataclass(frozen=True)
class Funnel:
    id: str
    title: str
    desc: str
    width: int
    height: float
    stages: tuple[FunnelStage, ...]
    centre: float
    value_x: int = VALUE_X
    label_right: int = LABEL_RIGHT

    @property
    def marks(self) -> int:
        return sum(1 for s in self.stages if s.bar_x is not None)


def funnel_chart(
    items: Sequence[tuple[str, float | None, str, str | None]],
    *,
    chart_id: str,
    title: str,
    desc: str,
) -> Funnel:
    """Stages in the order given, as bars centred on one axis, widths proportional to value.

    Each item is (stage label, value, text written beside the bar, symbol); a stage with a symbol
    or no value gets the symbol's meaning instead of a bar. Generic: youth justice stages, the
    recruitment funnel (applications, shortlisted, appointed).
    """
    shown = [v for _, v, _, s in items if not s and not is_missing(v) and v > 0]
    top = max(shown, default=0.0)
    centre = (PLOT_LEFT + PLOT_RIGHT) / 2
    full = PLOT_RIGHT - PLOT_LEFT
    stages, y = [], 8.0
    for label, value, text, symbol in items:
        lines = tuple(textwrap.wrap(label, WRAP_AT)) or ("",)
        height = max(len(lines) * LINE_HEIGHT, FUNNEL_BAR_HEIGHT) + ROW_PADDING + 4
        mid = y + height / 2
        baseline = mid + 4
        label_y = _r(baseline - (len(lines) - 1) * LINE_HEIGHT / 2)
        if symbol or is_missing(value):
            stages.append(
                FunnelStage(
                    lines,
                    label_y,
                    None,
                    _r(mid - FUNNEL_BAR_HEIGHT / 2),
                    None,
                    text or symbol_note(symbol),
                    _r(baseline),
                )
            )
        else:
            width = max(full * value / top, 2.0) if top and value > 0 else 0.0
            stages.append(
                FunnelStage(
                    lines,
                    label_y,
                    _r(centre - width / 2),
                    _r(mid - FUNNEL_BAR_HEIGHT / 2),
                    _r(width),
                    text,
                    _r(baseline),
                )
            )
        y += height
    return Funnel(
        id=chart_id,
        title=title,
        desc=desc,
        width=width_for([s.text for s in stages]),
        height=_r(y + 8),
        stages=tuple(stages),
        centre=_r(centre),
    )
