"""The one sender of outbox messages (`services/outbox.py`): what the bot says on its own.

Only the scheduler-lock holder runs it, so several workers send at one process's pace. Every
second it claims the rows that are due (a gathered kind once its moment has waited
`gather_seconds`), renders each chat's rows in the chat's language, sends them through the
pacing layer, and records the outcome: sent with the message id; a 429 retried after its
`retry_after`; a 5xx or a network error retried with back-off; a 400 or 403 failed (a 403 also
marks the chat inactive, in the pacing layer). Rows past their grace are skipped and logged.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.background import Background
from bot.i18n import reply_language
from bot.periodic import every
from bot.rights import TOPICS, RightsNotices
from bot.topics import Placement
from models import Campaign
from services.chats import ChatProfile
from services.members import display_names
from services.outbox import GATHERED, MAX_ATTEMPTS, Due, Kind, OutboxService
from views.announcements import (
    congratulation,
    greeting_text,
    referral_thanks,
    thanks_text,
    tier_of,
)

logger = logging.getLogger(__name__)
SEND_EVERY = 1.0


@dataclass(frozen=True, slots=True)
class Delivery:
    """What one message of the outbox is, once rendered: where it goes and what follows it."""

    text: str
    where: Placement = field(default_factory=lambda: Placement(None, None))
    photos: tuple[str, ...] = ()  # sent after the text, with `caption` (a topic's best photos)
    caption: str = ""
    close_thread: bool = False  # a forum topic's summary closes the topic after it


Render = Callable[[AsyncSession, ChatProfile, list[Due]], Awaitable[str | Delivery]]


class OutboxSender:
    def __init__(
        self, background: Background, notices: RightsNotices, gather_seconds: float
    ) -> None:
        self.background = background
        self.notices = notices
        self.gather = dict.fromkeys(GATHERED, gather_seconds)
        self.renderers: dict[str, Render] = {
            Kind.TIER_UP: self._tier_ups,
            Kind.REFERRAL_THANKS: self._referral_thanks,
            Kind.CAMPAIGN_GREETING: self._campaign,
            Kind.CAMPAIGN_THANKS: self._campaign,
            Kind.TOPIC_SUMMARY: self._topic_summary,
        }

    async def run(self, bot: Bot) -> None:
        async with self.background.session_pool() as session, session.begin():
            resumed = await OutboxService(session, self.background.clock).resume_interrupted()
        if resumed:
            logger.info("outbox: %s message(s) a stopped sender had claimed go out again", resumed)
        await every(SEND_EVERY, partial(self.send_due, bot), "send the outbox")

    async def send_due(self, bot: Bot) -> int:
        """Send what is due now; how many messages went out."""
        async with self.background.session_pool() as session, session.begin():
            claimed = await OutboxService(session, self.background.clock).claim(self.gather)
        groups: dict[tuple[int, str], list[Due]] = defaultdict(list)
        for row in claimed:
            if row.attempts < 0:
                logger.warning("outbox: %s for chat %s skipped, too late", row.kind, row.chat_id)
                continue
            # Gathered kinds go out as one message per chat; any other row as its own.
            groups[(row.chat_id, row.kind if row.kind in GATHERED else str(row.id))].append(row)
        sent = 0
        for rows in groups.values():
            sent += await self._send(bot, rows)
        return sent

    async def _send(self, bot: Bot, rows: list[Due]) -> int:
        chat_id, kind, ids = rows[0].chat_id, rows[0].kind, [row.id for row in rows]
        async with self.background.session_pool() as session:
            profile = await self.background.chats(session).profile(chat_id)
            render = self.renderers.get(kind)
            if profile is None or not profile.active or render is None:
                async with session.begin():
                    await self._service(session).failed(ids, "no such chat, or kind")
                return 0
            try:
                with self.background.speaking(profile):
                    rendered = await render(session, profile, rows)
            except (LookupError, ValueError) as gone:  # what it announces was deleted since
                await session.rollback()
                async with session.begin():
                    await self._service(session).failed(ids, str(gone))
                return 0
            await session.commit()  # no transaction waits on the network (or the pacer)
        delivery = rendered if isinstance(rendered, Delivery) else Delivery(rendered)
        error: str | None = None
        retry_after: float | None = None
        try:
            message = await delivery.where.send(bot, chat_id, delivery.text)
        except TelegramRetryAfter as refused:
            error, retry_after = str(refused), float(refused.retry_after)
        except (TelegramServerError, TelegramNetworkError) as trouble:
            error = str(trouble)
            attempts = max(row.attempts for row in rows)
            retry_after = None if attempts >= MAX_ATTEMPTS else float(2**attempts)
        except TelegramAPIError as refused:  # 400, 403: sending again would not help
            error = str(refused)
        async with self.background.session_pool() as session, session.begin():
            service = self._service(session)
            if error is None:
                await service.sent(ids, message.message_id)
            elif retry_after is not None:
                await service.retry(ids, retry_after, error)
            else:
                await service.failed(ids, error)
        if error is not None:
            logger.warning("outbox: %s for chat %s: %s", kind, chat_id, error)
            return 0
        await self._follow_up(bot, chat_id, delivery)
        return 1

    async def _follow_up(self, bot: Bot, chat_id: int, delivery: Delivery) -> None:
        """What comes after the message, best effort: it is sent, and not sent again."""
        try:
            if delivery.photos:
                await delivery.where.send_photos(
                    bot, chat_id, list(delivery.photos), delivery.caption
                )
        except TelegramAPIError as error:
            logger.warning("outbox: photos for chat %s: %s", chat_id, error)
        if delivery.close_thread and delivery.where.thread_id is not None:
            try:
                await bot.close_forum_topic(chat_id, delivery.where.thread_id)
            except TelegramAPIError as error:
                logger.info("could not close forum topic %s: %s", delivery.where.thread_id, error)
                await self.notices.check(bot, chat_id, TOPICS)

    async def _tier_ups(self, session: AsyncSession, profile: ChatProfile, rows: list[Due]) -> str:
        language = reply_language(profile, None, self.background.i18n.default_locale)
        promotions = [(str(row.payload["name"]), tier_of(row.payload)) for row in rows]
        return congratulation(promotions, language)

    async def _referral_thanks(
        self, session: AsyncSession, profile: ChatProfile, rows: list[Due]
    ) -> str:
        people = {row.payload[who] for row in rows for who in ("inviter_id", "invitee_id")}
        names = await display_names(session, profile.id, people)
        return referral_thanks([row.payload for row in rows], names)

    async def _campaign(self, session: AsyncSession, profile: ChatProfile, rows: list[Due]) -> str:
        (row,) = rows  # not a gathered kind: one row a message
        campaign = await session.get(Campaign, row.payload["campaign_id"])
        if campaign is None:
            raise LookupError(f"campaign {row.payload['campaign_id']} is gone")
        if row.kind == Kind.CAMPAIGN_GREETING:
            return greeting_text(campaign, self.background.timezone_of(profile))
        return thanks_text(campaign, int(row.payload["points"]), int(row.payload["members"]))

    async def _topic_summary(
        self, session: AsyncSession, profile: ChatProfile, rows: list[Due]
    ) -> Delivery:
        (row,) = rows
        summary = row.payload
        return Delivery(
            str(summary["text"]),
            Placement.at(summary.get("thread_id"), summary.get("anchor_id")),
            photos=tuple(summary.get("photos") or ()),
            caption=str(summary.get("caption") or ""),
            close_thread=summary.get("thread_id") is not None,
        )

    def _service(self, session: AsyncSession) -> OutboxService:
        return OutboxService(session, self.background.clock)
