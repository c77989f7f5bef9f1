"""Pseudonymisation at the boundary: person identifiers become keyed hashes before anything else.

HMAC-SHA256 with a secret key (OBSERVATORY_PSEUDONYMISATION_KEY) keeps records linkable across
sources (the same UPN gives the same hash) while the raw identifier never reaches the warehouse.
A public demo key is allowed only for data directories marked as synthetic demo data.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
import warnings
from functools import cache

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from observatory import config
from observatory.contracts import Contract
from observatory.ingest.parsing import as_text, blank, month_only, text_array, text_series

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
    """Keyed hash (HMAC-SHA256, hex) of each non-blank value, whitespace-trimmed and case-folded;
    blanks stay blank. Worked out once per distinct value: the ASCII ones (nearly every identifier)
    in one DuckDB query (`_hmac_hex`), the others by Python's hmac, whose casefold goes beyond ASCII
    ('STRASSE' and 'Straße' are one name)."""
    cells = text_array(as_text(values))
    distinct = pc.unique(cells)
    ascii_only = pc.string_is_ascii(distinct)
    ascii_values, other_values = pc.filter(distinct, ascii_only), pc.filter(distinct, pc.invert(ascii_only))
    # Arrow trims and lower-cases ASCII exactly as Python's strip and casefold do.
    by_value = pa.concat_arrays(
        [
            _hmac_hex(pc.utf8_lower(pc.utf8_trim_whitespace(ascii_values)), key),
            pa.array([_digest(v, key) for v in other_values.to_pylist()], type=pa.string()),
        ]
    )
    order = pa.concat_arrays([ascii_values, other_values])
    return text_series(pc.take(by_value, pc.index_in(cells, value_set=order)), values.index)


def _digest(value: str, key: bytes) -> str:
    value = value.strip()
    return hmac.digest(key, value.casefold().encode(), "sha256").hex() if value else ""


# HMAC (RFC 2104) spelled out with DuckDB's SHA-256: SHA-256(K xor opad || SHA-256(K xor ipad || m)).
_HMAC_SQL = (
    "select case when v = '' then '' "
    "else sha256($outer || unhex(sha256($inner || encode(v)))) end from pseudonymise_values"
)


def _hmac_hex(normal: pa.Array, key: bytes) -> pa.Array:
    """``_digest`` of each (already trimmed and case-folded) value, as one vectorised DuckDB query
    instead of a Python call a value: a census's pupil numbers are nearly all distinct, and those
    calls were most of pseudonymisation's time. Tested against Python's hmac."""
    block = (hashlib.sha256(key).digest() if len(key) > 64 else key).ljust(64, b"\0")
    inner, outer = bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)
    con = _connection()
    con.register("pseudonymise_values", pa.table({"v": normal}))
    try:
        # Without ORDER BY the rows come back in the table's order (preserve_insertion_order).
        result = con.sql(_HMAC_SQL, params={"inner": inner, "outer": outer}).to_arrow_table()
    finally:
        con.unregister("pseudonymise_values")
    return result.column(0).combine_chunks()


_local = threading.local()


def _connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB for hashing, one a thread (a connection is not shared between threads)."""
    if not hasattr(_local, "con"):
        _local.con = duckdb.connect(config={"threads": 1, "preserve_insertion_order": True})
    return _local.con


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
