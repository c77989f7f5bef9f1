"""Workforce page (being built: issue 8)."""

from __future__ import annotations

from observatory.site.pages import Page

PAGE = Page(
    path="workforce.html",
    template="workforce.html",
    title="Workforce",
    nav_label="Workforce",
    context=lambda snapshot: {},
)
