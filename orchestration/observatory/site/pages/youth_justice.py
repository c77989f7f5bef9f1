"""Youth justice page (being built: issue 8)."""

from __future__ import annotations

from observatory.site.pages import Page

PAGE = Page(
    path="youth-justice.html",
    template="youth_justice.html",
    title="Youth justice",
    nav_label="Youth justice",
    context=lambda snapshot: {},
)
