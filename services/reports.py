"""Reports (`/report`, or a reply naming @admin): a member's message told to the group's admins
privately, once per message; each member's later report of it only adds to its count, and a
member may report a few messages an hour. The admins' copies are outbox rows written in the
report's transaction, so a redelivered report or a crash tells no one twice."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Chat, Report, ReportVote
from models.queries import insert_for
from services.clock import Clock
from services.outbox import OutboxRow, OutboxService
from services.report_messages import ReportNotice

REPORTS_AN_HOUR = 5  # per member and group: enough for a raid, too few to harass the admins
EXCERPT = 200  # characters of the reported message the admins are shown
SETTLED = ("handled", "deleted", "muted", "banned")


class Reported(Enum):
    NEW = "new"  # the admins are told
    ADDED = "added"  # reported before by others: counted, nobody told again
    AGAIN = "again"  # this member reported it before (or the update came twice)
    THROTTLED = "throttled"  # too many reports this hour


@dataclass(frozen=True, slots=True)
class ReportOutcome:
    outcome: Reported
    reporters: int = 0
    told: int = 0  # admins whose private chat gets it


@dataclass(frozen=True, slots=True)
class ReportedMessage:
    chat_id: int
    message_id: int
    target_id: int
    target_name: str
    text: str


class ReportService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def report(
        self, message: ReportedMessage, reporter_id: int, admin_ids: Iterable[int]
    ) -> ReportOutcome:
        """Record `reporter_id`'s report; when the message is reported for the first time, an
        outbox row for each admin who started the bot."""
        now = self.clock.now()
        report_id = await self.session.scalar(
            select(Report.id).where(
                Report.chat_id == message.chat_id, Report.message_id == message.message_id
            )
        )
        if report_id is not None and await self._voted(report_id, reporter_id):
            return ReportOutcome(Reported.AGAIN, await self._count(report_id))
        if await self._recent(message.chat_id, reporter_id) >= REPORTS_AN_HOUR:
            return ReportOutcome(Reported.THROTTLED)
        created = report_id is None
        if created:
            report_id = await self.session.scalar(
                insert_for(self.session, Report)
                .values(
                    chat_id=message.chat_id,
                    message_id=message.message_id,
                    target_id=message.target_id,
                    target_name=message.target_name[:255],
                    excerpt=message.text[:EXCERPT],
                    reported_by=reporter_id,
                    reporters=0,
                    state="open",
                    created_at=now,
                )
                .on_conflict_do_nothing(index_elements=["chat_id", "message_id"])
                .returning(Report.id)
            )
            if report_id is None:  # another member's report of it committed meanwhile
                return await self.report(message, reporter_id, admin_ids)
        assert report_id is not None
        voted = await self.session.scalar(
            insert_for(self.session, ReportVote)
            .values(
                report_id=report_id,
                reporter_id=reporter_id,
                chat_id=message.chat_id,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["report_id", "reporter_id"])
            .returning(ReportVote.reporter_id)
        )
        if voted is None:
            return ReportOutcome(Reported.AGAIN, await self._count(report_id))
        await self.session.execute(
            update(Report).where(Report.id == report_id).values(reporters=Report.reporters + 1)
        )
        count = await self._count(report_id)
        if not created:
            return ReportOutcome(Reported.ADDED, count)
        told = await self._started(admin_ids)
        await OutboxService(self.session, self.clock).add_many(
            [OutboxRow(admin, ReportNotice(report_id=report_id), f"report:{report_id}:{admin}")
             for admin in told]
        )  # fmt: skip
        return ReportOutcome(Reported.NEW, count, len(told))

    async def get(self, report_id: int) -> Report | None:
        return await self.session.get(Report, report_id, populate_existing=True)

    async def settle(self, report_id: int, admin_id: int, state: str) -> Report | None:
        """Mark an open report settled by `admin_id`; None when it was settled before (the
        first admin's button wins, once)."""
        if state not in SETTLED:
            raise ValueError(state)
        result = await self.session.execute(
            update(Report)
            .where(Report.id == report_id, Report.state == "open")
            .values(state=state, handled_by=admin_id, handled_at=self.clock.now())
            .execution_options(synchronize_session=False)
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            return None
        return await self.get(report_id)

    async def reopen(self, report_id: int) -> None:
        """An admin's action failed at Telegram: the report is open again for another try."""
        await self.session.execute(
            update(Report)
            .where(Report.id == report_id)
            .values(state="open", handled_by=None, handled_at=None)
        )

    async def _voted(self, report_id: int, reporter_id: int) -> bool:
        found = await self.session.scalar(
            select(ReportVote.reporter_id).where(
                ReportVote.report_id == report_id, ReportVote.reporter_id == reporter_id
            )
        )
        return found is not None

    async def _recent(self, chat_id: int, reporter_id: int) -> int:
        since = self.clock.now() - timedelta(hours=1)
        count = await self.session.scalar(
            select(func.count()).where(
                ReportVote.chat_id == chat_id,
                ReportVote.reporter_id == reporter_id,
                ReportVote.created_at > since,
            )
        )
        return int(count or 0)

    async def _count(self, report_id: int) -> int:
        return int(
            await self.session.scalar(select(Report.reporters).where(Report.id == report_id)) or 0
        )

    async def _started(self, user_ids: Iterable[int]) -> list[int]:
        """The users among `user_ids` who started the bot and have not blocked it."""
        wanted = sorted(set(user_ids))
        if not wanted:
            return []
        rows = await self.session.scalars(
            select(Chat.id).where(Chat.id.in_(wanted), Chat.type == "private", Chat.active)
        )
        return sorted(rows)
