"""The daily cadence: the morning post, the sign-in reminder and the evening digest.

Chats that share a part's time and time zone share one job (most groups keep the defaults, so
09:00 in Asia/Shanghai is one job however many groups there are); at its time the job claims each
chat's `cadence_runs` row and sends, several chats at a time, through the pacing layer. A run
missed while the bot was down is sent at start-up if it is at most `grace` late (while the bot
runs, the jobs fire on time, so later rebuilds only plan).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from datetime import datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.background import Background
from bot.topics import TopicHost, TopicRightsMissing
from models import CadenceRun, Topic
from models.queries import insert_for
from scheduler.core import Jobs
from services.chats import ChatProfile, ChatService
from services.checkins import CheckinService
from services.clock import local_day
from services.digest import DayFigures, DigestService
from services.points import PointsService
from services.posts import RunStatus, Schedule
from views.keyboards import checkin_keyboard
from views.numbers import MEDALS, number
from views.topics import linked_title

logger = logging.getLogger(__name__)
SENDING_AT_ONCE = 30  # chats sent to side by side; the pacer spaces them within the limits


class CadenceJobs:
    def __init__(
        self,
        background: Background,
        grace_seconds: float,
        topics: TopicHost,
    ) -> None:
        self.background = background
        self.topics = topics
        self.grace = timedelta(seconds=grace_seconds)
        self._started = False  # runs missed while down are caught up once, at start-up

    async def plan(self, bot: Bot, jobs: Jobs, now: datetime) -> None:
        async with self.background.session_pool() as session:
            chats = await self._chats(session).cadence_chats()
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
            chats = await self._chats(session).cadence_chats()
        chat_ids = [
            chat_id
            for chat_id, zone, cadence in chats
            if zone == timezone and getattr(cadence, part) == at
        ]
        await self.fire(bot, part, chat_ids, fire_time)

    async def fire(self, bot: Bot, part: str, chat_ids: list[int], fire_time: datetime) -> None:
        turns = asyncio.Semaphore(SENDING_AT_ONCE)

        async def one(chat_id: int) -> None:
            async with turns:
                try:
                    await self.send(bot, part, chat_id, fire_time)
                except Exception:
                    logger.exception("%s post in chat %s failed", part, chat_id)

        await asyncio.gather(*(one(chat_id) for chat_id in chat_ids))

    async def send(self, bot: Bot, part: str, chat_id: int, fire_time: datetime) -> bool:
        """Claim the chat's run, then post; False when it was posted before."""
        async with self.background.session_pool() as session, session.begin():
            claimed = await session.scalar(
                insert_for(session, CadenceRun)
                .values(chat_id=chat_id, part=part, fire_time=fire_time, status=RunStatus.CLAIMED)
                .on_conflict_do_nothing(index_elements=["chat_id", "part", "fire_time"])
                .returning(CadenceRun.chat_id)
            )
            profile = await self._chats(session).profile(chat_id) if claimed else None
            if profile is None:
                return False
            day, clock = local_day(fire_time, profile.timezone), self.background.clock
            signed = (
                await CheckinService(session, clock, PointsService(session, clock)).count_on(
                    chat_id, day
                )
                if part == "reminder"
                else 0
            )
            figures = (
                await DigestService(session, clock).day(chat_id, profile.timezone, day)
                if part == "digest"
                else None
            )
        topic = await self._daily_topic(bot, profile) if part == "morning" else None
        with self.background.speaking(profile):
            text, markup = render(part, profile, fire_time, signed, figures, topic)
        status = RunStatus.SENT
        try:
            await bot.send_message(chat_id, text, reply_markup=markup)
        except TelegramAPIError as error:
            logger.warning("%s post in chat %s: %s", part, chat_id, error)
            status = RunStatus.FAILED
        async with self.background.session_pool() as session, session.begin():
            await session.execute(
                update(CadenceRun)
                .where(CadenceRun.chat_id == chat_id, CadenceRun.part == part)
                .where(CadenceRun.fire_time == fire_time)
                .values(status=status)
            )
        return True

    async def _daily_topic(self, bot: Bot, profile: ChatProfile) -> Topic | None:
        """With `daily_topic` on, the morning opens the next queued topic (the run is claimed,
        so once a day)."""
        if not profile.topic_rules.daily:
            return None
        try:
            return await self.topics.open_next(bot, profile)
        except TopicRightsMissing:
            logger.info("no daily topic in chat %s: the bot may not manage topics", profile.id)
            return None  # the admins were told
        except Exception:
            logger.exception("the daily topic of chat %s did not open", profile.id)
            return None

    def _chats(self, session: AsyncSession) -> ChatService:
        return self.background.chats(session)


def render(
    part: str,
    profile: ChatProfile,
    fire_time: datetime,
    signed: int,
    figures: DayFigures | None,
    topic: Topic | None = None,
) -> tuple[str, InlineKeyboardMarkup | None]:
    local = fire_time.astimezone(ZoneInfo(profile.timezone))
    if part == "morning":
        lines = [
            _("☀️ Good morning, {group}! Today is {day}.").format(
                group=escape(profile.title), day=f"{local:%Y-%m-%d}"
            ),
            _("Sign in for today's points: say 签到 or press the button."),
        ]
        if topic is not None:
            title = linked_title(profile.id, None, topic)
            lines.append(_("💬 Today's topic: {title}. Join in!").format(title=title))
        return "\n".join(lines), checkin_keyboard()
    if part == "reminder":
        text = _("⏰ {count} signed in today. Not yet? Say 签到 or press the button.").format(
            count=signed
        )
        return text, checkin_keyboard()
    assert figures is not None
    return render_digest(profile, figures), None


def render_digest(profile: ChatProfile, figures: DayFigures) -> str:
    lines = [
        _("🌙 <b>Today in {group}</b>").format(group=escape(profile.title)),
        _("👋 New members: {count}").format(count=figures.new_members),
        _("💬 Messages: {count} from {active} members").format(
            count=figures.messages, active=figures.active_members
        ),
        _("✅ Sign-ins: {count}").format(count=figures.sign_ins),
        _("🪙 Points issued: {count}").format(count=number(figures.points_issued)),
        _("🎁 Draws ended: {count}").format(count=figures.draws_ended),
    ]
    if figures.top_earners:
        earners = " ".join(
            f"{medal} {escape(row.name or str(row.user_id))} +{row.points}"
            for medal, row in zip(MEDALS, figures.top_earners, strict=False)
        )
        lines.append(_("🏆 Top earners: {earners}").format(earners=earners))
    for when, post in figures.tomorrow[:5]:
        lines.append(
            _("🗓 Tomorrow {time}: post #{id} {text}").format(
                time=f"{when:%H:%M}", id=post.id, text=escape((post.text or "")[:30])
            )
        )
    for when, post in figures.skipped:
        lines.append(
            _("⚠️ Post #{id} of {time} was skipped: the bot was down.").format(
                id=post.id, time=f"{when:%H:%M}"
            )
        )
    if figures.announcements_skipped:
        lines.append(
            ngettext(
                "⚠️ {count} announcement was too late to post and was skipped.",
                "⚠️ {count} announcements were too late to post and were skipped.",
                figures.announcements_skipped,
            ).format(count=figures.announcements_skipped)
        )
    return "\n".join(lines)
