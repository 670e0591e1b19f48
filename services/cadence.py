"""The daily cadence's runs: each chat's morning post, reminder and digest claimed once per day
and written to the outbox in the same transaction (the sender renders them when it sends, with
that moment's figures)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from models import CadenceRun
from models.queries import insert_for
from services.cadence_messages import CadencePost
from services.chats import ChatService
from services.clock import Clock
from services.outbox import OutboxRow, OutboxService
from services.points import PointsService
from services.posts import RunStatus
from services.topics import TopicService


class CadenceService:
    def __init__(self, session: AsyncSession, clock: Clock, default_timezone: str) -> None:
        self.session = session
        self.clock = clock
        self.default_timezone = default_timezone

    async def queue(
        self, part: str, chat_ids: Sequence[int], fire_time: datetime, grace: timedelta
    ) -> int:
        """Claim each chat's run of `part` and write its post to the outbox; runs claimed
        before (a second scheduler, a restart) are left out. A morning with `daily_topic` on
        names the queued topic it opens, so a post sent again opens nothing twice."""
        if not chat_ids:
            return 0
        taken = await self.session.scalars(
            insert_for(self.session, CadenceRun)
            .on_conflict_do_nothing(index_elements=["chat_id", "part", "fire_time"])
            .returning(CadenceRun.chat_id),
            [
                {"chat_id": chat_id, "part": part, "fire_time": fire_time,
                 "status": RunStatus.CLAIMED}
                for chat_id in chat_ids
            ],
        )  # fmt: skip
        rows = []
        for chat_id in sorted(set(taken)):
            topic_id = await self._daily_topic(chat_id) if part == "morning" else None
            rows.append(
                OutboxRow(
                    chat_id,
                    CadencePost(part=part, fire_time=fire_time, topic_id=topic_id),
                    f"cadence:{chat_id}:{part}:{fire_time.isoformat()}",
                    expires_at=fire_time + grace,
                )
            )
        await OutboxService(self.session, self.clock).add_many(rows)
        return len(rows)

    async def finish(self, chat_id: int, part: str, fire_time: datetime, status: str) -> None:
        await self.session.execute(
            update(CadenceRun)
            .where(CadenceRun.chat_id == chat_id, CadenceRun.part == part)
            .where(CadenceRun.fire_time == fire_time)
            .values(status=status)
        )

    async def _daily_topic(self, chat_id: int) -> int | None:
        chats = ChatService(self.session, self.clock, self.default_timezone)
        profile = await chats.profile(chat_id)
        if profile is None or not profile.topic_rules.daily:
            return None
        points = PointsService(self.session, self.clock)
        queued = await TopicService(self.session, self.clock, points).next_queued(chat_id)
        return queued.id if queued else None
