"""Message points, written in shared transactions (`GroupCommit`): each handler waits until the
batch holding its message is committed, so an acknowledged update never loses its points, yet a
busy group costs a few statements per batch instead of a transaction per message. What each
message counts and earns is decided in `services/messages.py`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, OrderedDict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import Any

from sqlalchemy import bindparam, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import Member, MessageAuthor
from models.queries import insert_for
from services.batching import GroupCommit
from services.clock import Clock
from services.daystats import DayCounts
from services.members import Sighting, record_sightings
from services.messages import (
    STATE_COLUMNS,
    ChatMessage,
    Counted,
    CountingState,
    KnownState,
    UnwrittenCounts,
)
from services.points import Award, PointsService

logger = logging.getLogger(__name__)
MAX_KNOWN = 200_000  # members whose award state this process remembers


@dataclass(slots=True)
class _Tallies:
    """What messages add to the day's roll-up and to the members they answer, not yet written."""

    days: DayCounts = field(default_factory=DayCounts)
    received: Counter[tuple[int, int]] = field(default_factory=Counter)
    authors: list[dict[str, Any]] = field(default_factory=list)  # `message_authors` rows

    def counted(self, message: ChatMessage, day: date) -> None:
        self.days.add(message.chat_id, day, messages=1)
        if message.replied_to is not None:
            self.received[message.chat_id, message.replied_to] += 1
        if message.keeps_author:
            self.authors.append(
                {"chat_id": message.chat_id, "message_id": message.message_id,
                 "user_id": message.user_id, "sent_at": message.sent_at}
            )  # fmt: skip

    def merge(self, other: _Tallies) -> None:
        self.days.merge(other.days)
        self.received.update(other.received)
        self.authors += other.authors

    async def write_authors(self, session: AsyncSession) -> None:
        """With the batch's counts: who wrote what, for the reactions it may get."""
        if self.authors:
            await session.execute(
                insert_for(session, MessageAuthor).on_conflict_do_nothing(
                    index_elements=["chat_id", "message_id"]
                ),
                self.authors,
            )

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
        ledger: Callable[[AsyncSession], PointsService] | None = None,
        max_batch: int = 500,
        flush_after: float = 1.0,
    ) -> None:
        self.session_pool = session_pool
        self.clock = clock
        self.ledger = ledger or partial(PointsService, clock=clock)  # the factory's promotes
        self.flush_after = flush_after
        self._batches = GroupCommit(self._write, max_batch)
        self._known: OrderedDict[tuple[int, int], KnownState] = OrderedDict()
        self._unwritten: dict[tuple[int, int], UnwrittenCounts] = {}
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
                written = _Tallies(days=tallies.days, authors=tallies.authors)
                await self._write_batch([], unwritten, written)
                unwritten, tallies.days, tallies.authors = {}, DayCounts(), []  # written
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

    def _keep(self, unwritten: dict[tuple[int, int], UnwrittenCounts], tallies: _Tallies) -> None:
        """Counts whose write failed wait for the next one, merged with those counted since."""
        self._tallies.merge(tallies)
        for member, waiting in unwritten.items():
            newer = self._unwritten.get(member)
            if newer is not None:
                waiting.add(newer)
            self._unwritten[member] = waiting

    def _may_earn(self, message: ChatMessage, day: date, known: KnownState) -> bool:
        if not message.earns or message.rules.points <= 0:
            return False
        return not known.refuses(message, day)

    def _count_later(
        self, key: tuple[int, int], message: ChatMessage, day: date, known: KnownState
    ) -> None:
        unwritten = self._unwritten.get(key)
        if unwritten is None:
            self._unwritten[key] = UnwrittenCounts(
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
        unwritten: dict[tuple[int, int], UnwrittenCounts],
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
            caps = await self._lock_program_caps(session, messages, states)
            for message in messages:
                day = message.day
                state = states[message.chat_id, message.user_id]
                account = (message.program_id or 0, message.user_id)
                # The day's cap is the program's, whichever group: kept on the account's row,
                # which this batch may hold itself (a message in the founding group).
                holder = states.get(account)
                cap = (
                    (holder.message_points_day, holder.message_points_today)
                    if holder is not None
                    else caps.get(account)
                )
                if cap is not None:
                    state.message_points_day, state.message_points_today = cap
                points = state.count(message, day)
                if holder is not None:
                    holder.message_points_day = state.message_points_day
                    holder.message_points_today = state.message_points_today
                elif cap is not None:
                    caps[account] = (state.message_points_day, state.message_points_today)
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
            if caps:
                await session.execute(
                    update(Member)
                    .where(
                        Member.chat_id == bindparam("chat"), Member.user_id == bindparam("member")
                    )
                    .values(
                        message_points_day=bindparam("day"), message_points_today=bindparam("today")
                    )
                    .execution_options(dml_strategy="core_only"),
                    [
                        {"chat": chat, "member": user, "day": day, "today": today}
                        for (chat, user), (day, today) in caps.items()
                    ],
                )
            ledger = self.ledger(session)
            paid = await ledger.award_many(awards, timezones, members_exist=True)
            # A promotion is the program's: a group in another's names it by that one's id.
            programs = await ledger.programs.of(session, timezones) if paid.promotions else {}
            await tallies.write_authors(session)
            tallies.days.add_to(session)  # with the points issued: one upsert as it commits
        if tallies.received:  # written with the next flush, in a transaction of their own
            self._tallies.received.update(tallies.received)
            self._flush_soon()
        for member, state in states.items():
            self._remember(member, state)
        promoted = {(p.chat_id, p.user_id): p.tier for p in paid.promotions}
        results = []
        for message, points in zip(messages, earned, strict=True):
            account = (programs.get(message.chat_id, message.chat_id), message.user_id)
            tier = promoted.pop(account, None) if points else None
            results.append(Counted(points, tier))
        return results

    def _remember(self, key: tuple[int, int], state: CountingState) -> None:
        self._known[key] = KnownState(
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
    ) -> dict[tuple[int, int], CountingState]:
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

    async def _lock_program_caps(
        self,
        session: AsyncSession,
        messages: list[ChatMessage],
        held: Collection[tuple[int, int]],
    ) -> dict[tuple[int, int], tuple[date | None, int]]:
        """The day's message points of the accounts of members writing in a group that joined
        another's program, locked after the groups' rows (in key order): their cap is the
        program's. An account not made yet (made with the member's first sighting) has none."""
        pairs = sorted(
            {(m.program_id, m.user_id) for m in messages if m.program_id is not None} - set(held)
        )  # the accounts the batch holds already count in their own rows
        if not pairs:
            return {}
        rows = await session.execute(
            select(
                Member.chat_id, Member.user_id, Member.message_points_day,
                Member.message_points_today,
            )
            .where(tuple_(Member.chat_id, Member.user_id).in_(pairs))
            .order_by(Member.chat_id, Member.user_id)
            .with_for_update()
        )  # fmt: skip
        return {(chat, user): (day, today) for chat, user, day, today in rows}

    async def _select_for_update(
        self, session: AsyncSession, pairs: list[tuple[int, int]]
    ) -> dict[tuple[int, int], CountingState]:
        columns = [getattr(Member, name) for name in STATE_COLUMNS]
        query = (
            select(Member.chat_id, Member.user_id, *columns)
            .where(tuple_(Member.chat_id, Member.user_id).in_(pairs))
            .order_by(Member.chat_id, Member.user_id)
            .with_for_update()
        )
        return {(row[0], row[1]): CountingState(*row[2:]) for row in await session.execute(query)}
