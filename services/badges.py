"""Badges (徽章): milestones a member reaches and an admin's grants (`/badge give`), the
program's. Shown in `/me` and the Mini App; a draw's `badge=` requirement and a push's
`badge:<name>` segment pick their holders.

Milestones are found by the missions' background look (`services/quest_sweep.py`) among the
members whose ledger moved, and by the season's close (its top 10), never on the message path.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Select, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Badge, LedgerEntry, Member, Topic
from models.queries import insert_for
from services.clock import Clock

MAX_BADGE = 14  # characters: a draw keeps its requirement as `badge:<name>` in 20
# Milestone badges, by key (their names are the views', in the reader's language).
FIRST_BUY, STREAK_30, TOPIC_TOP3, SHOWCASE, REFERRALS_100, SEASON_TOP10 = (
    "first_buy", "streak30", "topic_top3", "showcase", "referrals100", "season_top10",
)  # fmt: skip
MILESTONES = (FIRST_BUY, STREAK_30, TOPIC_TOP3, SHOWCASE, REFERRALS_100, SEASON_TOP10)
DRAW_PREFIX = "badge:"  # a draw's requirement (its `label` column) naming a badge
# What people call the milestones, by language: the views show them, and an admin may type any
# of them (or the key) wherever a badge is typed (`resolve_badge`).
MILESTONE_LABELS = {
    FIRST_BUY: {"en": "First purchase", "zh": "首次购物"},
    STREAK_30: {"en": "30-day streak", "zh": "连签 30 天"},
    TOPIC_TOP3: {"en": "Topic top 3", "zh": "话题前三"},
    SHOWCASE: {"en": "晒单 winner", "zh": "晒单之星"},
    REFERRALS_100: {"en": "100 referrals", "zh": "邀请 100 人"},
    SEASON_TOP10: {"en": "Season top 10", "zh": "赛季前十"},
}


class BadgeError(ValueError):
    """A word that cannot be a badge's name: "empty" or "long"."""


def badge_name(word: str) -> str:
    """A badge as stored: trimmed, without a leading #, Latin letters in lower case."""
    name = unicodedata.normalize("NFKC", word).strip().lstrip("#").strip().lower()
    if not name or not all(char.isprintable() and not char.isspace() for char in name):
        raise BadgeError("empty")
    if len(name) > MAX_BADGE:
        raise BadgeError("long")
    return name


def milestone_label(badge: str, language: str) -> str:
    """A milestone's name in `language` (zh or en, by its first two letters)."""
    labels = MILESTONE_LABELS[badge]
    return labels["zh"] if language.startswith("zh") else labels["en"]


def shown_badge(badge: str, language: str) -> str:
    """A badge as a service writes it for people (a member's tag): a milestone's label, else
    the badge as given."""
    return milestone_label(badge, language) if badge in MILESTONES else badge


def _folded(word: str) -> str:
    """A name as compared with the milestones': NFKC, lower case, without #, spaces, _ or -."""
    name = unicodedata.normalize("NFKC", word).strip().lstrip("#").lower()
    return "".join(char for char in name if not char.isspace() and char not in "_-")


_MILESTONE_OF = {
    _folded(name): key
    for key, labels in MILESTONE_LABELS.items()
    for name in (key, *labels.values())
}


def resolve_badge(word: str) -> str:
    """The badge an admin typed, as stored: a milestone's key for its key or its English or
    Chinese label (case, width, spaces, `_` and `-` aside: `首次购物`, `First purchase`,
    `FIRST_BUY` all mean `first_buy`), otherwise the word as `badge_name` keeps it (BadgeError
    if it cannot be one). A milestone wins over a given badge of the same name."""
    return _MILESTONE_OF.get(_folded(word)) or badge_name(word)


def resolved_or_none(word: str) -> str | None:
    """`resolve_badge`, or None for a word that cannot name a badge."""
    try:
        return resolve_badge(word)
    except BadgeError:
        return None


def badge_name_ok(word: str) -> bool:
    try:
        badge_name(word)
    except BadgeError:
        return False
    return True


def holding(program_id: int, badge: str) -> Select[Any]:
    """The members holding `badge` in the program, as a query of user ids."""
    return select(Badge.user_id).where(Badge.program_id == program_id, Badge.badge == badge)


class BadgeService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def give(
        self, program_id: int, user_id: int, badge: str, given_by: int | None,
        source: str = "admin",
    ) -> bool:  # fmt: skip
        """True when the member did not hold it before."""
        written = await self.session.scalar(
            insert_for(self.session, Badge)
            .values(program_id=program_id, user_id=user_id, badge=badge, source=source,
                    given_by=given_by, given_at=self.clock.now())
            .on_conflict_do_nothing(index_elements=["program_id", "user_id", "badge"])
            .returning(Badge.badge)
        )  # fmt: skip
        return written is not None

    async def take(self, program_id: int, user_id: int, badge: str) -> bool:
        """True when the member held it (an admin's explicit command: the one deletion)."""
        gone = await self.session.execute(
            delete(Badge)
            .where(Badge.program_id == program_id, Badge.user_id == user_id)
            .where(Badge.badge == badge)
            .returning(Badge.badge)
        )
        return gone.first() is not None

    async def take_typed(self, program_id: int, user_id: int, word: str) -> tuple[str, bool]:
        """`/badge take`'s name: the badge it resolves to, or a badge given under a milestone's
        label before labels were read as milestones (kept as typed), if the member holds that
        and not the milestone. The badge named, and whether it was held (BadgeError as
        `resolve_badge`)."""
        badge = resolve_badge(word)
        if await self.take(program_id, user_id, badge):
            return badge, True
        literal = badge_name(word)
        if literal != badge and await self.take(program_id, user_id, literal):
            return literal, True
        return badge, False

    async def of_member(self, program_id: int, user_id: int) -> list[str]:
        """The member's badges, oldest first."""
        found = await self.session.scalars(
            select(Badge.badge)
            .where(Badge.program_id == program_id, Badge.user_id == user_id)
            .order_by(Badge.given_at, Badge.badge)
        )
        return list(found)

    async def exists(self, program_id: int, badge: str) -> bool:
        return await self.session.scalar(holding(program_id, badge).limit(1)) is not None

    async def holders(self, program_id: int, badge: str, users: Iterable[int]) -> set[int]:
        found = await self.session.scalars(holding(program_id, badge).where(
            Badge.user_id.in_(sorted(set(users)))))  # fmt: skip
        return set(found)

    async def counts(self, program_id: int) -> list[tuple[str, int]]:
        rows = await self.session.execute(
            select(Badge.badge, func.count())
            .where(Badge.program_id == program_id)
            .group_by(Badge.badge)
            .order_by(func.count().desc(), Badge.badge)
        )
        return [(badge, count) for badge, count in rows]

    async def milestones(self, program_id: int, users: Sequence[int]) -> list[tuple[int, str]]:
        """Give the milestone badges the members reached and did not hold; (member, badge)."""
        if not users:
            return []
        reached: set[tuple[int, str]] = set()
        ledger = await self.session.execute(
            select(LedgerEntry.user_id, LedgerEntry.reason, func.count())
            .where(LedgerEntry.chat_id == program_id, LedgerEntry.user_id.in_(users))
            .where(LedgerEntry.reason.in_(("purchase", "referral")), LedgerEntry.delta > 0)
            .group_by(LedgerEntry.user_id, LedgerEntry.reason)
        )
        for user_id, reason, count in ledger:
            if reason == "purchase":
                reached.add((user_id, FIRST_BUY))
            elif count >= 100:
                reached.add((user_id, REFERRALS_100))
        streaks = await self.session.scalars(
            select(Member.user_id).where(
                Member.chat_id == program_id, Member.user_id.in_(users), Member.best_streak >= 30
            )
        )
        reached.update((user_id, STREAK_30) for user_id in streaks)
        bonuses = await self.session.execute(
            select(LedgerEntry.user_id, LedgerEntry.ref)
            .where(LedgerEntry.chat_id == program_id, LedgerEntry.user_id.in_(users))
            .where(
                LedgerEntry.reason == "topic", LedgerEntry.idempotency_key.like("topic:%:bonus:%")
            )
        )  # a topic's top 3 are paid its bonuses
        tops = {(user_id, int(ref[6:])) for user_id, ref in bonuses if ref and ref[6:].isdigit()}
        if tops:
            ids = sorted({topic_id for _user, topic_id in tops})
            shows = set(await self.session.scalars(
                select(Topic.id).where(Topic.id.in_(ids), Topic.kind == "show")))  # fmt: skip
            for user_id, topic_id in tops:
                reached.add((user_id, SHOWCASE if topic_id in shows else TOPIC_TOP3))
        given = []
        for user_id, badge in sorted(reached):
            if await self.give(program_id, user_id, badge, None, source="milestone"):
                given.append((user_id, badge))
        return given
