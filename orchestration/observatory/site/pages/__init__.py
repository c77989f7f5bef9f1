"""The site's pages. Adding a page = a module here with a ``PAGE`` + a template + a line in PAGES.

A page names the ``publish.*`` tables it needs; when a snapshot lacks one (an older snapshot,
say) the page is left out and the nav shows only pages that exist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from observatory.site.snapshot import Snapshot


@dataclass(frozen=True)
class Download:
    """One publish table (all rows, all columns) written into the build as CSV and XLSX.

    The files are the exports' (observatory.exports): CSV in UTF-8 with a BOM, XLSX with a README
    sheet of the symbols, formula-like text neutralised. Link them with the ``download_links`` macro.
    """

    table: str
    path: str  # the CSV, relative to the site root, e.g. "downloads/pay_gap.csv"; the XLSX sits beside it
    order_by: tuple[str, ...]
    label: str = ""  # what the table holds, for the link text (default: the table name in words)

    @property
    def csv(self) -> str:
        return self.path

    @property
    def xlsx(self) -> str:
        stem, dot, _ = self.path.rpartition(".")
        return (stem if dot else self.path) + ".xlsx"

    @property
    def name(self) -> str:
        return self.label or self.table.replace("_", " ").capitalize()


@dataclass(frozen=True)
class Page:
    path: str  # output file relative to the site root
    template: str
    title: str  # the page's h1 and <title>
    nav_label: str
    context: Callable[[Snapshot], dict[str, Any]]
    requires: tuple[str, ...] = ()  # publish tables
    downloads: tuple[Download, ...] = ()


def all_pages() -> tuple[Page, ...]:
    """Every page in nav order (imported here, not at module top, to avoid import cycles)."""
    from observatory.site import boardpack
    from observatory.site.pages import (
        action_plan,
        data_quality,
        education,
        home,
        hwb,
        long_term_outcomes,
        methods,
        pay_gap,
        social_care,
        workforce,
        youth_justice,
    )

    return (
        home.PAGE,
        long_term_outcomes.PAGE,
        hwb.PAGE,
        education.PAGE,
        youth_justice.PAGE,
        social_care.PAGE,
        workforce.PAGE,
        pay_gap.PAGE,
        action_plan.PAGE,
        boardpack.PAGE,
        data_quality.PAGE,
        methods.PAGE,
    )
