"""Ethnicity labels as source systems write them, taken from the reviewed lookup seeds.

Generated labels come from ``ethnicity_hr_labels`` itself (written back in the natural mixed case an
HR system uses), so clean demo data only ever holds values the lookup maps, and a new label added to
the seed is picked up automatically. Every domain (HR, school census, youth justice...) shares this.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from observatory.config import DBT_PROJECT_DIR
from observatory.contracts import normalise_label

SEED_DIR = DBT_PROJECT_DIR / "seeds" / "ethnicity"
PREFER_NOT_TO_SAY = "Prefer not to say"
STYLES = ("census", "hr", "code")

# Values HR systems hold that the lookup deliberately does not map (typos, free text, write-ins):
# dirty mode plants them so tests can check that unmapped labels are reported, never guessed.
UNMAPPED_CANDIDATES = (
    "W British",
    "Blk African",
    "Mixed (see notes)",
    "Other - please specify",
    "Asian Indian?",
    "Whte British",
)

_SMALL_WORDS = {"or", "and"}
# Group prefixes HR systems separate from the category with " - " ("White - Any Other White Background").
_ALWAYS_DASH = ("asian or asian british", "black or black british")
_DASH_IF_LONG = ("white", "mixed")


def normalise(label: str) -> str:
    """The form the seed's ``label_normalised`` column holds (ingest and dbt use the same rule)."""
    return normalise_label(label)


def _display(label_normalised: str) -> str:
    """'black or black british african' -> 'Black or Black British - African'.

    The seed stores labels without punctuation; this restores the mixed case and dash an HR
    system prints. Any punctuation normalises away again, so the label still maps."""
    head, rest = "", label_normalised
    for prefix in _ALWAYS_DASH + _DASH_IF_LONG:
        tail = label_normalised.removeprefix(prefix + " ")
        if tail != label_normalised and (prefix in _ALWAYS_DASH or len(tail.split()) >= 2):
            head, rest = prefix, tail
            break

    def title(text: str) -> str:
        return " ".join(w if w in _SMALL_WORDS else w[:1].upper() + w[1:] for w in text.split())

    return f"{title(head)} - {title(rest)}" if head else title(rest)


@dataclass(frozen=True)
class EthnicityLabels:
    """Display labels per Census 2021 code, by the style a source system uses."""

    codes: tuple[str, ...]
    census_label: dict[str, str]
    major_group: dict[str, str]
    by_style: dict[str, dict[str, tuple[str, ...]]]  # style -> code -> labels (first = preferred)
    known_normalised: frozenset[str]

    def all_labels(self, code: str) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for style in STYLES:
            seen.update(dict.fromkeys(self.by_style[style][code]))
        return tuple(seen)

    def unmapped(self) -> tuple[str, ...]:
        return tuple(x for x in UNMAPPED_CANDIDATES if normalise(x) not in self.known_normalised)

    def sample(
        self, code_idx: np.ndarray, style: str, legacy_share: float, rng: np.random.Generator
    ) -> np.ndarray:
        """Labels for rows with census code index ``code_idx``: mostly the style's preferred label,
        ``legacy_share`` of rows any other mapped label for that code (old values left by migrations)."""
        preferred = np.array([self.by_style[style][c][0] for c in self.codes], dtype=object)
        alts = [self.all_labels(c) for c in self.codes]
        flat = np.array([a for group in alts for a in group], dtype=object)
        counts = np.array([len(a) for a in alts])
        offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
        legacy = rng.random(code_idx.size) < legacy_share
        pick = offsets[code_idx] + (rng.random(code_idx.size) * counts[code_idx]).astype(np.int64)
        return np.where(legacy, flat[pick], preferred[code_idx])


@cache
def load_labels(seed_dir: Path = SEED_DIR) -> EthnicityLabels:
    with (seed_dir / "ethnicity_census2021.csv").open(newline="", encoding="utf-8") as f:
        census = list(csv.DictReader(f))
    with (seed_dir / "ethnicity_hr_labels.csv").open(newline="", encoding="utf-8") as f:
        hr = list(csv.DictReader(f))
    codes = tuple(r["census_code"] for r in census)
    census_label = {r["census_code"]: r["census_label"] for r in census}
    by_census_form = {normalise(v): v for v in census_label.values()}
    by_style: dict[str, dict[str, list[str]]] = {s: {c: [] for c in codes} for s in STYLES}
    for r in hr:
        code, label = r["census_code"], normalise(r["label_normalised"])
        if not code:
            continue
        if label in by_census_form:
            by_style["census"][code].append(by_census_form[label])
        elif label == code.lower() or "code" in r.get("note", "").lower():
            by_style["code"][code].append(label.upper())
        else:
            by_style["hr"][code].append(_display(label))
    frozen: dict[str, dict[str, tuple[str, ...]]] = {}
    for style in STYLES:
        frozen[style] = {}
        for c in codes:
            # A style with no label for a code falls back to the Census 2021 wording.
            frozen[style][c] = tuple(by_style[style][c] or by_style["census"][c] or [census_label[c]])
    return EthnicityLabels(
        codes=codes,
        census_label=census_label,
        major_group={r["census_code"]: r["major_group"] for r in census},
        by_style=frozen,
        known_normalised=frozenset(normalise(r["label_normalised"]) for r in hr),
    )
