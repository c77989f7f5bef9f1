"""Action plan page (being built: issue 8)."""

from __future__ import annotations

from observatory.site.pages import Page

PAGE = Page(
    path="action-plan.html",
    template="action_plan.html",
    title="Action plan",
    nav_label="Action plan",
    context=lambda snapshot: {},
)
