"""The fictional authorities the demo data describes.

Every authority is invented: names carry "(synthetic)" and codes use the prefix ``X09``, which the
ONS never issues (real local-authority codes start E06-E10, W06, S12 or N09), so demo data can never
be mistaken for, or joined to, a real council. Each authority has its own workforce ethnic mix so
that multi-authority scales show genuinely different places: one with a large Bangladeshi community,
one with a large Somali community (recorded as Black African), one with large Turkish (White Other)
and Kurdish (Any other ethnic group) communities, and so on.

The list does not depend on the generator's seed: the same code always names the same place.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

CODE_PREFIX = "X09"

# Census 2021 19-category codes, in the order of the ethnicity_census2021 seed.
CENSUS_CODES: tuple[str, ...] = (
    "WBRI", "WIRI", "WGYP", "WROM", "WOTH",
    "MWBC", "MWBA", "MWAS", "MOTH",
    "ABAN", "ACHN", "AIND", "APKN", "AOTH",
    "BAFR", "BCRB", "BOTH",
    "OARA", "OOTH",
)  # fmt: skip

# How the share not named explicitly is spread across the other groups (relative weights, roughly
# the shape of a London council workforce).
_RESIDUAL = {
    "WIRI": 3.0, "WGYP": 0.3, "WROM": 0.5, "WOTH": 8.0,
    "MWBC": 2.0, "MWBA": 1.0, "MWAS": 1.5, "MOTH": 1.5,
    "ABAN": 2.0, "ACHN": 1.5, "AIND": 5.0, "APKN": 2.5, "AOTH": 3.0,
    "BAFR": 5.0, "BCRB": 3.0, "BOTH": 1.0,
    "OARA": 0.8, "OOTH": 2.0,
}  # fmt: skip

SCALES: dict[str, int] = {"borough": 1, "london": 33, "england": 150}

REGIONS = (
    "North East",
    "North West",
    "Yorkshire and The Humber",
    "East Midlands",
    "West Midlands",
    "East of England",
    "South East",
    "South West",
)


@dataclass(frozen=True)
class Authority:
    """A fictional council. ``workforce_mix`` is the share of staff (with a known ethnicity) per
    Census 2021 code; it sums to 1."""

    index: int
    code: str
    name: str
    region: str
    inner_london: bool | None
    communities: str
    workforce_mix: tuple[tuple[str, float], ...]
    headcount: int

    @property
    def mix(self) -> dict[str, float]:
        return dict(self.workforce_mix)

    @property
    def short_name(self) -> str:
        return self.name.removesuffix(" (synthetic)")

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "region": self.region,
            "inner_london": self.inner_london,
            "communities": self.communities,
            "workforce_mix": {k: round(v, 4) for k, v in self.workforce_mix},
        }


def _mix(white_british: float, **named: float) -> dict[str, float]:
    """A full 19-group mix: White British and the named groups as given, the rest spread by _RESIDUAL."""
    fixed = {"WBRI": white_british, **named}
    rest = 1.0 - sum(fixed.values())
    if rest < 0:
        raise ValueError("named shares exceed 1")
    weights = {k: w for k, w in _RESIDUAL.items() if k not in fixed}
    total = sum(weights.values())
    mix = {**fixed, **{k: rest * w / total for k, w in weights.items()}}
    return {k: mix[k] for k in CENSUS_CODES}


# Hand-written London authorities: (name, inner London?, communities, mix).
_LONDON: tuple[tuple[str, bool, str, dict[str, float]], ...] = (
    (
        "Northbrook",
        False,
        "outer London; mixed, with large Indian and Black African communities",
        _mix(0.50, AIND=0.09, BAFR=0.08, WOTH=0.08, BCRB=0.04, APKN=0.03),
    ),
    (
        "Eastmarsh",
        True,
        "inner London; large Bangladeshi community",
        _mix(0.30, ABAN=0.24, WOTH=0.10, BAFR=0.07, BCRB=0.04),
    ),
    (
        "Kestrel Vale",
        False,
        "outer London; large Somali community (recorded as Black African)",
        _mix(0.42, BAFR=0.17, WOTH=0.09, AIND=0.05, OARA=0.02),
    ),
    (
        "Hollowgate",
        True,
        "inner London; large Turkish (White Other) and Kurdish (Any other ethnic group) communities",
        _mix(0.32, WOTH=0.19, OOTH=0.07, BAFR=0.08, BCRB=0.06),
    ),
    (
        "Ambersham",
        False,
        "outer London; large Indian and Pakistani communities",
        _mix(0.40, AIND=0.20, APKN=0.06, AOTH=0.05),
    ),
    (
        "Marrow Heath",
        True,
        "inner London; large Black Caribbean and Black African communities",
        _mix(0.33, BCRB=0.12, BAFR=0.12, MWBC=0.04, WOTH=0.10),
    ),
    (
        "Fernley Downs",
        False,
        "outer London; predominantly White British",
        _mix(0.68, WOTH=0.06, AIND=0.04, BAFR=0.03),
    ),
    (
        "Linden Cross",
        True,
        "inner London; large Chinese, Other Asian and European communities",
        _mix(0.36, ACHN=0.07, AOTH=0.08, WOTH=0.15),
    ),
    (
        "Osprey Fields",
        False,
        "outer London; large Polish and Romanian communities (White Other, Roma)",
        _mix(0.47, WOTH=0.16, WROM=0.012, AIND=0.05),
    ),
    (
        "Quillstead",
        False,
        "outer London; large Tamil (Other Asian) and Indian communities",
        _mix(0.41, AOTH=0.11, AIND=0.10, BAFR=0.05),
    ),
    (
        "Rowanmere",
        True,
        "inner London; large Arab and North African communities",
        _mix(0.35, OARA=0.06, OOTH=0.05, WOTH=0.12, BAFR=0.07),
    ),
    (
        "Heronwick",
        False,
        "outer London; large Ghanaian and Nigerian communities (Black African)",
        _mix(0.45, BAFR=0.15, BCRB=0.04, AIND=0.04),
    ),
)

# Archetypes for the generated authorities: (description, mix).
_LONDON_ARCHETYPES = (
    ("outer London; mixed", _mix(0.52)),
    ("inner London; very diverse", _mix(0.34, WOTH=0.13, BAFR=0.08)),
)
_ENGLAND_ARCHETYPES = (
    ("shire district; predominantly White British", _mix(0.90, WOTH=0.03)),
    ("northern town; large Pakistani community", _mix(0.72, APKN=0.12, ABAN=0.03)),
    ("midlands city; large Indian and Pakistani communities", _mix(0.55, AIND=0.12, APKN=0.08)),
    ("coastal town; predominantly White British", _mix(0.88, WOTH=0.05)),
    ("university city; large Chinese and European communities", _mix(0.70, ACHN=0.04, WOTH=0.08)),
    ("port city; large Black African and Somali communities", _mix(0.68, BAFR=0.08, WOTH=0.05)),
)

_PREFIXES = (
    "Amber", "Bramble", "Cinder", "Dapple", "Ember", "Fallow", "Glimmer", "Hazel", "Ivy",
    "Juniper", "Larch", "Marigold", "Nettle", "Plover", "Sorrel", "Teasel", "Umber", "Vetch",
    "Willow", "Yarrow", "Alder", "Bittern", "Corncrake", "Dunnock", "Eider",
)  # fmt: skip
_SUFFIXES = (
    "brook", "wick", "mere", "ford", "field", "stead", "ley", "worth", "bury", "dale",
    "gate", "haven", "moor", "combe", "thorpe",
)  # fmt: skip


def _code(index: int) -> str:
    return f"{CODE_PREFIX}{index:06d}"


@cache
def all_authorities() -> tuple[Authority, ...]:
    """The 150 fictional authorities: 33 in London (12 hand-written first), then 117 elsewhere."""
    rng = np.random.default_rng(20210321)  # fixed: the list is part of the demo, not of the seed
    taken = {name for name, *_ in _LONDON}
    combos = [p + s for p in _PREFIXES for s in _SUFFIXES]
    names = [n for n in (combos[i] for i in rng.permutation(len(combos))) if n not in taken]
    out: list[Authority] = []
    for i in range(1, SCALES["england"] + 1):
        if i <= len(_LONDON):
            name, inner, communities, mix = _LONDON[i - 1]
            region = "London"
        else:
            name = names.pop(0)
            in_london = i <= SCALES["london"]
            archetypes = _LONDON_ARCHETYPES if in_london else _ENGLAND_ARCHETYPES
            communities, base = archetypes[i % len(archetypes)]
            inner = ("inner" in communities) if in_london else None
            region = "London" if in_london else REGIONS[i % len(REGIONS)]
            shares = np.array([base[k] for k in CENSUS_CODES])
            drawn = rng.dirichlet(shares * 400 + 0.05)  # a distinct mix around the archetype
            mix = dict(zip(CENSUS_CODES, drawn.tolist(), strict=True))
        headcount = int(rng.integers(4500, 6300)) if region == "London" else int(rng.integers(4600, 5400))
        out.append(
            Authority(
                index=i,
                code=_code(i),
                name=f"{name} (synthetic)",
                region=region,
                inner_london=inner,
                communities=communities,
                workforce_mix=tuple((k, float(mix[k])) for k in CENSUS_CODES),
                headcount=headcount,
            )
        )
    return tuple(out)


def authorities_for(scale: str) -> tuple[Authority, ...]:
    """The first 1 (borough), 33 (london) or 150 (england) authorities."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}, not {scale!r}")
    return all_authorities()[: SCALES[scale]]


NEIGHBOURS = 10


def statistical_neighbours(count: int = NEIGHBOURS) -> list[tuple[str, str, int, float]]:
    """(authority, neighbour, rank, distance) for every fictional authority: the nearest ``count``
    by ethnic make-up (each major group's share), with London authorities compared only with London
    and the rest only with the rest, as the DfE and CIPFA lists in effect do. A council replaces the
    seed built from this with its published list; the marts only read the seed."""
    authorities = all_authorities()
    majors = {"A": "Asian", "B": "Black", "M": "Mixed", "W": "White", "O": "Other"}
    features = np.array(
        [
            [sum(v for k, v in a.workforce_mix if k[0] == m) for m in majors] + [a.mix["WBRI"]]
            for a in authorities
        ]
    )
    scaled = (features - features.mean(axis=0)) / features.std(axis=0)
    london = np.array([a.region == "London" for a in authorities])
    rows = []
    for i, a in enumerate(authorities):
        distance = np.sqrt(((scaled - scaled[i]) ** 2).sum(axis=1))
        distance[london != london[i]] = np.inf
        distance[i] = np.inf
        order = np.argsort(distance, kind="stable")[:count]
        rows += [
            (a.code, authorities[j].code, r + 1, round(float(distance[j]), 4)) for r, j in enumerate(order)
        ]
    return rows
