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

import asyncio
import html
import logging
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from infrastructure.background import Background
from infrastructure.i18n import reply_language
from models import Campaign, Draw, ModAction, ScheduledPost, Topic
from services.cadence import CadenceService
from services.chats import ChatProfile
from services.clock import local_day
from services.members import display_names
from services.orders import payable
from services.outbox import CLAIM_LIMIT, GATHERED, MAX_ATTEMPTS, Due, Kind, OutboxService
from services.posts import PostService, RunStatus
from views.announcements import (
    congratulation,
    greeting_text,
    referral_thanks,
    thanks_text,
    tier_of,
    welcome_text,
)
from views.cadence import render as render_cadence
from views.draws import claim_keyboard, post_keyboard, render_post, render_result
from views.moderation import channel_log_text
from views.orders import bind_claimed_text, order_points_text, order_refunded_text
from views.posts import PostMessage, post_message
from views.pushes import push_message
from views.rights import DELETE, PIN, TOPICS, rights_notice
from views.shop import coupon_keyboard, coupon_reminder, gift_sent
from views.shop import delivery as reward_delivery
from workflows.rights import RightsNotices
from workflows.topics import Placement, TopicHost, TopicRightsMissing

logger = logging.getLogger(__name__)
SEND_EVERY = 0.5  # seconds between two looks for what is due
CHATS_AT_ONCE = 32  # a little over the bot's 30 messages/s: the pacing layer is the limit


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
    post: PostMessage | None = None  # sent instead of the text: a scheduled post's own content
    pin: bool = False
    # Called with the sent message's id in the transaction that marks the row sent.
    record: Callable[[AsyncSession, int], Awaitable[None]] | None = None
    # Called with Telegram's refusal (400, 403) in the transaction that marks the row failed.
    refused: Callable[[AsyncSession, TelegramAPIError], Awaitable[None]] | None = None


# A renderer's None: nothing to send now (what the row would show is shown already).
Render = Callable[[Bot, ChatProfile, list[Due]], Awaitable[Delivery | None]]


def backoff(rows: list[Due]) -> float | None:
    """Seconds until the next try after a passing failure (2, 4, 8 …), or None: given up."""
    attempts = max(row.attempts for row in rows)
    return None if attempts >= MAX_ATTEMPTS else float(2**attempts)


class OutboxSender:
    def __init__(
        self,
        background: Background,
        notices: RightsNotices,
        gather: Mapping[str, float],
        topics: TopicHost | None = None,
        web_url: str | None = None,
    ) -> None:
        """`gather`: how long each gathered kind waits after its first row in a chat;
        `topics` opens the daily topic a morning post names; with `web_url` a draw's result
        links to its public page."""
        self.background = background
        self.web_url = web_url
        self.notices = notices
        self.topics = topics
        self.gather = dict(gather)
        self._side_by_side = asyncio.Semaphore(CHATS_AT_ONCE)
        self._queues: dict[int, deque[list[Due]]] = {}  # claimed, not yet sent, per chat
        self._workers: dict[int, asyncio.Task[int]] = {}
        self._woken = asyncio.Event()
        self._stopping = False
        self._running: asyncio.Task[object] | None = None  # the task in `run`
        self.renderers: dict[str, Render] = {
            Kind.TIER_UP: self._tier_ups,
            Kind.REFERRAL_THANKS: self._referral_thanks,
            Kind.CAMPAIGN_GREETING: self._campaign,
            Kind.CAMPAIGN_THANKS: self._campaign,
            Kind.TOPIC_SUMMARY: self._topic_summary,
            Kind.WELCOME: self._welcome,
            Kind.CADENCE: self._cadence,
            Kind.SCHEDULED_POST: self._scheduled_post,
            Kind.DRAW_POST: self._draw_post,
            Kind.DRAW_EDIT: self._draw_edit,
            Kind.DRAW_RESULT: self._draw_result,
            Kind.DRAW_RESULT_EDIT: self._draw_result_edit,
            Kind.RIGHTS_NOTICE: self._rights_notice,
            Kind.REWARD_DELIVERY: self._reward_delivery,
            Kind.COUPON_REMINDER: self._reward_delivery,
            Kind.GIFT_SENT: self._reward_delivery,
            Kind.ORDER_POINTS: self._order_points,
            Kind.ORDER_REFUNDED: self._order_refunded,
            Kind.BIND_CLAIMED: self._bind_claimed,
            Kind.PUSH: self._push,
            Kind.MOD_LOG: self._mod_log,
        }

    async def run(self, bot: Bot) -> None:
        async with self.background.session_pool() as session, session.begin():
            resumed = await self._service(session).resume_interrupted()
        if resumed:
            logger.info("outbox: %s message(s) a stopped sender had claimed go out again", resumed)
        self._running = asyncio.current_task()
        while not self._stopping:
            try:
                await self.take_due(bot)
            except Exception:
                logger.exception("could not send the outbox")
            with suppress(TimeoutError):
                await asyncio.wait_for(self._woken.wait(), SEND_EVERY)
            self._woken.clear()

    async def stop(self, timeout: float = 5.0) -> None:
        """Stop looking, and let the chats' senders finish the message each is on: a stop in
        the middle of a send would leave its row `sending`, and it would go out again after
        the restart (what they did not reach stays claimed and is resumed then). Nothing is
        cancelled halfway through a transaction."""
        self._stopping = True
        self._woken.set()
        for queue in self._queues.values():
            queue.clear()  # the message each sender is on is the last it sends
        running = [*self._workers.values(), *([self._running] if self._running else [])]
        if running:
            await asyncio.wait(running, timeout=timeout)

    def wake(self) -> None:
        """Rows were just committed in this process (09:00's posts): look now, not at the
        next tick."""
        self._woken.set()

    async def send_due(self, bot: Bot) -> int:
        """Send what is due now and wait until it is out; how many messages went out (or
        were deleted). For tests and benches; `run` does not wait."""
        return sum(await asyncio.gather(*await self.take_due(bot)))

    async def take_due(self, bot: Bot) -> list[asyncio.Task[int]]:
        """Claim what is due and hand each chat's messages to that chat's sender task, which
        sends them in order (a draw's closing edit before its result) while other chats' go
        side by side: the pacing layer, not a batch, sets the pace."""
        if sum(map(len, self._queues.values())) >= CLAIM_LIMIT:
            return []  # enough in hand: rows stay pending (and resumable) in the database
        async with self.background.session_pool() as session, session.begin():
            claimed = await self._service(session).claim(self.gather)
        groups: dict[tuple[int, str], list[Due]] = defaultdict(list)
        for row in claimed:
            if row.late:
                logger.warning("outbox: %s for chat %s skipped, too late", row.kind, row.chat_id)
                continue
            # Gathered kinds go out as one message per chat; any other row as its own.
            groups[(row.chat_id, row.kind if row.kind in GATHERED else str(row.id))].append(row)
        chats: dict[int, asyncio.Task[int]] = {}
        for rows in groups.values():
            chat_id = rows[0].chat_id
            self._queues.setdefault(chat_id, deque()).append(rows)
            worker = self._workers.get(chat_id)
            if worker is None:
                worker = self._workers[chat_id] = asyncio.create_task(self._drain(bot, chat_id))
            chats[chat_id] = worker
        return list(chats.values())

    async def _drain(self, bot: Bot, chat_id: int) -> int:
        """Send one chat's queue until it is empty."""
        done = 0
        async with self._side_by_side:
            queue = self._queues[chat_id]
            while queue:
                rows = queue.popleft()
                try:
                    if rows[0].kind == Kind.DELETE:
                        done += await self._delete(bot, rows[0])
                    else:
                        done += await self._send(bot, rows)
                except Exception:  # the database went away: the rows are resumed at restart
                    logger.exception("outbox: rows %s", [row.id for row in rows])
            # Nothing awaited since the queue was last seen empty: no row can be left behind.
            del self._queues[chat_id]
            del self._workers[chat_id]
        return done

    async def _send(self, bot: Bot, rows: list[Due]) -> int:
        chat_id, kind, ids = rows[0].chat_id, rows[0].kind, [row.id for row in rows]
        async with self.background.session_pool() as session:
            profile = await self.background.services.chats(session).profile(chat_id)
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
            await self._not_sent(ids, str(refused), refusal=(delivery, refused))
            return 0
        await self._sent(ids, message_id, chat_id, delivery)
        await self._follow_up(bot, chat_id, delivery, message_id)
        return 1

    async def _deliver(self, bot: Bot, chat_id: int, delivery: Delivery) -> int:
        """Send the message, or edit the one it replaces; the message's id."""
        if delivery.post is not None:
            return (await send_post(bot, delivery.post)).message_id
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

    async def _not_sent(
        self,
        ids: list[int],
        error: str,
        retry_after: float | None = None,
        refusal: tuple[Delivery, TelegramAPIError] | None = None,
    ) -> None:
        """Pending again `retry_after` seconds from now, or failed for good when None (and the
        delivery told of Telegram's `refusal`)."""
        logger.warning("outbox: rows %s: %s", ids, error)
        async with self.background.session_pool() as session, session.begin():
            service = self._service(session)
            if retry_after is not None:
                await service.retry(ids, retry_after, error)
                return
            await service.failed(ids, error)
            if refusal is not None and refusal[0].refused is not None:
                await refusal[0].refused(session, refusal[1])

    async def _follow_up(self, bot: Bot, chat_id: int, delivery: Delivery, message_id: int) -> None:
        """What comes after the message, best effort: it is sent, and not sent again."""
        if delivery.pin:
            try:
                await bot.pin_chat_message(chat_id, message_id)
            except TelegramAPIError as error:
                await self.notices.failed(bot, chat_id, PIN, f"pin message {message_id}", error)
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
                what = f"close forum topic {delivery.where.thread_id}"
                await self.notices.failed(bot, chat_id, TOPICS, what, error)

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
            text = greeting_text(campaign, self.background.timezone_of(profile))
            coupon = campaign.coupon_reward_id
            return Delivery(text, markup=coupon_keyboard(campaign.id) if coupon else None)
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

    async def _rights_notice(self, bot: Bot, profile: ChatProfile, rows: list[Due]) -> Delivery:
        (row,) = rows
        return Delivery(rights_notice(row.payload["rights"]))

    async def _order_points(
        self, bot: Bot, profile: ChatProfile, rows: list[Due]
    ) -> Delivery | None:
        """Privately, what an order earns and when (None once refunded in full)."""
        (row,) = rows
        async with self.background.session_pool() as session:
            order = await self.background.services.orders(session).order(
                int(row.payload["order_id"])
            )
            if order is None:
                raise LookupError("no such order")
            group = await self.background.services.chats(session).profile(order.chat_id)
        if payable(order) == 0 or group is None:
            return None
        language = row.payload.get("language") or self.background.i18n.default_locale
        with self.background.i18n.use_locale(language):
            return Delivery(
                order_points_text(
                    group.title, order.amount_fen - order.refunded_fen, payable(order),
                    order.confirm_at or order.paid_at, group.timezone,
                )
            )  # fmt: skip

    async def _push(self, bot: Bot, profile: ChatProfile, rows: list[Due]) -> Delivery:
        """A member's copy of a push, in their private chat."""
        (row,) = rows
        async with self.background.session_pool() as session:
            push = await self.background.services.pushes(session).push(int(row.payload["push_id"]))
        if push is None:
            raise LookupError("no such push")
        return Delivery("", post=push_message(push, profile.id))

    async def _mod_log(self, bot: Bot, profile: ChatProfile, rows: list[Due]) -> Delivery | None:
        """A moderation action, as a plain line in the group's log channel."""
        (row,) = rows
        channel = profile.moderation.log_channel
        if channel is None:
            return None  # turned off since
        async with self.background.session_pool() as session:
            entry = await session.get(ModAction, int(row.payload["action_id"]))
            if entry is None:
                raise LookupError("no such action")
            people = [who for who in (entry.target_id, entry.actor_id) if who is not None]
            names = await display_names(session, profile.id, people)
        text = channel_log_text(entry, profile.title, names, ZoneInfo(profile.timezone))
        return Delivery("", post=PostMessage(channel, text, None, None, None, None))

    async def _bind_claimed(
        self, bot: Bot, profile: ChatProfile, rows: list[Due]
    ) -> Delivery | None:
        """To the admins: privately (the row is an admin's private chat), or in the group's log
        channel (the row is the group's). Never in the group itself."""
        (row,) = rows
        if "group" not in row.payload:
            return None  # written before the alert went to the admins: never in the group
        group_id = int(row.payload["group"])
        holder, claimant = int(row.payload["holder"]), int(row.payload["claimant"])
        async with self.background.session_pool() as session:
            group = await self.background.services.chats(session).profile(group_id)
            names = await display_names(session, group_id, [holder, claimant])
        if group is None:
            raise LookupError("no such group")
        language = reply_language(group, None, self.background.i18n.default_locale)
        with self.background.i18n.use_locale(language):  # the group's, as its admins chose
            text = bind_claimed_text(
                group.title, names.get(claimant, str(claimant)), names.get(holder, str(holder)),
                str(row.payload["buyer"]), row.payload.get("holder_proof"),
            )  # fmt: skip
        if row.chat_id != group_id:
            return Delivery(text)
        channel = profile.moderation.log_channel
        if channel is None:
            return None  # turned off since
        plain = html.unescape(text)  # a channel post is plain text, as the moderation log's
        return Delivery("", post=PostMessage(channel, plain, None, None, None, None))

    async def _order_refunded(
        self, bot: Bot, profile: ChatProfile, rows: list[Due]
    ) -> Delivery | None:
        """Privately, what a refund took of the points the member was told of."""
        (row,) = rows
        async with self.background.session_pool() as session:
            order = await self.background.services.orders(session).order(
                int(row.payload["order_id"])
            )
            if order is None:
                raise LookupError("no such order")
            group = await self.background.services.chats(session).profile(order.chat_id)
        if group is None:
            return None
        language = row.payload.get("language") or self.background.i18n.default_locale
        with self.background.i18n.use_locale(language):
            return Delivery(
                order_refunded_text(
                    group.title, int(row.payload["refunded_fen"]), order.amount_fen,
                    int(row.payload["points"]), bool(row.payload["paid"]),
                )
            )  # fmt: skip

    async def _reward_delivery(
        self, bot: Bot, profile: ChatProfile, rows: list[Due]
    ) -> Delivery | None:
        """What a member redeemed, in their private chat (the code read now, not stored here),
        or the reminder before a coupon expires (None once it is used)."""
        (row,) = rows
        async with self.background.session_pool() as session:
            shop = self.background.services.shop(session)
            found = await shop.redemption_of(profile.id, int(row.payload["redemption_id"]))
            if found is None:
                raise LookupError("no such redemption")
            redemption, reward, code = found
            title, timezone = await shop.group_of(reward.chat_id)
        language = redemption.language or self.background.i18n.default_locale

        async def asked(session: AsyncSession, message_id: int) -> None:
            fulfilment = self.background.services.fulfilment(session)
            await fulfilment.asked_for_note(redemption.id, message_id)

        with self.background.i18n.use_locale(language):
            if row.kind == Kind.GIFT_SENT:
                return Delivery(gift_sent(reward, title))
            if row.kind == Kind.REWARD_DELIVERY:  # a gift's: a reply to it is the gift's note
                text = reward_delivery(reward, redemption, code, title, timezone)
                return Delivery(text, record=asked if reward.kind == "gift" else None)
            if redemption.status != "issued" or code is None:
                return None  # used since: nothing to remind of
            return Delivery(coupon_reminder(reward, redemption, code, title, timezone))

    async def _cadence(self, bot: Bot, profile: ChatProfile, rows: list[Due]) -> Delivery:
        """The morning post (opening the daily topic it names), the reminder with the day's
        sign-ins, or the digest with the day's figures: as they are when it goes out."""
        (row,) = rows
        part, fire_time = str(row.payload["part"]), datetime.fromisoformat(row.payload["fire_time"])
        day = local_day(fire_time, profile.timezone)
        signed, figures = 0, None
        async with self.background.session_pool() as session:
            if part == "reminder":
                signed = await self.background.services.checkins(session).count_on(profile.id, day)
            elif part == "digest":
                digest = self.background.services.digest(session)
                figures = await digest.day(profile.id, profile.timezone, day)
        topic = await self._daily_topic(bot, profile, row.payload.get("topic_id"))
        text, markup = render_cadence(part, profile, fire_time, signed, figures, topic)

        def cadence(session: AsyncSession) -> CadenceService:
            return self.background.services.cadence(session)

        async def record(session: AsyncSession, message_id: int) -> None:
            await cadence(session).finish(profile.id, part, fire_time, RunStatus.SENT)

        async def refused(session: AsyncSession, error: TelegramAPIError) -> None:
            await cadence(session).finish(profile.id, part, fire_time, RunStatus.FAILED)

        return Delivery(text, markup=markup, record=record, refused=refused)

    async def _daily_topic(self, bot: Bot, profile: ChatProfile, topic_id: object) -> Topic | None:
        if not isinstance(topic_id, int) or self.topics is None:
            return None
        try:
            return await self.topics.open_queued(bot, profile, topic_id)
        except TopicRightsMissing:
            logger.info("no daily topic in chat %s: the bot may not manage topics", profile.id)
            return None  # the admins were told
        except TelegramAPIError as error:
            logger.warning("the daily topic of chat %s did not open: %s", profile.id, error)
            return None

    async def _scheduled_post(self, bot: Bot, profile: ChatProfile, rows: list[Due]) -> Delivery:
        (row,) = rows
        post_id = int(row.payload["post_id"])
        fire_time = datetime.fromisoformat(str(row.payload["fire_time"]))
        async with self.background.session_pool() as session:
            post = await session.get(ScheduledPost, post_id)
        if post is None or not post.enabled:
            raise LookupError(f"post {post_id} was deleted or paused since")

        def posts(session: AsyncSession) -> PostService:
            return self.background.services.posts(session)

        async def record(session: AsyncSession, message_id: int) -> None:
            await posts(session).finish(post_id, fire_time, RunStatus.SENT, message_id)

        async def refused(session: AsyncSession, error: TelegramAPIError) -> None:
            await posts(session).finish(post_id, fire_time, RunStatus.FAILED)
            if isinstance(error, TelegramForbiddenError):
                logger.warning("post %s is off: the bot was removed from its chat", post_id)
                await posts(session).disable(post_id, "bot removed")

        return Delivery("", post=post_message(post), pin=post.pin, record=record, refused=refused)

    async def _draw_post(self, bot: Bot, profile: ChatProfile, rows: list[Due]) -> Delivery:
        draw = await self._draw(rows)

        async def record(session: AsyncSession, message_id: int) -> None:
            await self.background.services.draws(session).posted(draw.id, message_id)

        return Delivery(
            render_post(draw, self.background.timezone_of(profile)),
            markup=post_keyboard(draw),
            record=record,
        )

    async def _draw_edit(self, bot: Bot, profile: ChatProfile, rows: list[Due]) -> Delivery | None:
        """The post as the draw is now: its count, or ended or cancelled (no more button)."""
        draw = await self._draw(rows)
        if draw.message_id is None:
            return None  # not posted yet: the post will show all this
        return Delivery(
            render_post(draw, self.background.timezone_of(profile)),
            markup=post_keyboard(draw),
            edit=draw.message_id,
        )

    async def _draw_result(self, bot: Bot, profile: ChatProfile, rows: list[Due]) -> Delivery:
        draw = await self._draw(rows)

        async def record(session: AsyncSession, message_id: int) -> None:
            await self.background.services.draws(session).result_posted(draw.id, message_id)

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
        page = f"{self.web_url}/d/{draw.chat_id}/{draw.id}" if self.web_url else None
        return render_result(draw, entrants, names, page)

    def _service(self, session: AsyncSession) -> OutboxService:
        return OutboxService(session, self.background.clock)


async def send_post(bot: Bot, post: PostMessage) -> Message:
    """A scheduled post's content as the admin wrote it (their entities, not HTML)."""
    if post.photo_file_id:
        return await bot.send_photo(
            post.chat_id, post.photo_file_id, caption=post.text or None,
            caption_entities=post.entities, parse_mode=None, reply_markup=post.markup,
            message_thread_id=post.thread_id,
        )  # fmt: skip
    return await bot.send_message(
        post.chat_id, post.text, entities=post.entities, parse_mode=None,
        reply_markup=post.markup, message_thread_id=post.thread_id,
    )  # fmt: skip
