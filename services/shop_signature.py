"""The shop's signature on a posted order: how it is made, and checked within five minutes."""

from __future__ import annotations

import hashlib
import hmac

from services.untrusted import same_secret

SIGNATURE_MAX_AGE = 300  # seconds either way: a replay later than this is refused


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>` of HMAC-SHA256 over `<timestamp>.<body>` with the shop's secret."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def signed_in_time(
    secret: str, timestamp: str | None, given: str | None, body: bytes, now: float
) -> bool:
    """The request carries our signature of this body, made in the last five minutes."""
    if not timestamp or len(timestamp) > 12 or not timestamp.isascii() or not timestamp.isdigit():
        return False
    if abs(now - int(timestamp)) > SIGNATURE_MAX_AGE:
        return False
    return same_secret(signature(secret, timestamp, body), given)
