"""Long-term outcomes scorecard page (being built: issue 8)."""

from __future__ import annotations

from observatory.site.pages import Page

PAGE = Page(
    path="long-term-outcomes.html",
    template="long_term_outcomes.html",
    title="Long-term outcomes scorecard",
    nav_label="Long-term outcomes",
    context=lambda snapshot: {},
)
