"""Methods and glossary page (being built: issue 8)."""

from __future__ import annotations

from observatory.site.pages import Page

PAGE = Page(
    path="methods.html",
    template="methods.html",
    title="Methods and glossary",
    nav_label="Methods and glossary",
    context=lambda snapshot: {},
)
