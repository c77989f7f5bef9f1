"""Education page (being built: issue 8)."""

from __future__ import annotations

from observatory.site.pages import Page

PAGE = Page(
    path="education.html",
    template="education.html",
    title="Education",
    nav_label="Education",
    context=lambda snapshot: {},
)
