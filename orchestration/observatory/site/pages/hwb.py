"""Health and Wellbeing Board scorecard page (being built: issue 8)."""

from __future__ import annotations

from observatory.site.pages import Page

PAGE = Page(
    path="health-and-wellbeing.html",
    template="hwb.html",
    title="Health and Wellbeing Board scorecard",
    nav_label="Health and Wellbeing",
    context=lambda snapshot: {},
)
