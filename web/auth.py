"""Who is asking: Telegram's two signatures, and fanbot's own for links, sessions and forms.

Every check here is a pure function of its input, the bot token and the time, so the tests
can forge, age and tamper with each input. Keys are derived from the bot token with a purpose
string each, so a session cookie cannot be replayed as a login link or a CSRF token.

- Login Widget (https://core.telegram.org/widgets/login#checking-authorization): the
  data-check-string is every received field but `hash`, as `key=value` sorted by key and
  joined by "\\n"; `hash` is its HMAC-SHA256 hex with SHA256(bot token) as the key.
- Mini App initData (https://core.telegram.org/bots/webapps#validating-data-received-via-the-
  mini-app): the same data-check-string of the query string's fields; the key is
  HMAC-SHA256(key="WebAppData", message=bot token).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from services.untrusted import json_value, same_secret

MAX_AGE = 86_400  # seconds: Telegram's signed data older than a day is refused
LINK_SECONDS = 600  # a /console link is good for 10 minutes, once
SESSION_SECONDS = 12 * 3600


def _check_string(fields: dict[str, str]) -> bytes:
    # surrogatepass: undecodable bytes of a forged request (lone surrogates) just fail the MAC
    text = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    return text.encode("utf-8", "surrogatepass")


def _fresh(auth_date: str | None, now: float, max_age: float) -> bool:
    if auth_date is None or not auth_date.isdigit():
        return False
    return -60 <= now - int(auth_date) <= max_age  # a minute of clock skew either way


def login_widget_user(
    fields: dict[str, str], token: str, now: float, max_age: float = MAX_AGE
) -> int | None:
    """The Telegram user id a Login Widget redirect vouches for, or None (forged, stale)."""
    given = fields.get("hash", "")
    data = {key: value for key, value in fields.items() if key != "hash"}
    secret = hashlib.sha256(token.encode()).digest()
    expected = hmac.new(secret, _check_string(data), hashlib.sha256).hexdigest()
    if not same_secret(expected, given):
        return None
    if not _fresh(data.get("auth_date"), now, max_age):
        return None
    user_id = data.get("id", "")
    return int(user_id) if user_id.isdigit() else None


@dataclass(frozen=True, slots=True)
class MiniAppUser:
    id: int
    first_name: str
    language_code: str | None


def init_data_user(
    init_data: str, token: str, now: float, max_age: float = MAX_AGE
) -> MiniAppUser | None:
    """The user a Mini App's initData was signed for, or None (forged, stale, malformed)."""
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        return None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        return None  # a field given twice: which one would the signature cover?
    given = fields.pop("hash", "")
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    expected = hmac.new(secret, _check_string(fields), hashlib.sha256).hexdigest()
    if not same_secret(expected, given):
        return None
    if not _fresh(fields.get("auth_date"), now, max_age):
        return None
    try:
        user: Any = json_value(fields.get("user", ""))
        return MiniAppUser(int(user["id"]), str(user.get("first_name", "")),
                           user.get("language_code"))  # fmt: skip
    except (ValueError, TypeError, KeyError):
        return None


def sign_init_data(fields: dict[str, str], token: str) -> str:
    """initData as Telegram signs it (for the tests)."""
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    signed = hmac.new(secret, _check_string(fields), hashlib.sha256).hexdigest()
    return urlencode({**fields, "hash": signed})


def sign_login_widget(fields: dict[str, str], token: str) -> dict[str, str]:
    """The Login Widget's redirect fields as Telegram signs them (for the tests)."""
    secret = hashlib.sha256(token.encode()).digest()
    return {**fields, "hash": hmac.new(secret, _check_string(fields), hashlib.sha256).hexdigest()}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    """Signed, expiring tokens `<payload>.<mac>` for one purpose each ("link", "session")."""

    def __init__(self, token: str, purpose: str) -> None:
        self._key = hmac.new(token.encode(), f"fanbot web {purpose}".encode(), "sha256").digest()

    def sign(self, fields: list[str]) -> str:
        payload = _b64(":".join(fields).encode())
        mac = _b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest()[:24])
        return f"{payload}.{mac}"

    def unsign(self, signed: str, now: float) -> list[str] | None:
        """The fields of a token signed here whose first field (its expiry) is not past."""
        if not signed.isascii():
            return None  # ours are base64 and a dot: anything else is forged
        payload, _, mac = signed.partition(".")
        expected = _b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest()[:24])
        if not same_secret(expected, mac):
            return None
        try:
            fields = _unb64(payload).decode().split(":")
            expires = int(fields[0])
        except (ValueError, UnicodeDecodeError):
            return None
        return fields if now < expires else None


@dataclass(frozen=True, slots=True)
class Session:
    user_id: int
    csrf: str  # the forms' token: random per session, so a leaked page ages with its cookie


class Keys:
    """The web's signers, all derived from the bot token."""

    def __init__(self, token: str) -> None:
        self.links = Signer(token, "link")
        self.sessions = Signer(token, "session")

    def login_link(self, user_id: int, now: float) -> tuple[str, str]:
        """(token, nonce) of a one-time console link for the user."""
        nonce = secrets.token_hex(16)
        return self.links.sign([str(int(now) + LINK_SECONDS), str(user_id), nonce]), nonce

    def read_link(self, token: str, now: float) -> tuple[int, str] | None:
        """(user id, nonce) of a link signed here and not expired; its single use is the
        caller's to record."""
        fields = self.links.unsign(token, now)
        if fields is None or len(fields) != 3 or not fields[1].isdigit():
            return None
        return int(fields[1]), fields[2]

    def session_cookie(self, user_id: int, now: float) -> str:
        csrf = secrets.token_urlsafe(18)
        return self.sessions.sign([str(int(now) + SESSION_SECONDS), str(user_id), csrf])

    def read_session(self, cookie: str | None, now: float) -> Session | None:
        fields = self.sessions.unsign(cookie, now) if cookie else None
        if fields is None or len(fields) != 3 or not fields[1].isdigit():
            return None
        return Session(int(fields[1]), fields[2])
