"""Reading what anyone may send (a header, a cookie, an address, a body, a button's data):
each helper answers "no" to hostile input instead of raising something nobody catches.

- `same_secret`: `hmac.compare_digest` raises TypeError for a `str` that is not ASCII, so a
  cookie `é.é` or a header `sha256=é` was a 500; compared as UTF-8 bytes it simply differs.
- `json_value`: `json.loads` raises RecursionError for deeply nested `[[[…]]]`, and decodes
  `"\\ud800"` to a lone surrogate that neither the database nor a reply can encode as UTF-8
  (a member named so made every update of theirs fail): each becomes U+FFFD.
- `fits_bigint` / `json_id`: SQLite and PostgreSQL keep ids in 64 bits; a larger Python int
  raises OverflowError (SQLite) or DataError (asyncpg) inside the query.
"""

from __future__ import annotations

import hmac
import json
import re
from typing import Any

BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1


def same_secret(expected: str, given: str | None) -> bool:
    """`given` is `expected` (a MAC, a token), compared in constant time; False for none."""
    if not given:
        return False
    # surrogatepass: aiohttp keeps undecodable header bytes as lone surrogates.
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "surrogatepass"))


def json_value(data: bytes | str) -> Any:
    """The JSON document in `data`; ValueError when it is none (nesting too deep included)."""
    try:
        value = json.loads(data)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    escapes = _SURROGATE_ESCAPE if isinstance(data, str) else _SURROGATE_ESCAPE_BYTES
    if escapes.search(data):  # type: ignore[arg-type]
        return _without_lone_surrogates(value)
    return value


# JSON writes a surrogate only as an escape; a pair joins into one character when decoded.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE_ESCAPE_BYTES = re.compile(rb"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _without_lone_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_without_lone_surrogates(item) for item in value]
    if isinstance(value, dict):
        return {_without_lone_surrogates(k): _without_lone_surrogates(v) for k, v in value.items()}
    return value


def fits_bigint(value: int) -> bool:
    return BIGINT_MIN <= value <= BIGINT_MAX


def json_id(value: object) -> int | None:
    """An id as JSON gives it: a whole number the database can hold. A boolean, a float or a
    string of digits is not one (`true` is not reward 1)."""
    if type(value) is not int or not fits_bigint(value):
        return None
    return value
