"""The figures of a chat's local day, for the evening digest: the day's roll-up (the same
figures /stats adds up), its top earners, and the posts of tomorrow and those missed today."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Draw, OutboxMessage, PostRun, ScheduledPost
from services.clock import Clock, FrozenClock, start_of
from services.posts import PostService, RunStatus, Schedule
from services.standings import Period, Ranked, Standings
from services.stats import StatsService


@dataclass(frozen=True, slots=True)
class DayFigures:
    new_members: int  # joins seen today
    messages: int
    active_members: int  # members who wrote today
    sign_ins: int
    points_issued: int
    top_earners: list[Ranked]
    draws_ended: int
    tomorrow: list[tuple[datetime, ScheduledPost]]  # the posts due tomorrow, local times
    skipped: list[tuple[datetime, ScheduledPost]]  # runs missed today while the bot was down
    announcements_skipped: int = 0  # outbox messages due today that were too late to send


class DigestService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def day(self, chat_id: int, timezone: str, day: date) -> DayFigures:
        zone = ZoneInfo(timezone)
        start, end = start_of(day, timezone), start_of(day + timedelta(days=1), timezone)
        rolled = await StatsService(self.session, self.clock).day(chat_id, day)
        draws_ended = await self.session.scalar(
            select(func.count()).where(
                Draw.chat_id == chat_id, Draw.ended_at >= start, Draw.ended_at < end
            )
        )
        noon = FrozenClock(start + (end - start) / 2)  # "today" is `day`, even after midnight
        top = await Standings(self.session, noon).top(chat_id, timezone, Period.TODAY, limit=3)
        posts = PostService(self.session, self.clock, timezone)
        tomorrow = []
        for post in await posts.of_chat(chat_id):
            upcoming = Schedule(post.schedule).next_after(end - timedelta(seconds=1), timezone)
            while post.enabled and upcoming is not None and upcoming < end + timedelta(days=1):
                tomorrow.append((upcoming.astimezone(zone), post))
                upcoming = Schedule(post.schedule).next_after(upcoming, timezone)
        skipped = await self.session.execute(
            select(PostRun.fire_time, ScheduledPost)
            .join(ScheduledPost, ScheduledPost.id == PostRun.post_id)
            .where(ScheduledPost.chat_id == chat_id, PostRun.status == RunStatus.SKIPPED)
            .where(PostRun.fire_time >= start, PostRun.fire_time < end)
            .order_by(PostRun.fire_time)
        )
        too_late = await self.session.scalar(
            select(func.count()).where(
                OutboxMessage.chat_id == chat_id, OutboxMessage.status == "skipped",
                OutboxMessage.due_at >= start, OutboxMessage.due_at < end,
            )
        )  # fmt: skip
        return DayFigures(
            new_members=rolled["joins"], messages=rolled["messages"],
            active_members=rolled["active_members"], sign_ins=rolled["checkins"],
            points_issued=rolled["points_issued"], top_earners=top,
            draws_ended=int(draws_ended or 0),
            tomorrow=sorted(tomorrow, key=lambda item: item[0]),
            skipped=[(fire.astimezone(zone), post) for fire, post in skipped],
            announcements_skipped=int(too_late or 0),
        )  # fmt: skip
