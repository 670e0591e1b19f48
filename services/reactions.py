"""Reactions earn: a member whose message gets a reaction from someone else may earn points,
capped a day (`/settings reactions <points> cap=<n>`; off by default).

A `message_reaction` update names the reactor, not the author, so the message tally keeps who
wrote each counted message (`message_authors`) in groups whose reactions earn, for
`KEEP_AUTHORS`; a reaction to an older message, to one sent before reactions earned, or to
one fanbot never counted (a command, a bot's) earns nothing. A reaction costs one look-up by
(group, message), then for a payable one the ledger's key, the day's capped count and the
ledger row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import LedgerEntry, MessageAuthor, ReactionDay
from models.queries import insert_for
from services.chat_settings import BadSetting, update_section
from services.clock import Clock, local_day
from services.points import PointsService

KEEP_AUTHORS = timedelta(days=3)  # reactions come within hours; a message older earns none


@dataclass(frozen=True, slots=True)
class ReactionRules:
    """What a reaction to a member's message pays them, and how many reactions pay a member a
    day (`/settings reactions <points> [cap=<n>]`); 0 points: off."""

    DEFAULT_CAP: ClassVar[int] = 10
    POINTS: ClassVar[tuple[int, int]] = (0, 100)
    CAP: ClassVar[tuple[int, int]] = (1, 1_000)
    points: int = 0  # off by default: a group chooses to pay for reactions
    cap: int = DEFAULT_CAP

    @property
    def earn(self) -> bool:
        return self.points > 0

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> ReactionRules:
        stored = settings.get("reactions") or {}
        return cls(points=int(stored.get("points", 0)), cap=int(stored.get("cap", cls.DEFAULT_CAP)))


async def set_reaction_rules(
    session: AsyncSession, chat_id: int, points: int | None = None, cap: int | None = None
) -> None:
    """Points a reaction pays and the daily cap, each kept unless given; BadSetting names the
    one refused."""
    values = {
        name: value for name, value in (("points", points), ("cap", cap)) if value is not None
    }
    for name, value in values.items():
        low, high = ReactionRules.POINTS if name == "points" else ReactionRules.CAP
        if not low <= value <= high:
            raise BadSetting(name)
    await update_section(session, chat_id, "reactions", values)


@dataclass(frozen=True, slots=True)
class Reaction:
    """A member's first reaction to a message (a change or a removal earns nothing)."""

    chat_id: int
    message_id: int
    reactor_id: int


class Earned(StrEnum):
    PAID = "paid"
    UNKNOWN = "unknown"  # not a message fanbot keeps the author of (or too old)
    OWN = "own"  # reacting to oneself
    ALREADY = "already"  # this reactor's reaction to this message paid before
    CAPPED = "capped"  # the author's reactions paid enough today


def reaction_key(reaction: Reaction) -> str:
    return f"reaction:{reaction.chat_id}:{reaction.message_id}:{reaction.reactor_id}"


class ReactionService:
    def __init__(self, session: AsyncSession, clock: Clock, points: PointsService) -> None:
        self.session = session
        self.clock = clock
        self.points = points

    async def react(self, reaction: Reaction, rules: ReactionRules, timezone: str) -> Earned:
        """Pay the message's author for a reaction: once per reactor and message, never for
        one's own message, at most `rules.cap` reactions a member a local day."""
        now = self.clock.now()
        found = (
            await self.session.execute(
                select(MessageAuthor.user_id, MessageAuthor.sent_at).where(
                    MessageAuthor.chat_id == reaction.chat_id,
                    MessageAuthor.message_id == reaction.message_id,
                )
            )
        ).one_or_none()
        if found is None or found.sent_at < now - KEEP_AUTHORS:
            return Earned.UNKNOWN
        author = found.user_id
        if author == reaction.reactor_id:
            return Earned.OWN
        key = reaction_key(reaction)
        if await self.session.scalar(
            select(LedgerEntry.id).where(LedgerEntry.idempotency_key == key)
        ):
            return Earned.ALREADY  # before the cap: a reaction paid once takes no second place
        async with self.session.begin_nested() as savepoint:
            if not await self._count_under_cap(reaction.chat_id, author, now, rules, timezone):
                return Earned.CAPPED
            balance = await self.points.change(
                reaction.chat_id, author, rules.points, reason="reaction", key=key,
                ref=f"message:{reaction.message_id}", timezone=timezone,
            )  # fmt: skip
            if not balance.applied:  # paid meanwhile (the same update twice at once)
                await savepoint.rollback()
                return Earned.ALREADY
        return Earned.PAID

    async def _count_under_cap(
        self, chat_id: int, author: int, now: datetime, rules: ReactionRules, timezone: str
    ) -> bool:
        """One more paid reaction on the author's local day, if the cap allows (one statement,
        so two workers never both take the last place)."""
        statement = insert_for(self.session, ReactionDay).values(
            chat_id=chat_id, user_id=author, day=local_day(now, timezone), paid=1
        )
        counted = await self.session.scalar(
            statement.on_conflict_do_update(
                index_elements=["chat_id", "user_id", "day"],
                set_={"paid": ReactionDay.paid + 1},
                where=ReactionDay.paid < rules.cap,
            ).returning(ReactionDay.paid)
        )
        return counted is not None


async def forget_old_authors(session_pool: async_sessionmaker[AsyncSession], clock: Clock) -> None:
    """Drop authors of messages too old to earn, and the daily counts of days gone by."""
    now = clock.now()
    async with session_pool() as session, session.begin():
        await session.execute(
            delete(MessageAuthor).where(MessageAuthor.sent_at < now - KEEP_AUTHORS)
        )
        # Two days back: no zone's "today" is older than that.
        await session.execute(
            delete(ReactionDay).where(ReactionDay.day < (now - timedelta(days=2)).date())
        )
