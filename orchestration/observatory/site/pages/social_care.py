"""Children's social care page (being built: issue 8)."""

from __future__ import annotations

from observatory.site.pages import Page

PAGE = Page(
    path="childrens-social-care.html",
    template="social_care.html",
    title="Children's social care",
    nav_label="Children's social care",
    context=lambda snapshot: {},
)
