"""The recommendations, actions and progress phrases fictional councils' action plans are built from.

Paraphrased from the shape of a real commission action plan (Tower Hamlets' Black, Asian and
Minority Ethnic Inequalities Commission, 2021: themes, numbered recommendations, several actions
each with a resource, dates and an owning directorate or board), widened to the themes councils
report on: workforce, education, policing and youth justice, health, housing, civic participation
and data. Owners are roles, never named people. Every authority's plan is a selection from here.
"""

# ruff: noqa: E501 - prose data: one recommendation or action per line reads better than wrapped strings
from __future__ import annotations

from dataclasses import dataclass

HR = "Director, HR & Workforce Development"
STRATEGY = "Director, Strategy, Improvement and Transformation"
CHILDREN = "Corporate Director, Children and Education"
SCHOOLS = "Head of School Improvement"
YJS = "Head of Youth Justice Service"
CSP = "Community Safety Partnership"
DPH = "Director of Public Health"
HWB = "Health and Wellbeing Board"
HOUSING = "Director of Housing"
COMMS = "Director, Communications and Marketing"
DEMOCRACY = "Head of Democratic Services"
BI = "Head of Business Intelligence"
PROCUREMENT = "Director, Finance, Procurement & Audit"


@dataclass(frozen=True)
class ActionTemplate:
    text: str
    owner: str
    resource: str


@dataclass(frozen=True)
class Recommendation:
    theme: str
    title: str
    text: str
    actions: tuple[ActionTemplate, ...]


def _a(text: str, owner: str, resource: str = "Existing resources") -> ActionTemplate:
    return ActionTemplate(text, owner, resource)


WORKFORCE = "Anti-racist organisation and workforce"
EDUCATION = "Education"
POLICING = "Policing and youth justice"
HEALTH = "Health and wellbeing"
HOUSING_THEME = "Housing"
CIVIC = "Civic participation and community leadership"
DATA = "Data and accountability"
THEMES = (WORKFORCE, EDUCATION, POLICING, HEALTH, HOUSING_THEME, CIVIC, DATA)

RECOMMENDATIONS: tuple[Recommendation, ...] = (
    Recommendation(WORKFORCE, "Race Equality Pledge",
        "Organisations in the borough sign up to a shared commitment on race equality and report publicly on progress.",
        (_a("Develop an anti-racist pledge asking organisations in the borough to set out the actions they will take", STRATEGY),
         _a("Establish a local recognition scheme for organisations and individuals showing good practice", STRATEGY, "£10,000"),
         _a("Report annually to Cabinet on pledge sign-up and delivery", STRATEGY))),
    Recommendation(WORKFORCE, "Senior leadership",
        "The council increases the share of its senior leaders from Black, Asian and minority ethnic backgrounds year on year.",
        (_a("Set an annual target for the ethnic minority share of the top 5% of earners and publish progress", HR),
         _a("Create a talent and succession pool with a focus on progression for ethnic minority staff", HR, "£60,000"),
         _a("Fund places on national and regional leadership programmes for ethnic minority staff", HR, "£100,000"),
         _a("Introduce reverse mentoring for the corporate leadership team", HR))),
    Recommendation(WORKFORCE, "Fair recruitment",
        "Recruitment processes are reviewed to remove the opportunity for bias at every stage.",
        (_a("Enable anonymised applications in the e-recruitment system", HR),
         _a("Require diverse interview panels for all posts at grade PO1 and above", HR),
         _a("Train all recruiting managers, with refresher training every two years", HR, "£25,000"))),
    Recommendation(WORKFORCE, "Ethnicity pay gap",
        "The council understands why its ethnicity pay gap exists and acts to close it.",
        (_a("Undertake a detailed analysis of ethnicity pay gap data by directorate and grade", HR, "£40,000"),
         _a("Publish the ethnicity pay gap with infographics for staff and residents", HR),
         _a("Agree a pay gap action plan with the staff race equality network", HR))),
    Recommendation(WORKFORCE, "Anti-racism training",
        "All staff and managers understand what it means to be an anti-racist organisation.",
        (_a("Deliver an anti-racism education programme of workshops and events for all staff", HR, "£60,000"),
         _a("Add anti-racism to mandatory induction and manager training", HR))),
    Recommendation(EDUCATION, "Exclusions",
        "Schools reduce the disproportionate suspension and exclusion of Black Caribbean and Mixed White and Black Caribbean pupils.",
        (_a("Publish termly suspension and exclusion data by ethnicity for every school", SCHOOLS),
         _a("Fund a trauma-informed and restorative practice programme in secondary schools", CHILDREN, "£80,000"),
         _a("Review managed moves and alternative provision referrals by ethnicity", SCHOOLS))),
    Recommendation(EDUCATION, "Diversity in school leadership",
        "Schools recruit more governors and senior leaders from ethnic minority communities.",
        (_a("Establish a baseline of the ethnic profile of school leaders and governors", SCHOOLS),
         _a("Run a schools leadership programme for aspiring ethnic minority heads and deputies", CHILDREN, "£50,000"),
         _a("Hold governor recruitment sessions through parent and community networks", SCHOOLS, "£25,500"))),
    Recommendation(EDUCATION, "Anti-racist curriculum",
        "Schools deliver a curriculum that reflects the borough's communities and tackles racism.",
        (_a("Deliver an anti-racist curriculum project with schools, including a review with each senior leadership team", SCHOOLS, "£20,000"),
         _a("Share curriculum resources across the schools partnership", SCHOOLS))),
    Recommendation(EDUCATION, "Attainment",
        "Gaps in attainment for Black Caribbean, Somali and Gypsy, Roma and Traveller pupils are closed.",
        (_a("Commission targeted literacy support for groups with the largest attainment gaps", CHILDREN, "£120,000"),
         _a("Work with the Somali community on a parental engagement programme", CHILDREN, "£30,000"))),
    Recommendation(POLICING, "Stop and search",
        "The police and the community safety partnership reduce disproportionality in stop and search.",
        (_a("Establish a community monitoring group to review stop and search body-worn video", CSP),
         _a("Publish quarterly stop and search data by ethnicity and outcome", CSP),
         _a("Deliver community-led training for officers working in the borough", CSP, "£15,000"))),
    Recommendation(POLICING, "Youth justice disproportionality",
        "Black children are no longer over-represented at each stage of the youth justice system.",
        (_a("Analyse first-time entrants, remand and custody by ethnicity at each decision point", YJS),
         _a("Expand out-of-court disposals and diversion for children from over-represented groups", YJS, "£75,000"),
         _a("Commission culturally specific mentoring for children known to the youth justice service", YJS, "£90,000"),
         _a("Review remand decisions with the courts and the police", YJS))),
    Recommendation(POLICING, "Trust and confidence",
        "Residents from all communities have confidence in the police and the council's community safety work.",
        (_a("Hold quarterly community safety forums in the wards with the lowest confidence", CSP),
         _a("Co-design the violence reduction strategy with young people", CSP, "£20,000"))),
    Recommendation(HEALTH, "Access to services",
        "Black, Asian and minority ethnic residents can use health and care services in ways that suit them.",
        (_a("Keep a non-digital way to use every health and care service and promote it in community languages", HWB),
         _a("Support digitally excluded residents to get online through community outreach", HWB, "£35,000"),
         _a("Translate key health information into the borough's main community languages", DPH))),
    Recommendation(HEALTH, "Health inequalities research",
        "Research with communities explains the causes of ethnic health inequalities in the borough.",
        (_a("Commission community-led research into health inequalities", DPH, "£50,000"),
         _a("Gather insight on patient experience at the local hospital with Healthwatch", HWB))),
    Recommendation(HEALTH, "Mental health",
        "Black residents are no longer over-represented in detentions under the Mental Health Act.",
        (_a("Review detentions under the Mental Health Act by ethnicity with the mental health trust", DPH),
         _a("Fund community organisations to deliver early mental health support", DPH, "£150,000 (delivered from existing resources)"))),
    Recommendation(HEALTH, "Health and care workforce",
        "More residents from under-represented communities become health and care professionals.",
        (_a("Promote health and care careers in schools and colleges", HWB),
         _a("Offer work placements to local young people from under-represented groups", HWB))),
    Recommendation(HOUSING_THEME, "Overcrowding and allocations",
        "Ethnic minority households are no longer disproportionately overcrowded or waiting longest for housing.",
        (_a("Monitor housing register, allocations and waiting times by ethnicity", HOUSING),
         _a("Deliver a programme to free up under-occupied homes for overcrowded families", HOUSING, "£200,000"))),
    Recommendation(HOUSING_THEME, "Housing conditions and complaints",
        "Residents from all communities have repairs and complaints resolved fairly and on time.",
        (_a("Analyse repairs and damp and mould complaints by ethnicity of the household", HOUSING),
         _a("Train housing officers on discrimination in housing services", HOUSING, "£12,000"),
         _a("Set up a residents' panel to scrutinise housing complaints", HOUSING))),
    Recommendation(CIVIC, "Community leadership",
        "More residents from ethnic minority backgrounds take on community leadership roles.",
        (_a("Develop and deliver a community leadership programme of training, mentoring and shadowing", STRATEGY, "£50,000"),
         _a("Establish a community network so residents can influence service design", STRATEGY, "£25,000 per annum (delivered within existing budget)"),
         _a("Celebrate community leaders and role models at an annual event", STRATEGY, "£10,000"))),
    Recommendation(CIVIC, "Democratic participation",
        "Residents from all communities take part in local democracy.",
        (_a("Run voter registration drives in the wards with the lowest registration", DEMOCRACY),
         _a("Run a 'be a councillor' programme with community organisations", DEMOCRACY, "£8,000"),
         _a("Publish the diversity of councillors and co-opted members each year", DEMOCRACY))),
    Recommendation(CIVIC, "Awareness",
        "A communications campaign raises awareness of opportunities and profiles role models.",
        (_a("Deliver an 'I can be' campaign through community media", COMMS, "£10,000"),
         _a("Use the council's channels to promote community leadership opportunities", COMMS))),
    Recommendation(DATA, "Disaggregated data",
        "Organisations collect and analyse ethnicity data in enough detail to see each community's outcomes.",
        (_a("Implement the equality data monitoring review to improve data collection across services", BI),
         _a("Report outcomes for Somali, Turkish and Kurdish residents separately wherever numbers allow", BI),
         _a("Build a race equality observatory dashboard for the partnership", BI, "£45,000"))),
    Recommendation(DATA, "Contracts and grants",
        "Contractors and grant recipients meet the standards of the borough's race equality pledge.",
        (_a("Include anti-racism requirements in all new contract specifications", PROCUREMENT),
         _a("Monitor contractors' delivery of their anti-racism commitments", PROCUREMENT))),
    Recommendation(DATA, "Equality impact",
        "Decisions are informed by their impact on each of the borough's communities.",
        (_a("Ensure every Cabinet decision has an equality impact assessment with data by ethnic group", STRATEGY),
         _a("Engage residents from affected communities in co-designing services and commissioning", STRATEGY))),
)  # fmt: skip


# Progress-update phrases by status; {placeholders} are filled from the lists below.
PHRASES: dict[str, tuple[str, ...]] = {
    "Not started": (
        "Not yet started: due to start {start}.",
        "Scoping to begin {start}.",
        "Awaiting {dependency} before work starts.",
    ),
    "On track": (
        "Work progressing to plan; next milestone due {month}.",
        "{Partner} engaged; {n} sessions delivered this quarter.",
        "Project group meeting monthly; draft {product} shared with {partner}.",
        "Pilot running in {n} sites; evaluation framework agreed.",
    ),
    "At risk": (
        "Capacity pressures in the team; mitigation agreed at {board}.",
        "Some slippage: {product} delayed pending {dependency}.",
        "Funding confirmed for part of the work only; options paper going to {board}.",
    ),
    "Off track": (
        "Delayed by a lead officer vacancy; revised timescale to be agreed at {board}.",
        "Not progressed this quarter because of {dependency}; escalated to {board}.",
        "Off track after a partner withdrew; re-scoping under way.",
    ),
    "Complete": (
        "Completed {month}; evidence reported to {board}.",
        "Delivered: {product} published {month}.",
        "Complete. Now business as usual.",
    ),
}
PARTNERS = (
    "the staff race equality network", "schools", "the voluntary sector forum", "the integrated care board",
    "the police", "housing associations", "the youth council",
)  # fmt: skip
PRODUCTS = (
    "action plan",
    "training module",
    "data dashboard",
    "policy",
    "guidance",
    "toolkit",
    "evaluation report",
)
BOARDS = (
    "the Corporate Equalities Board", "the Race Equality Network", "the Health and Wellbeing Board",
    "the Community Safety Partnership", "Cabinet",
)  # fmt: skip
DEPENDENCIES = (
    "recruitment of a project officer", "the data sharing agreement", "the new case management system",
    "budget setting", "the service restructure",
)  # fmt: skip
