"""Reading what anyone may send (a header, a cookie, an address, a body, a button's data):
each helper answers "no" to hostile input instead of raising something nobody catches.

- `same_secret`: `hmac.compare_digest` raises TypeError for a `str` that is not ASCII, so a
  cookie `é.é` or a header `sha256=é` was a 500; compared as UTF-8 bytes it simply differs.
- `json_value`: `json.loads` raises RecursionError for deeply nested `[[[…]]]`.
- `fits_bigint` / `json_id`: SQLite and PostgreSQL keep ids in 64 bits; a larger Python int
  raises OverflowError (SQLite) or DataError (asyncpg) inside the query.
"""

from __future__ import annotations

import hmac
import json
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
        return json.loads(data)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def fits_bigint(value: int) -> bool:
    return BIGINT_MIN <= value <= BIGINT_MAX


def json_id(value: object) -> int | None:
    """An id as JSON gives it: a whole number the database can hold. A boolean, a float or a
    string of digits is not one (`true` is not reward 1)."""
    if type(value) is not int or not fits_bigint(value):
        return None
    return value
