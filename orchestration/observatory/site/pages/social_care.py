"""Children's social care page: children looked after and children on child protection plans by ethnic group.

Both indicators of ``publish.outcome_indicators`` in the care domain, laid out by
pages/outcomes.py (latest year by Census 2021, broad and combined groups, broad groups by sex,
relative rate indices against White British children, and the trend).
"""

from __future__ import annotations

from typing import Any

from observatory.site.pages import Page, outcomes
from observatory.site.pages.outcomes import IndicatorSpec, PageText
from observatory.site.snapshot import Snapshot

INDICATORS = (
    IndicatorSpec(
        "csc_cla_rate",
        "Children looked after by the council (in care) on 31 March, per 10,000 children aged 0 to 17"
        " living in the area.",
    ),
    IndicatorSpec(
        "csc_cpp_rate",
        "Children who were the subject of a child protection plan on 31 March, per 10,000 children"
        " aged 0 to 17 living in the area.",
    ),
)
BREAKDOWNS = ("ethnicity_sex",)
TEXT = PageText(
    lead="How often children from each ethnic group are looked after by the council or are the subject of"
    " a child protection plan, compared with White British children.",
    groupings="Census 2021 ethnic groups, broad groups, combined groups such as Black (all), Somali, and"
    " Turkish and Kurdish, and broad groups split by sex",
    empty="No children's social care figures have been published yet.",
)


def context(snapshot: Snapshot) -> dict[str, Any]:
    ctx = outcomes.context(
        snapshot, INDICATORS, subject="children", overall_label="All children", breakdowns=BREAKDOWNS
    )
    return {**ctx, "text": TEXT}


PAGE = Page(
    path="childrens-social-care.html",
    template="outcome_page.html",
    title="Children's social care",
    nav_label="Children's social care",
    context=context,
    requires=(outcomes.TABLE,),
    downloads=(outcomes.DOWNLOAD,),
)
