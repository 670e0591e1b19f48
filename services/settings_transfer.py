"""A group's configuration as a file (`/settings export`), and that file applied to another
group (`/settings import`), to copy a set-up.

The file holds the group's time zone and language, the feature sections of `chats.settings`
(welcome and rules text, FAQ, sign-in, points, ...) and its program's tier ladder: settings
only, no member data. Left out: the brand questions of the join check (their answers let anyone
in), and what the bot notes about the group itself (missing rights, the night's saved
permissions). Applied, each part is checked (a section the bot does not know, a value its rules
cannot read, a time zone or language it does not take, a ladder that is not one) and refused by
name; nothing is written unless every part passes, in the caller's one transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from models import Chat, TierRow
from services.boosts import BoostRules
from services.cadence_rules import Cadence
from services.chat_settings import locked_chat
from services.chats import LANGUAGES
from services.checkin_rules import CheckinRules
from services.clock import is_timezone
from services.event_rules import EventRules
from services.faq import Faq
from services.guards import ModerationRules
from services.locks import LockRules
from services.member_tags import TagRules
from services.message_rules import MessageRules
from services.order_rules import OrderRules
from services.raids import RaidRules
from services.reactions import ReactionRules
from services.referral_rules import ReferralRules
from services.tiers import MAX_NAME, MAX_PERKS, MAX_THRESHOLD, TierService
from services.topic_rules import TopicRules
from services.welcome import Welcome

FORMAT = "fanbot-settings"
VERSION = 1
MAX_FILE_BYTES = 256 * 1024
# Each section the file carries, and the rules class that reads it.
SECTIONS: dict[str, type[Any]] = {
    "points": MessageRules,
    "checkin": CheckinRules,
    "referral": ReferralRules,
    "boosts": BoostRules,
    "reactions": ReactionRules,
    "cadence": Cadence,
    "topics": TopicRules,
    "orders": OrderRules,
    "tags": TagRules,
    "moderation": ModerationRules,
    "raid": RaidRules,
    "welcome": Welcome,
    "rules": Welcome,
    "faq": Faq,
    "locks": LockRules,
    "events": EventRules,
}


class SettingsFileError(ValueError):
    """The file is no settings export (`reason`: too big, not json, format), or `refused`
    names each part that cannot be applied."""

    def __init__(self, reason: str, refused: tuple[str, ...] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.refused = refused


@dataclass(slots=True)
class Applied:
    sections: list[str] = field(default_factory=list)
    tiers: int = 0  # steps of the ladder written (0: the ladder left as it was)


class SettingsTransfer:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def export(self, chat_id: int, program_id: int) -> bytes:
        """The group's configuration as a JSON file (UTF-8)."""
        chat = await self.session.get(Chat, chat_id)
        assert chat is not None
        ladder = await TierService(self.session).ladder(program_id)
        document = {
            "format": FORMAT,
            "version": VERSION,
            "timezone": chat.timezone,
            "language": chat.language,
            "settings": {
                name: values
                for name, values in sorted((chat.settings or {}).items())
                if name in SECTIONS and isinstance(values, dict)
            },
            "tiers": [
                {"key": t.key, "name": t.name, "threshold": t.threshold, "perks": t.perks}
                for t in ladder
            ],
        }
        return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=False).encode()

    async def apply(self, chat_id: int, program_id: int, data: bytes) -> Applied:
        """Every part checked first, then written (SettingsFileError naming the refused)."""
        document = read_document(data)
        refused: list[str] = []
        timezone, language = document.get("timezone"), document.get("language")
        if timezone is not None and not (isinstance(timezone, str) and is_timezone(timezone)):
            refused.append("timezone")
        if language is not None and language not in LANGUAGES:
            refused.append("language")
        sections = document.get("settings") or {}
        if not isinstance(sections, dict):
            raise SettingsFileError("format")
        for name, values in sections.items():
            if name not in SECTIONS or not isinstance(values, dict) or not _readable(name, values):
                refused.append(str(name)[:32])
        tiers = _ladder(document.get("tiers"))
        if tiers is None:
            refused.append("tiers")
        if refused:
            raise SettingsFileError("refused", tuple(refused))
        chat = await locked_chat(self.session, chat_id)
        chat.timezone, chat.language = timezone, language
        kept = {name: v for name, v in (chat.settings or {}).items() if name not in SECTIONS}
        chat.settings = {**kept, **sections}
        applied = Applied(sections=sorted(sections))
        current = await TierService(self.session).ladder(program_id)
        same = tiers == [
            {"key": t.key, "name": t.name, "threshold": t.threshold, "perks": t.perks}
            for t in current
        ]
        # A group in another's program uses the founding group's ladder: left to its admins.
        if tiers and not same and program_id == chat_id:
            await self.session.execute(delete(TierRow).where(TierRow.chat_id == program_id))
            self.session.add_all(TierRow(chat_id=program_id, **tier) for tier in tiers)
            applied.tiers = len(tiers)
        await self.session.flush()
        return applied


def read_document(data: bytes) -> dict[str, Any]:
    if len(data) > MAX_FILE_BYTES:
        raise SettingsFileError("too big")
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise SettingsFileError("not json") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise SettingsFileError("format")
    if document.get("version") != VERSION:
        raise SettingsFileError("format")
    return document


def _readable(name: str, values: dict[str, Any]) -> bool:
    """Whether the section's rules class reads the values (a number where one is wanted) and
    its numbers are within the limits its setters keep (`LIMITS`, where the class has them)."""
    rules_class = SECTIONS[name]
    try:
        rules = rules_class.from_settings({name: values})
    except (TypeError, ValueError, KeyError, AttributeError):
        return False
    limits = getattr(rules_class, "LIMITS", None)
    if isinstance(limits, dict):
        figures = {key: getattr(rules, key, None) for key in limits}
        return all(_within(figure, limits[key]) for key, figure in figures.items())
    if isinstance(limits, tuple):  # the section's one number
        return all(_within(value, limits) for value in values.values())
    return True


def _within(value: object, limits: tuple[int, int]) -> bool:
    """A number outside the limits is refused; what is not a number is the rules' to read."""
    if not isinstance(value, int) or isinstance(value, bool):
        return True
    low, high = limits
    return low <= value <= high


def _ladder(tiers: object) -> list[dict[str, Any]] | None:
    """The file's ladder as tier rows; None when it is not one (names, thresholds, perks
    within the limits `/tiers` has, no threshold or name twice, at least one step)."""
    if not isinstance(tiers, list) or not tiers:
        return None
    rows: list[dict[str, Any]] = []
    for tier in tiers:
        if not isinstance(tier, dict):
            return None
        key, name, threshold, perks = (tier.get(k) for k in ("key", "name", "threshold", "perks"))
        if not isinstance(key, str) or not 0 < len(key) <= MAX_NAME:
            return None
        if name is not None and (not isinstance(name, str) or not 0 < len(name) <= MAX_NAME):
            return None
        if not isinstance(threshold, int) or isinstance(threshold, bool):
            return None
        if not 0 <= threshold <= MAX_THRESHOLD:
            return None
        if perks is not None and (not isinstance(perks, str) or len(perks) > MAX_PERKS):
            return None
        rows.append({"key": key, "name": name, "threshold": threshold, "perks": perks})
    if len({r["key"] for r in rows}) < len(rows) or len({r["threshold"] for r in rows}) < len(rows):
        return None
    return rows
