"""Education page: early years, GCSE results, suspensions, exclusions and SEN by ethnic group.

Each indicator of ``publish.outcome_indicators`` in the education domain, laid out by
pages/outcomes.py: the latest school year by DfE ethnic group (and broad, combined groups, and
broad groups by sex, free school meals and SEN), with relative rate indices and a trend.
"""

from __future__ import annotations

from typing import Any

from observatory.site.pages import Page, outcomes
from observatory.site.pages.outcomes import IndicatorSpec, PageText
from observatory.site.snapshot import Snapshot

INDICATORS = (
    IndicatorSpec(
        "edu_gld_pct",
        "Children reaching a good level of development in the Early Years Foundation Stage Profile"
        " at the end of Reception (age 5).",
    ),
    IndicatorSpec(
        "edu_attainment8_avg",
        "Pupils' average Attainment 8 score at the end of key stage 4 (GCSEs, age 16), out of 90.",
    ),
    IndicatorSpec(
        "edu_em_grade5_pct",
        "Pupils at the end of key stage 4 who achieved grade 5 or above in both English and maths GCSEs.",
    ),
    IndicatorSpec(
        "edu_suspension_rate",
        "Suspensions per 100 pupils in the school year; one pupil can be suspended more than once.",
    ),
    IndicatorSpec("edu_one_plus_suspension_pct", "Pupils suspended at least once in the school year."),
    IndicatorSpec(
        "edu_permanent_exclusion_rate",
        "Permanent exclusions per 100 pupils in the school year.",
    ),
    IndicatorSpec(
        "edu_sen_support_pct",
        "Pupils receiving special educational needs (SEN) support in school, without an education,"
        " health and care plan.",
    ),
    IndicatorSpec(
        "edu_ehc_plan_pct",
        "Pupils with an education, health and care (EHC) plan for their special educational needs.",
    ),
)
BREAKDOWNS = ("ethnicity_sex", "ethnicity_fsm", "ethnicity_sen")
TEXT = PageText(
    lead="How children's results, suspensions, exclusions and special educational needs differ between"
    " ethnic groups, from Reception to GCSEs.",
    groupings="DfE ethnic groups, broad groups, combined groups such as Black (all), Somali, and Turkish and"
    " Kurdish, and broad groups split by sex, free school meals (FSM) or special educational needs (SEN)",
    empty="No education figures have been published yet.",
)


def context(snapshot: Snapshot) -> dict[str, Any]:
    ctx = outcomes.context(
        snapshot, INDICATORS, subject="pupils", overall_label="All pupils", breakdowns=BREAKDOWNS
    )
    return {**ctx, "text": TEXT}


PAGE = Page(
    path="education.html",
    template="outcome_page.html",
    title="Education",
    nav_label="Education",
    context=context,
    requires=(outcomes.TABLE,),
    downloads=(outcomes.DOWNLOAD,),
)
