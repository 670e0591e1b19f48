"""The daily cadence: the morning post, the sign-in reminder and the evening digest.

Chats that share a part's time and time zone share one job (most groups keep the defaults, so
09:00 in Asia/Shanghai is one job however many groups there are); at its time the job claims each
chat's `cadence_runs` row and writes its post to the outbox in the same transaction
(`services/cadence.py`); the outbox sender renders and posts it. A run missed while the bot was
down is queued at start-up if it is at most `grace` late (while the bot runs, the jobs fire on
time, so later rebuilds only plan).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta

from aiogram import Bot

from infrastructure.background import Background
from scheduler.core import Jobs
from services.cadence_rules import cadence_chats
from services.posts import Schedule

RUNS_PER_TRANSACTION = 500  # 10,000 groups' mornings in twenty transactions


class CadenceJobs:
    def __init__(
        self,
        background: Background,
        grace_seconds: float,
        queued: Callable[[], None] = lambda: None,
    ) -> None:
        """`queued`: called once posts are committed to the outbox (it wakes the sender)."""
        self.background = background
        self.queued = queued
        self.grace = timedelta(seconds=grace_seconds)
        self._started = False  # runs missed while down are caught up once, at start-up

    async def plan(self, bot: Bot, jobs: Jobs, now: datetime) -> None:
        async with self.background.session_pool() as session:
            chats = await cadence_chats(session, self.background.default_timezone)
        slots: dict[tuple[str, str, str], list[int]] = defaultdict(list)
        for chat_id, timezone, cadence in chats:
            for part, at in cadence.parts():
                slots[part, at, timezone].append(chat_id)
        catch_up, self._started = not self._started, True
        for (part, at, timezone), chat_ids in slots.items():
            schedule = Schedule(f"daily {at}")
            missed = schedule.last_between(now - self.grace, now, timezone) if catch_up else None
            if missed is not None:
                await self.fire(bot, part, chat_ids, missed)
            next_run = schedule.next_after(now, timezone)
            if next_run is not None:
                jobs.at(
                    f"cadence:{part}:{at}:{timezone}", next_run, self.fire_slot, bot, part, at,
                    timezone, next_run, grace=self.grace,
                )  # fmt: skip

    async def fire_slot(
        self, bot: Bot, part: str, at: str, timezone: str, fire_time: datetime
    ) -> None:
        """The job: the chats that have `part` at `at` in `timezone` now (not when planned)."""
        async with self.background.session_pool() as session:
            chats = await cadence_chats(session, self.background.default_timezone)
        chat_ids = [
            chat_id
            for chat_id, zone, cadence in chats
            if zone == timezone and getattr(cadence, part) == at
        ]
        await self.fire(bot, part, chat_ids, fire_time)

    async def fire(self, bot: Bot, part: str, chat_ids: list[int], fire_time: datetime) -> None:
        """Claim each chat's run and queue its post in the outbox, in one transaction; the
        sender renders each with that moment's figures and posts it."""
        for start in range(0, len(chat_ids), RUNS_PER_TRANSACTION):
            async with self.background.session_pool() as session, session.begin():
                cadence = self.background.services.cadence(session)
                chunk = chat_ids[start : start + RUNS_PER_TRANSACTION]
                await cadence.queue(part, chunk, fire_time, self.grace)
            self.queued()
