"""Data quality page (being built: issue 8)."""

from __future__ import annotations

from observatory.site.pages import Page

PAGE = Page(
    path="data-quality.html",
    template="data_quality.html",
    title="Data quality",
    nav_label="Data quality",
    context=lambda snapshot: {},
)
