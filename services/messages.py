"""Message points: every member message is counted, and some of them earn points.

What a member has earned is decided from their row, under its lock, so a redelivered message
(its id is among the member's recent counted ones, `Seen`), 50 messages in one cooldown, two
workers sharing a member, or a member's messages handled out of order (webhooks arrive over
many connections at once) all count and pay exactly what one careful writer would. This module
holds that decision, on the member's counting columns; `services/message_tally.py` writes it.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from services.message_rules import MessageRules
from services.tiers import Tier

MIN_VISIBLE = 3
INVISIBLE = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp", "Mn"})


def visible_length(text: str) -> int:
    """Characters a reader sees: no spaces, zero-width or control characters."""
    return sum(1 for char in text if unicodedata.category(char) not in INVISIBLE)


def shows_at_least(text: str, count: int) -> bool:
    """`visible_length(text) >= count`, stopping as soon as it knows (every message asks)."""
    seen = 0
    for char in text:
        if unicodedata.category(char) not in INVISIBLE:
            seen += 1
            if seen >= count:
                return True
    return count <= 0


def fingerprint(text: str, media_id: str | None) -> str:
    """Equal for the same media, or the same words up to case and spacing."""
    words = " ".join(text.casefold().split())
    return hashlib.blake2b(f"{media_id or ''}\x00{words}".encode(), digest_size=8).hexdigest()


RECENT = 16  # a member's counted message ids remembered above the floor


@dataclass(frozen=True, slots=True)
class Seen:
    """The member's messages already counted: every id up to `floor`, and `ids` above it (the
    latest RECENT). An older message handled after a newer one is still counted; only one
    older than the member's RECENT newer counted messages is taken for a redelivery.

    Stored as "floor id id ..." (`members.recent_message_ids`); a row without it counted up to
    `last_message_id` and nothing is known above (as every row was before the window)."""

    floor: int
    ids: tuple[int, ...] = ()

    @classmethod
    def parse(cls, stored: str | None, last_message_id: int) -> Seen:
        if not stored:
            return cls(last_message_id)
        floor, *ids = (int(part) for part in stored.split())
        return cls(floor, tuple(ids))

    def has(self, message_id: int) -> bool:
        return message_id <= self.floor or message_id in self.ids

    def adding(self, *message_ids: int) -> Seen:
        ids = sorted({*self.ids, *(m for m in message_ids if m > self.floor)})
        floor = self.floor
        if len(ids) > RECENT:
            floor, ids = ids[-RECENT - 1], ids[-RECENT:]
        return Seen(floor, tuple(ids))

    def __str__(self) -> str:
        return " ".join(str(part) for part in (self.floor, *self.ids))


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """What counting needs from a member's message in a group."""

    chat_id: int
    user_id: int
    message_id: int
    sent_at: datetime
    fingerprint: str
    earns: bool  # long enough, or a photo or video
    username: str | None
    display_name: str
    timezone: str
    rules: MessageRules
    replied_to: int | None = None  # the person whose message this answers (not the sender)
    keeps_author: bool = False  # reactions earn in the chat: who wrote it is kept a while
    # The program, when the group joined another group's: its daily cap is the program's.
    program_id: int | None = None

    @property
    def day(self) -> date:
        return self.sent_at.astimezone(ZoneInfo(self.timezone)).date()


@dataclass(frozen=True, slots=True)
class Counted:
    points: int = 0
    promoted_to: Tier | None = None


@dataclass(slots=True)
class CountingState:
    """The member's counting columns, as read under lock and changed in message order."""

    message_count: int
    last_message_id: int
    last_message_digest: str | None
    message_points_at: datetime | None
    message_points_day: date | None
    message_points_today: int
    last_active_day: date | None
    active_days: int
    recent_message_ids: str | None

    @property
    def seen(self) -> Seen:
        return Seen.parse(self.recent_message_ids, self.last_message_id)

    def add(self, unwritten: UnwrittenCounts) -> None:
        """Counts of messages that were counted here and waiting to be written."""
        seen = self.seen
        fresh = [m for m in unwritten.ids if not seen.has(m)]  # another worker may have too
        self.message_count += len(fresh)
        self.recent_message_ids = str(seen.adding(*fresh))
        if unwritten.last_message_id > self.last_message_id:
            self.last_message_id = unwritten.last_message_id
            self.last_message_digest = unwritten.digest

    def count(self, message: ChatMessage, day: date) -> int | None:
        """Count the message; the points it earns (0 for most), None when it was counted
        before."""
        seen = self.seen
        if seen.has(message.message_id):
            return None  # delivered again
        newest = message.message_id > self.last_message_id
        repeat = newest and message.fingerprint == self.last_message_digest
        self.message_count += 1
        self.recent_message_ids = str(seen.adding(message.message_id))
        if newest:
            self.last_message_id = message.message_id
            self.last_message_digest = message.fingerprint
        rules = message.rules
        if not message.earns or repeat or rules.points <= 0:
            return 0
        if self.message_points_at is not None and (
            (message.sent_at - self.message_points_at).total_seconds() < rules.cooldown
        ):
            return 0
        today = self.message_points_today if self.message_points_day == day else 0
        points = min(rules.points, rules.daily_cap - today)
        if points <= 0:
            return 0
        self.message_points_at = message.sent_at
        self.message_points_day = day
        self.message_points_today = today + points
        return points

    def wrote_on(self, day: date) -> bool:
        """Mark `day` as one the member wrote on; True when it was not marked yet."""
        last = self.last_active_day
        if last is None or day > last:
            shift = (day - last).days if last is not None else ACTIVE_DAYS
            kept = (self.active_days << shift) & ACTIVE_MASK if shift < ACTIVE_DAYS else 0
            self.active_days, self.last_active_day = kept | 1, day
            return True
        back = (last - day).days  # a message from before midnight, handled after it
        if back >= ACTIVE_DAYS or self.active_days >> back & 1:
            return False
        self.active_days |= 1 << back
        return True


@dataclass(slots=True)
class KnownState:
    """What this process last read or wrote of a member's award state."""

    seen: Seen
    paid_at: datetime | None
    day: date | None
    today: int
    active_day: date | None  # the last day the member wrote on

    def refuses(self, message: ChatMessage, day: date) -> bool:
        """The database would refuse to pay this message too: its values only move forward."""
        rules = message.rules
        if self.paid_at is not None and (
            (message.sent_at - self.paid_at).total_seconds() < rules.cooldown
        ):
            return True
        return self.day == day and self.today >= rules.daily_cap


@dataclass(slots=True)
class UnwrittenCounts:
    """Messages counted but not yet written, for one member."""

    ids: list[int]
    last_message_id: int
    digest: str

    @property
    def count(self) -> int:
        return len(self.ids)

    def add(self, other: UnwrittenCounts) -> None:
        self.ids += [m for m in other.ids if m not in self.ids]
        if other.last_message_id > self.last_message_id:
            self.last_message_id, self.digest = other.last_message_id, other.digest


STATE_COLUMNS = (
    "message_count",
    "last_message_id",
    "last_message_digest",
    "message_points_at",
    "message_points_day",
    "message_points_today",
    "last_active_day",
    "active_days",
    "recent_message_ids",
)
ACTIVE_DAYS = 31  # days `members.active_days` remembers (bit i: i days before the last)
ACTIVE_MASK = (1 << ACTIVE_DAYS) - 1
