"""Pseudonymisation at the boundary: person identifiers become keyed hashes before anything else.

HMAC-SHA256 with a secret key (OBSERVATORY_PSEUDONYMISATION_KEY) keeps records linkable across
sources (the same UPN gives the same hash) while the raw identifier never reaches the warehouse.
A public demo key is allowed only for data directories marked as synthetic demo data.
"""

from __future__ import annotations

import hmac
import os
import warnings
from functools import cache

import pandas as pd

from observatory import config
from observatory.contracts import Contract
from observatory.ingest.parsing import blank, map_distinct, month_only, text_series

DEMO_KEY = "observatory-demo-key-synthetic-data-only"


class MissingKeyError(RuntimeError):
    pass


def resolve_key(*, demo: bool) -> bytes:
    key = os.environ.get(config.KEY_ENV, "")
    if key:
        return key.encode()
    if demo:
        _warn_demo_key()
        return DEMO_KEY.encode()
    raise MissingKeyError(
        f"{config.KEY_ENV} is not set. Person identifiers are pseudonymised with a secret key; "
        "set it (e.g. from your secrets manager) before loading real extracts."
    )


@cache
def _warn_demo_key() -> None:
    """Once a process, not once a file: a London inbox has thousands of files, checked in workers."""
    warnings.warn(
        f"{config.KEY_ENV} is not set: using the public demo key. "
        "This is safe only because this data directory holds synthetic demo data.",
        stacklevel=3,
    )


def pseudonymise_values(values: pd.Series, key: bytes) -> pd.Series:
    """Keyed hash of each non-blank value (whitespace-trimmed, case-folded); blanks stay blank."""

    def digest(value: str) -> str:
        value = value.strip()
        return hmac.digest(key, value.casefold().encode(), "sha256").hex() if value else ""

    return text_series(map_distinct(values, digest), values.index)


def protect(frame: pd.DataFrame, contract: Contract, key: bytes) -> pd.DataFrame:
    """Drop direct identifiers (or reduce a date of birth to its month) and pseudonymise person
    identifiers, in place of the raw values."""
    out = frame.drop(columns=[c.name for c in contract.columns if c.direct_identifier and not c.loaded])
    for c in contract.columns:
        if c.keep_month_as:
            out[c.name] = month_only(out[c.name])
    for name in contract.identifiers:
        keep_blank = blank(out[name])
        out[name] = pseudonymise_values(out[name], key).where(~keep_blank, "")
    return out
