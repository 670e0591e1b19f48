"""Message points: every member message is counted, and some of them earn points.

Messages are written in shared transactions (group commit): each handler waits until the batch
holding its message is committed, so an acknowledged update never loses its points, yet a busy
group costs a few statements per batch instead of a transaction per message.

What a member has earned is decided from their row, under its lock, in message order, so a
redelivered message (its id is not newer than the last one counted), 50 messages in one cooldown,
or two workers sharing a member all pay exactly what one careful writer would.
"""

from __future__ import annotations

import asyncio
import hashlib
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import Member
from services.chats import MessageRules
from services.clock import Clock
from services.members import Sighting, record_sightings
from services.points import Award, PointsService
from services.tiers import LadderCache, Tier

MIN_VISIBLE = 3
INVISIBLE = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp", "Mn"})


def visible_length(text: str) -> int:
    """Characters a reader sees: no spaces, zero-width or control characters."""
    return sum(1 for char in text if unicodedata.category(char) not in INVISIBLE)


def fingerprint(text: str, media_id: str | None) -> str:
    """Equal for the same media, or the same words up to case and spacing."""
    words = " ".join(text.casefold().split())
    return hashlib.blake2b(f"{media_id or ''}\x00{words}".encode(), digest_size=8).hexdigest()


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


@dataclass(frozen=True, slots=True)
class Counted:
    points: int = 0
    promoted_to: Tier | None = None


@dataclass(slots=True)
class _State:
    """The member's counting columns, as read under lock and changed in message order."""

    message_count: int
    last_message_id: int
    last_message_digest: str | None
    message_points_at: datetime | None
    message_points_day: date | None
    message_points_today: int

    def count(self, message: ChatMessage, day: date) -> int:
        """Count the message; the points it earns (0 for most)."""
        if message.message_id <= self.last_message_id:
            return 0  # delivered again, or older than what was counted
        repeat = message.fingerprint == self.last_message_digest
        self.message_count += 1
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


STATE_COLUMNS = (
    "message_count",
    "last_message_id",
    "last_message_digest",
    "message_points_at",
    "message_points_day",
    "message_points_today",
)


class MessageTally:
    """Counts messages in batches; `record` returns once its message is committed."""

    def __init__(
        self,
        session_pool: async_sessionmaker[AsyncSession],
        clock: Clock,
        ladders: LadderCache | None = None,
        max_batch: int = 500,
    ) -> None:
        self.session_pool = session_pool
        self.clock = clock
        self.ladders = ladders
        self.max_batch = max_batch
        self._queue: list[tuple[ChatMessage, asyncio.Future[Counted]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def record(self, message: ChatMessage) -> Counted:
        future: asyncio.Future[Counted] = asyncio.get_running_loop().create_future()
        self._queue.append((message, future))
        if self._writer is None:
            self._writer = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._queue:
                await asyncio.sleep(0)  # let the updates handled alongside join this batch
                batch = self._queue[: self.max_batch]
                del self._queue[: self.max_batch]
                try:
                    results = await self._write([message for message, _ in batch])
                except Exception as error:  # noqa: BLE001 - each waiting update gets the error
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(error)
                    continue
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            self._writer = None

    async def _write(self, messages: list[ChatMessage]) -> list[Counted]:
        async with self.session_pool() as session, session.begin():
            states = await self._lock_members(session, messages)
            awards: list[Award] = []
            earned: list[int] = []
            for message in messages:
                day = message.sent_at.astimezone(ZoneInfo(message.timezone)).date()
                points = states[message.chat_id, message.user_id].count(message, day)
                earned.append(points)
                if points:
                    key = f"msg:{message.chat_id}:{message.message_id}"
                    awards.append(Award(message.chat_id, message.user_id, points, "message", key))
            await session.execute(
                update(Member)
                .where(Member.chat_id == bindparam("chat"), Member.user_id == bindparam("member"))
                .values({name: bindparam(name) for name in STATE_COLUMNS})
                .execution_options(dml_strategy="core_only"),
                [
                    {"chat": chat_id, "member": user_id}
                    | {name: getattr(state, name) for name in STATE_COLUMNS}
                    for (chat_id, user_id), state in states.items()
                ],
            )
            timezones = {message.chat_id: message.timezone for message in messages}
            points_service = PointsService(session, self.clock, ladders=self.ladders)
            paid = await points_service.award_many(awards, timezones, members_exist=True)
        promoted = {(p.chat_id, p.user_id): p.tier for p in paid.promotions}
        results = []
        for message, points in zip(messages, earned, strict=True):
            tier = promoted.pop((message.chat_id, message.user_id), None) if points else None
            results.append(Counted(points, tier))
        return results

    async def _lock_members(
        self, session: AsyncSession, messages: list[ChatMessage]
    ) -> dict[tuple[int, int], _State]:
        """Each member's counting state, locked (in key order, so two workers never deadlock)."""
        firsts = {(m.chat_id, m.user_id): m for m in reversed(messages)}
        states = await self._select_for_update(session, sorted(firsts))
        missing = [pair for pair in sorted(firsts) if pair not in states]
        if missing:  # seen before by a cache that outlived the row (a group's move, a restore)
            await record_sightings(
                session,
                [
                    Sighting(m.chat_id, m.user_id, m.username, m.display_name, m.sent_at)
                    for m in (firsts[pair] for pair in missing)
                ],
            )
            # Read again: another worker may have created and counted the row meanwhile.
            states |= await self._select_for_update(session, missing)
        return states

    async def _select_for_update(
        self, session: AsyncSession, pairs: list[tuple[int, int]]
    ) -> dict[tuple[int, int], _State]:
        columns = [getattr(Member, name) for name in STATE_COLUMNS]
        query = (
            select(Member.chat_id, Member.user_id, *columns)
            .where(tuple_(Member.chat_id, Member.user_id).in_(pairs))
            .order_by(Member.chat_id, Member.user_id)
            .with_for_update()
        )
        return {(row[0], row[1]): _State(*row[2:]) for row in await session.execute(query)}
