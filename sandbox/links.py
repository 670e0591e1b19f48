"""What a Telegram app does with a link: a bot's link opens its private chat (with a `start`
payload, pressing Start sends `/start <payload>`), an invite link joins a group, anything else
opens in a browser."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

# https://core.telegram.org/bots/features#deep-linking: up to 64 of these characters.
START_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")
USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,31}")
TELEGRAM_HOSTS = {"t.me", "telegram.me", "telegram.dog"}


@dataclass(frozen=True)
class BotLink:
    """t.me/<username>[?start=<payload>|?startgroup=<payload>], or its tg://resolve form."""

    username: str
    start: str | None = None  # the payload; "" for a bare ?start
    startgroup: bool = False
    bad_payload: bool = False  # a payload Telegram's apps do not pass on


@dataclass(frozen=True)
class InviteLink:
    url: str  # as the bot's createChatInviteLink gave it: https://t.me/+<hash>


@dataclass(frozen=True)
class WebLink:
    url: str


Link = BotLink | InviteLink | WebLink


def parse_link(url: str) -> Link:
    parts = urlsplit(url.strip())
    query = {
        key: values[0] for key, values in parse_qs(parts.query, keep_blank_values=True).items()
    }
    if (
        parts.scheme == "tg"
        and parts.netloc == "resolve"
        and USERNAME.fullmatch(query.get("domain", ""))
    ):
        return bot_link(query["domain"], query)
    if parts.scheme == "tg" and parts.netloc == "join" and query.get("invite"):
        return InviteLink(f"https://t.me/+{query['invite']}")
    if parts.scheme not in ("http", "https") or parts.netloc.lower() not in TELEGRAM_HOSTS:
        return WebLink(url)
    path = parts.path.strip("/")
    if path.startswith(("+", "joinchat/")):
        invite_hash = path.removeprefix("+").removeprefix("joinchat/")
        return InviteLink(f"https://t.me/+{invite_hash}")
    if USERNAME.fullmatch(path):
        return bot_link(path, query)
    return WebLink(url)


def bot_link(username: str, query: dict[str, str]) -> BotLink:
    for key, group in (("start", False), ("startgroup", True)):
        if key in query:
            payload = query[key]
            valid = payload == "" or START_PAYLOAD.fullmatch(payload) is not None
            return BotLink(username, payload if valid else "", group, bad_payload=not valid)
    return BotLink(username)
