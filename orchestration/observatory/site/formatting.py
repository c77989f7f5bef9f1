"""Formatting for UK readers, kept in one place so every page writes numbers the same way.

Everything here is a pure function of its input (no locale, no clock): the site must be
byte-identical for the same snapshot, and ``strftime("%B")`` would follow the machine's locale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

MINUS = "\u2212"  # a true minus sign: screen readers say "minus", not "dash"

# Statistical symbols (GSS shorthand), in the order the legend lists them.
SYMBOLS: dict[str, str] = {
    "c": "confidential: fewer than the minimum number of staff",
    "z": "not applicable: comparator group",
    "x": "not available",
}
LEGEND: tuple[tuple[str, str], ...] = tuple((f"[{s}]", text) for s, text in SYMBOLS.items())
# What a screen reader says in place of a symbol in a table cell (the legend has the detail).
SYMBOL_WORDS: dict[str, str] = {"c": "confidential", "z": "not applicable", "x": "not available"}


def is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _fixed(value: float, places: int) -> str:
    """Round half up (4.25 -> '4.3', as readers expect; Python's own rounding gives '4.2'),
    with thousands separators, a real minus sign, and no sign on a value that rounds to zero."""
    rounded = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    text = f"{abs(rounded):,.{places}f}"
    return MINUS + text if rounded < 0 else text


def count(value: float) -> str:
    """1234 -> '1,234'."""
    return _fixed(value, 0)


def pounds(value: float) -> str:
    """1234.5 -> '£1,234.50'; negative amounts get a minus sign before the pound sign."""
    text = _fixed(value, 2)
    return f"{MINUS}£{text[1:]}" if text.startswith(MINUS) else f"£{text}"


def pct(value: float, places: int = 1) -> str:
    """15.44 -> '15.4%' (values are already percentages, not fractions)."""
    return _fixed(value, places) + "%"


def long_date(value: date) -> str:
    """date(2025, 3, 31) -> '31 March 2025'."""
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def long_datetime(value: datetime) -> str:
    """datetime(2025, 4, 1, 9, 5) -> '1 April 2025 at 09:05'."""
    return f"{long_date(value)} at {value:%H:%M}"


@dataclass(frozen=True)
class Cell:
    """One table cell: the text shown and, when it is a symbol, which one."""

    text: str
    symbol: str | None = None


def cell(value: object, symbol: str | None, fmt) -> Cell:
    """Format a value, or show its symbol.

    'c' always wins: a value flagged confidential is never shown, even if one leaked through.
    Other symbols explain a missing value; a symbol column can cover several value columns
    (the comparator's bonus_symbol 'z' covers its bonus gaps, not its % receiving a bonus).
    A missing value without a symbol is shown as [x] (not available), never as a blank.
    """
    if symbol == "c" or (symbol and is_missing(value)):
        return Cell(f"[{symbol}]", symbol)
    if is_missing(value):
        return Cell("[x]", "x")
    return Cell(fmt(value))
