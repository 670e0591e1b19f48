"""The one sender of outbox messages (`services/outbox.py`): what the bot says on its own.

Only the scheduler-lock holder runs it, so several workers send at one process's pace. Every
second it claims the rows that are due (a gathered kind once its moment has waited its
gathering time), renders each chat's rows in the chat's language, sends them through the
pacing layer, and records the outcome: sent with the message id; a 429 retried after its
`retry_after`; a 5xx or a network error retried with back-off; a 400 or 403 failed (a 403 also
marks the chat inactive, in the pacing layer). Rows past their grace are skipped and logged.
No transaction is open while a request waits on the network.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.background import Background
from bot.i18n import reply_language
from bot.periodic import every
from bot.rights import DELETE, TOPICS, RightsNotices
from bot.topics import Placement
from models import Campaign, Draw
from services.chats import ChatProfile
from services.members import display_names
from services.outbox import GATHERED, MAX_ATTEMPTS, Due, Kind, OutboxService
from views.announcements import (
    congratulation,
    greeting_text,
    referral_thanks,
    thanks_text,
    tier_of,
    welcome_text,
)
from views.draws import claim_keyboard, join_keyboard, render_post, render_result

logger = logging.getLogger(__name__)
SEND_EVERY = 1.0


@dataclass(frozen=True, slots=True)
class Delivery:
    """What one message of the outbox is, once rendered: where it goes and what follows it."""

    text: str
    where: Placement = field(default_factory=lambda: Placement(None, None))
    markup: InlineKeyboardMarkup | None = None
    photos: tuple[str, ...] = ()  # sent after the text, with `caption` (a topic's best photos)
    caption: str = ""
    close_thread: bool = False  # a forum topic's summary closes the topic after it
    delete_after: int = 0  # seconds; the message is deleted then (a welcome), through the outbox
    edit: int | None = None  # this message of the bot's is edited to the text instead
    # Called with the sent message's id in the transaction that marks the row sent.
    record: Callable[[AsyncSession, int], Awaitable[None]] | None = None


# A renderer's None: nothing to send now (what the row would show is shown already).
Render = Callable[[Bot, ChatProfile, list[Due]], Awaitable[Delivery | None]]


def backoff(rows: list[Due]) -> float | None:
    """Seconds until the next try after a passing failure (2, 4, 8 …), or None: given up."""
    attempts = max(row.attempts for row in rows)
    return None if attempts >= MAX_ATTEMPTS else float(2**attempts)


class OutboxSender:
    def __init__(
        self, background: Background, notices: RightsNotices, gather: Mapping[str, float]
    ) -> None:
        """`gather`: how long each gathered kind waits after its first row in a chat."""
        self.background = background
        self.notices = notices
        self.gather = dict(gather)
        self.renderers: dict[str, Render] = {
            Kind.TIER_UP: self._tier_ups,
            Kind.REFERRAL_THANKS: self._referral_thanks,
            Kind.CAMPAIGN_GREETING: self._campaign,
            Kind.CAMPAIGN_THANKS: self._campaign,
            Kind.TOPIC_SUMMARY: self._topic_summary,
            Kind.WELCOME: self._welcome,
            Kind.DRAW_POST: self._draw_post,
            Kind.DRAW_EDIT: self._draw_edit,
            Kind.DRAW_RESULT: self._draw_result,
            Kind.DRAW_RESULT_EDIT: self._draw_result_edit,
        }

    async def run(self, bot: Bot) -> None:
        async with self.background.session_pool() as session, session.begin():
            resumed = await self._service(session).resume_interrupted()
        if resumed:
            logger.info("outbox: %s message(s) a stopped sender had claimed go out again", resumed)
        await every(SEND_EVERY, partial(self.send_due, bot), "send the outbox")

    async def send_due(self, bot: Bot) -> int:
        """Send what is due now; how many messages went out (or were deleted)."""
        async with self.background.session_pool() as session, session.begin():
            claimed = await self._service(session).claim(self.gather)
        groups: dict[tuple[int, str], list[Due]] = defaultdict(list)
        for row in claimed:
            if row.late:
                logger.warning("outbox: %s for chat %s skipped, too late", row.kind, row.chat_id)
                continue
            # Gathered kinds go out as one message per chat; any other row as its own.
            groups[(row.chat_id, row.kind if row.kind in GATHERED else str(row.id))].append(row)
        done = 0
        for rows in groups.values():
            if rows[0].kind == Kind.DELETE:
                done += await self._delete(bot, rows[0])
            else:
                done += await self._send(bot, rows)
        return done

    async def _send(self, bot: Bot, rows: list[Due]) -> int:
        chat_id, kind, ids = rows[0].chat_id, rows[0].kind, [row.id for row in rows]
        async with self.background.session_pool() as session:
            profile = await self.background.chats(session).profile(chat_id)
        render = self.renderers.get(kind)
        if profile is None or not profile.active or render is None:
            await self._not_sent(ids, "no such chat, or kind")
            return 0
        try:
            with self.background.speaking(profile):
                delivery = await render(bot, profile, rows)
        except (LookupError, ValueError) as gone:  # what it announces was deleted since
            await self._not_sent(ids, str(gone))
            return 0
        except TelegramAPIError as error:  # a look-up the rendering needed (the member count)
            await self._not_sent(ids, str(error), retry_after=backoff(rows))
            return 0
        if delivery is None:
            await self._sent(ids, None)
            return 0
        try:
            message_id = await self._deliver(bot, chat_id, delivery)
        except TelegramRetryAfter as refused:
            await self._not_sent(ids, str(refused), retry_after=float(refused.retry_after))
            return 0
        except (TelegramServerError, TelegramNetworkError) as trouble:
            await self._not_sent(ids, str(trouble), retry_after=backoff(rows))
            return 0
        except TelegramAPIError as refused:  # 400, 403: sending again would not help
            await self._not_sent(ids, str(refused))
            return 0
        await self._sent(ids, message_id, chat_id, delivery)
        await self._follow_up(bot, chat_id, delivery)
        return 1

    async def _deliver(self, bot: Bot, chat_id: int, delivery: Delivery) -> int:
        """Send the message, or edit the one it replaces; the message's id."""
        if delivery.edit is None:
            message = await delivery.where.send(
                bot, chat_id, delivery.text, reply_markup=delivery.markup
            )
            return message.message_id
        try:
            edited = await bot.edit_message_text(
                text=delivery.text, chat_id=chat_id, message_id=delivery.edit,
                reply_markup=delivery.markup,
            )  # fmt: skip
        except TelegramBadRequest as error:
            if "not modified" not in str(error):
                raise
            return delivery.edit  # it shows this already
        return edited.message_id if isinstance(edited, Message) else delivery.edit

    async def _sent(
        self,
        ids: list[int],
        message_id: int | None,
        chat_id: int = 0,
        delivery: Delivery | None = None,
    ) -> None:
        """Mark the rows sent, with what the message asks for once it exists: its id recorded,
        its deletion queued."""
        async with self.background.session_pool() as session, session.begin():
            service = self._service(session)
            await service.sent(ids, message_id)
            if delivery is None or message_id is None:
                return
            if delivery.record is not None:
                await delivery.record(session, message_id)
            if delivery.delete_after:
                due = self.background.clock.now() + timedelta(seconds=delivery.delete_after)
                await service.add(
                    chat_id, Kind.DELETE, f"delete:{ids[0]}", {"message_ids": [message_id]},
                    due_at=due,
                )  # fmt: skip

    async def _not_sent(self, ids: list[int], error: str, retry_after: float | None = None) -> None:
        """Pending again `retry_after` seconds from now, or failed for good when None."""
        logger.warning("outbox: rows %s: %s", ids, error)
        async with self.background.session_pool() as session, session.begin():
            service = self._service(session)
            if retry_after is not None:
                await service.retry(ids, retry_after, error)
            else:
                await service.failed(ids, error)

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

    async def _delete(self, bot: Bot, row: Due) -> int:
        """A message whose time is up (a welcome): gone, or staying if the bot may not delete."""
        refused = False
        for message_id in row.payload.get("message_ids", ()):
            try:
                await bot.delete_message(row.chat_id, int(message_id))
            except TelegramAPIError as error:  # no right to delete, or deleted already
                logger.info("message %s in chat %s stays: %s", message_id, row.chat_id, error)
                refused = True
        await self._sent([row.id], None)
        if refused:
            await self.notices.check(bot, row.chat_id, DELETE)
        return 1

    async def _tier_ups(self, bot: Bot, profile: ChatProfile, rows: list[Due]) -> Delivery:
        language = reply_language(profile, None, self.background.i18n.default_locale)
        promotions = [(str(row.payload["name"]), tier_of(row.payload)) for row in rows]
        return Delivery(congratulation(promotions, language))

    async def _referral_thanks(self, bot: Bot, profile: ChatProfile, rows: list[Due]) -> Delivery:
        people = {row.payload[who] for row in rows for who in ("inviter_id", "invitee_id")}
        async with self.background.session_pool() as session:
            names = await display_names(session, profile.id, people)
        return Delivery(referral_thanks([row.payload for row in rows], names))

    async def _campaign(self, bot: Bot, profile: ChatProfile, rows: list[Due]) -> Delivery:
        (row,) = rows  # not a gathered kind: one row a message
        async with self.background.session_pool() as session:
            campaign = await session.get(Campaign, row.payload["campaign_id"])
        if campaign is None:
            raise LookupError(f"campaign {row.payload['campaign_id']} is gone")
        if row.kind == Kind.CAMPAIGN_GREETING:
            return Delivery(greeting_text(campaign, self.background.timezone_of(profile)))
        points, members = int(row.payload["points"]), int(row.payload["members"])
        return Delivery(thanks_text(campaign, points, members))

    async def _topic_summary(self, bot: Bot, profile: ChatProfile, rows: list[Due]) -> Delivery:
        (row,) = rows
        summary = row.payload
        return Delivery(
            str(summary["text"]),
            Placement.at(summary.get("thread_id"), summary.get("anchor_id")),
            photos=tuple(summary.get("photos") or ()),
            caption=str(summary.get("caption") or ""),
            close_thread=summary.get("thread_id") is not None,
        )

    async def _welcome(self, bot: Bot, profile: ChatProfile, rows: list[Due]) -> Delivery:
        """Everyone who joined in the moment, in one welcome with a Rules button."""
        if not profile.welcome.enabled:
            raise LookupError("welcomes were turned off since")
        try:
            count = await bot.get_chat_member_count(profile.id)
        except TelegramAPIError:
            count = 0
        names = [str(row.payload["name"]) for row in rows]
        rules = InlineKeyboardButton(
            text="群规 / Rules",
            url=f"https://t.me/{(await bot.me()).username}?start=rules{profile.id}",
        )
        return Delivery(
            welcome_text(profile, names, count),
            markup=InlineKeyboardMarkup(inline_keyboard=[[rules]]),
            delete_after=profile.welcome.delete_after,
        )

    async def _draw_post(self, bot: Bot, profile: ChatProfile, rows: list[Due]) -> Delivery:
        draw = await self._draw(rows)

        async def record(session: AsyncSession, message_id: int) -> None:
            await self.background.draws(session).posted(draw.id, message_id)

        return Delivery(
            render_post(draw, self.background.timezone_of(profile)),
            markup=join_keyboard(draw.id) if draw.status == "open" else None,
            record=record,
        )

    async def _draw_edit(self, bot: Bot, profile: ChatProfile, rows: list[Due]) -> Delivery | None:
        """The post as the draw is now: its count, or ended or cancelled (no more button)."""
        draw = await self._draw(rows)
        if draw.message_id is None:
            return None  # not posted yet: the post will show all this
        return Delivery(
            render_post(draw, self.background.timezone_of(profile)),
            markup=join_keyboard(draw.id) if draw.status == "open" else None,
            edit=draw.message_id,
        )

    async def _draw_result(self, bot: Bot, profile: ChatProfile, rows: list[Due]) -> Delivery:
        draw = await self._draw(rows)

        async def record(session: AsyncSession, message_id: int) -> None:
            await self.background.draws(session).result_posted(draw.id, message_id)

        return Delivery(
            await self._result_text(profile, draw, int(rows[0].payload["entrants"])),
            Placement.at(None, draw.message_id),
            markup=claim_keyboard(draw.id) if draw.winner_ids else None,
            record=record,
        )

    async def _draw_result_edit(
        self, bot: Bot, profile: ChatProfile, rows: list[Due]
    ) -> Delivery | None:
        """The result with the winners as they are now (after a claim or a reroll)."""
        draw = await self._draw(rows)
        if draw.result_message_id is None:
            return None  # the result is not out yet, and will show them
        return Delivery(
            await self._result_text(profile, draw, draw.entrants),
            markup=claim_keyboard(draw.id),
            edit=draw.result_message_id,
        )

    async def _draw(self, rows: list[Due]) -> Draw:
        (row,) = rows
        async with self.background.session_pool() as session:
            draw = await session.get(Draw, row.payload["draw_id"])
        if draw is None:
            raise LookupError(f"draw {row.payload['draw_id']} is gone")
        return draw

    async def _result_text(self, profile: ChatProfile, draw: Draw, entrants: int) -> str:
        async with self.background.session_pool() as session:
            names = await display_names(session, profile.id, draw.winner_ids)
        return render_result(draw, entrants, names)

    def _service(self, session: AsyncSession) -> OutboxService:
        return OutboxService(session, self.background.clock)
