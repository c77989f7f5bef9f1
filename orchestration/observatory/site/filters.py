"""Filters on a page (authority, period, ethnicity level, breakdown): progressive enhancement.

A page renders its controls with the ``filters`` macro (templates/_filters.html) and marks every
element a filter applies to with ``data-<name>`` attributes (``data-authority="E09000012"``, a
space-separated list where an element belongs to several values). static/filters.js shows the
controls and hides elements that do not match every chosen value; an element without the attribute
is never hidden by that filter. Without JavaScript the controls stay hidden and everything is
shown, so no figure is ever out of reach.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Control:
    name: str  # the data-<name> attribute it matches (lower case, hyphens)
    label: str  # visible label
    options: tuple[tuple[str, str], ...]  # (value, label), in display order
    selected: str = ""  # initially chosen value ("" = all)
    all_label: str | None = "All"  # the option showing everything; None = no such option


def control(
    name: str, label: str, values: Iterable[str], *, labels: dict[str, str] | None = None, **kwargs
) -> Control:
    """A control over the distinct values given (order kept, duplicates dropped)."""
    labels = labels or {}
    seen = tuple(dict.fromkeys(v for v in values if v is not None))
    return Control(name, label, tuple((v, labels.get(v, v)) for v in seen), **kwargs)


def authority_control(pairs: Iterable[tuple[str, str]], *, select_first: bool = False) -> tuple[Control, ...]:
    """The authority control over (code, name) pairs, codes labelled with names, in the order given.

    A tuple of one control, or none when there are fewer than two authorities (nothing to choose).
    ``select_first``: the first authority is chosen initially (pages too long to show every
    authority at once); otherwise "All"."""
    labels = dict(pairs)
    if len(labels) < 2:
        return ()
    selected = next(iter(labels)) if select_first else ""
    return (control("authority", "Authority", list(labels), labels=labels, selected=selected),)
