"""Message points: every member message is counted, and some of them earn points.

Messages are written in shared transactions (`GroupCommit`): each handler waits until the batch
holding its message is committed, so an acknowledged update never loses its points, yet a busy
group costs a few statements per batch instead of a transaction per message.

What a member has earned is decided from their row, under its lock, so a redelivered message
(its id is among the member's recent counted ones, `Seen`), 50 messages in one cooldown, two
workers sharing a member, or a member's messages handled out of order (webhooks arrive over
many connections at once) all count and pay exactly what one careful writer would.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import unicodedata
from collections import Counter, OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import Member
from services.batching import GroupCommit
from services.chats import MessageRules
from services.clock import Clock
from services.daystats import DayCounts
from services.members import Sighting, record_sightings
from services.points import Award, PointsService
from services.tiers import LadderCache, Tier

logger = logging.getLogger(__name__)
MIN_VISIBLE = 3
MAX_KNOWN = 200_000  # members whose award state this process remembers
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

    @property
    def day(self) -> date:
        return self.sent_at.astimezone(ZoneInfo(self.timezone)).date()


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
    last_active_day: date | None
    active_days: int
    recent_message_ids: str | None

    @property
    def seen(self) -> Seen:
        return Seen.parse(self.recent_message_ids, self.last_message_id)

    def add(self, unwritten: _Unwritten) -> None:
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
class _Known:
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
class _Unwritten:
    """Messages counted but not yet written, for one member."""

    ids: list[int]
    last_message_id: int
    digest: str

    @property
    def count(self) -> int:
        return len(self.ids)

    def add(self, other: _Unwritten) -> None:
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


@dataclass(slots=True)
class _Tallies:
    """What messages add to the day's roll-up and to the members they answer, not yet written."""

    days: DayCounts = field(default_factory=DayCounts)
    received: Counter[tuple[int, int]] = field(default_factory=Counter)

    def counted(self, message: ChatMessage, day: date) -> None:
        self.days.add(message.chat_id, day, messages=1)
        if message.replied_to is not None:
            self.received[message.chat_id, message.replied_to] += 1

    def merge(self, other: _Tallies) -> None:
        self.days.merge(other.days)
        self.received.update(other.received)

    async def write_received(self, session: AsyncSession) -> None:
        """In a transaction of its own: these rows are not the batch's, and taking them after
        the batch's own locks could deadlock with another worker doing the reverse."""
        if self.received:
            await session.execute(
                update(Member)
                .where(Member.chat_id == bindparam("chat"), Member.user_id == bindparam("member"))
                .values(replies_received=Member.replies_received + bindparam("count"))
                .execution_options(dml_strategy="core_only"),
                [
                    {"chat": chat_id, "member": user_id, "count": count}
                    for (chat_id, user_id), count in sorted(self.received.items())
                ],
            )


class MessageTally:
    """Counts messages; `record` returns once what its message earned is committed.

    A message that cannot earn is only counted, and its count written within `flush_after`
    seconds with others (or with the next batch that pays): it is too short, points are off,
    or this process already knows the member is inside the cooldown or at the daily cap. That
    knowledge comes from the database and the database's values only move forward, so a
    refusal decided from it is the one the database would give. Every other message waits for
    its batch's transaction. A crash can lose the last second's counts, never a point.
    """

    def __init__(
        self,
        session_pool: async_sessionmaker[AsyncSession],
        clock: Clock,
        ladders: LadderCache | None = None,
        max_batch: int = 500,
        flush_after: float = 1.0,
    ) -> None:
        self.session_pool = session_pool
        self.clock = clock
        self.ladders = ladders
        self.flush_after = flush_after
        self._batches = GroupCommit(self._write, max_batch)
        self._known: OrderedDict[tuple[int, int], _Known] = OrderedDict()
        self._unwritten: dict[tuple[int, int], _Unwritten] = {}
        self._tallies = _Tallies()
        self._flush_timer: asyncio.TimerHandle | None = None
        self._flushes: set[asyncio.Task[None]] = set()

    async def record(self, message: ChatMessage) -> Counted:
        key = (message.chat_id, message.user_id)
        known = self._known.get(key)
        if known is not None and known.seen.has(message.message_id):
            return Counted()  # delivered again
        day = message.day
        # A member's first message of the day is written under their row's lock: it decides
        # once, across workers, that they were active that day.
        if (
            known is not None
            and known.active_day == day
            and not self._may_earn(message, day, known)
        ):
            self._count_later(key, message, day, known)
            return Counted()
        return await self._batches.submit(message)

    async def flush(self) -> None:
        """Write the counts still waiting (the bot is stopping, or a test looks)."""
        if self._flush_timer is not None:
            self._flush_timer.cancel()
            self._flush_timer = None
        unwritten, self._unwritten = self._unwritten, {}
        tallies, self._tallies = self._tallies, _Tallies()
        try:
            if unwritten or tallies.days:
                # The batch's path with no message: the rows locked, the counts added.
                await self._write_batch([], unwritten, _Tallies(days=tallies.days))
                unwritten, tallies.days = {}, DayCounts()  # written: a later failure keeps the rest
            if tallies.received:
                async with self.session_pool() as session, session.begin():
                    await tallies.write_received(session)
        except BaseException:
            self._keep(unwritten, tallies)
            raise

    def unwritten_count(self, chat_id: int, user_id: int) -> int:
        """Messages of the member counted here but not written yet (for /me)."""
        waiting = self._unwritten.get((chat_id, user_id))
        return waiting.count if waiting is not None else 0

    def _keep(self, unwritten: dict[tuple[int, int], _Unwritten], tallies: _Tallies) -> None:
        """Counts whose write failed wait for the next one, merged with those counted since."""
        self._tallies.merge(tallies)
        for member, waiting in unwritten.items():
            newer = self._unwritten.get(member)
            if newer is not None:
                waiting.add(newer)
            self._unwritten[member] = waiting

    def _may_earn(self, message: ChatMessage, day: date, known: _Known) -> bool:
        if not message.earns or message.rules.points <= 0:
            return False
        return not known.refuses(message, day)

    def _count_later(
        self, key: tuple[int, int], message: ChatMessage, day: date, known: _Known
    ) -> None:
        unwritten = self._unwritten.get(key)
        if unwritten is None:
            self._unwritten[key] = _Unwritten(
                [message.message_id], message.message_id, message.fingerprint
            )
        else:
            unwritten.ids.append(message.message_id)  # `known` refused one delivered again
            if message.message_id > unwritten.last_message_id:
                unwritten.last_message_id = message.message_id
                unwritten.digest = message.fingerprint
        self._tallies.counted(message, day)
        known.seen = known.seen.adding(message.message_id)
        self._flush_soon()

    def _flush_soon(self) -> None:
        if self._flush_timer is None:
            self._flush_timer = asyncio.get_running_loop().call_later(
                self.flush_after, self._flush_in_background
            )

    def _flush_in_background(self) -> None:
        self._flush_timer = None
        task = asyncio.create_task(self.flush())
        self._flushes.add(task)
        task.add_done_callback(self._flushed)

    def _flushed(self, task: asyncio.Task[None]) -> None:
        self._flushes.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("message counts were not written", exc_info=task.exception())

    async def _write(self, messages: list[ChatMessage]) -> list[Counted]:
        unwritten, self._unwritten = self._unwritten, {}
        tallies, self._tallies = self._tallies, _Tallies()
        try:
            return await self._write_batch(messages, unwritten, tallies)
        except BaseException:
            self._keep(unwritten, tallies)
            raise

    async def _write_batch(
        self,
        messages: list[ChatMessage],
        unwritten: dict[tuple[int, int], _Unwritten],
        tallied: _Tallies,
    ) -> list[Counted]:
        async with self.session_pool() as session, session.begin():
            # The counts still waiting join their members' rows, locked with the batch's: in
            # any order, since each row knows which of its messages it counted (`Seen`).
            states = await self._lock_members(session, messages, unwritten.keys())
            for member, waiting in unwritten.items():
                state = states.get(member)
                if state is not None:  # else the row went (a group's move): nothing to add to
                    state.add(waiting)
            awards: list[Award] = []
            earned: list[int] = []
            tallies = _Tallies()
            tallies.merge(tallied)  # a copy: a failed write puts `tallied` back whole
            for message in messages:
                day = message.day
                state = states[message.chat_id, message.user_id]
                points = state.count(message, day)
                if points is None:
                    earned.append(0)
                    continue
                tallies.counted(message, day)
                if state.wrote_on(day):
                    tallies.days.add(message.chat_id, day, active_members=1)
                earned.append(points)
                if points:
                    key = f"msg:{message.chat_id}:{message.message_id}"
                    awards.append(Award(message.chat_id, message.user_id, points, "message", key))
            if states:
                await session.execute(
                    update(Member)
                    .where(
                        Member.chat_id == bindparam("chat"), Member.user_id == bindparam("member")
                    )
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
            tallies.days.add_to(session)  # with the points issued: one upsert as it commits
        if tallies.received:  # written with the next flush, in a transaction of their own
            self._tallies.received.update(tallies.received)
            self._flush_soon()
        for member, state in states.items():
            self._remember(member, state)
        promoted = {(p.chat_id, p.user_id): p.tier for p in paid.promotions}
        results = []
        for message, points in zip(messages, earned, strict=True):
            tier = promoted.pop((message.chat_id, message.user_id), None) if points else None
            results.append(Counted(points, tier))
        return results

    def _remember(self, key: tuple[int, int], state: _State) -> None:
        self._known[key] = _Known(
            state.seen, state.message_points_at, state.message_points_day,
            state.message_points_today, state.last_active_day,
        )  # fmt: skip
        self._known.move_to_end(key)
        if len(self._known) > MAX_KNOWN:
            self._known.popitem(last=False)

    async def _lock_members(
        self,
        session: AsyncSession,
        messages: list[ChatMessage],
        waiting: Iterable[tuple[int, int]] = (),
    ) -> dict[tuple[int, int], _State]:
        """The counting state of the messages' members and of those with counts waiting,
        locked (in key order, so two workers never deadlock)."""
        firsts = {(m.chat_id, m.user_id): m for m in reversed(messages)}
        states = await self._select_for_update(session, sorted({*firsts, *waiting}))
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
