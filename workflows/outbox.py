"""The one sender of outbox messages (`services/outbox.py`): what the bot says on its own.

Only the scheduler-lock holder runs it, so several workers send at one process's pace. Every
second it claims the rows that are due (a gathered kind once its moment has waited its
gathering time), renders each chat's rows in the chat's language, sends them through the
pacing layer, and records the outcome: sent with the message id; a 429 retried after its
`retry_after`; a 5xx or a network error retried with back-off; a 400 or 403 failed (a 403 also
marks the chat inactive, in the pacing layer). Rows past their grace are skipped and logged.
No transaction is open while a request waits on the network.

What a row says is its feature's: the sender reads a claimed row as its kind's payload class
(`services/<feature>_messages.py`; a row that does not read fails, and is logged) and hands it
to the renderer the feature registered (`workflows/<feature>_messages.py`, see
`workflows/delivery.py`). A new feature adds its renderers' module to `RENDERERS`: one line here.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict, deque
from collections.abc import Mapping
from contextlib import suppress
from datetime import timedelta
from typing import TypeVar

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from infrastructure.background import Background
from services.outbox import (
    CLAIM_LIMIT,
    MAX_ATTEMPTS,
    Deletion,
    Due,
    OutboxPayload,
    OutboxService,
    UnreadablePayload,
)
from views.posts import PostMessage
from views.rights import DELETE, PIN, TOPICS
from workflows import (
    cadence_messages,
    campaign_messages,
    draw_messages,
    event_messages,
    expiry_messages,
    group_buy_messages,
    jielong_messages,
    member_tags,
    moderation_messages,
    order_messages,
    post_messages,
    push_messages,
    quest_messages,
    raid_messages,
    referral_messages,
    report_messages,
    rights_messages,
    shop_messages,
    staff_messages,
    tier_messages,
    topic_messages,
    vip_messages,
    welcome_messages,
)
from workflows.delivery import Delivery, RenderContext, Renderers
from workflows.rights import RightsNotices
from workflows.topics import ForumTopics

logger = logging.getLogger(__name__)
P = TypeVar("P", bound=OutboxPayload)
SEND_EVERY = 0.5  # seconds between two looks for what is due
DELETE_AT_ONCE = 100  # deleteMessages takes 1 to 100 ids
# A refused batch's messages deleted one by one: 20 calls a second, under the bot's overall ~30
# (Telegram documents no limit of its own for deletions).
DELETE_ONE_EVERY = 0.05
# Failures that pass: the row is tried again later rather than given up.
PASSING = (TelegramRetryAfter, TelegramServerError, TelegramNetworkError)
CHATS_AT_ONCE = 32  # a little over the bot's 30 messages/s: the pacing layer is the limit

# Every feature's message kinds with their renderers, joined as the dispatcher joins routers:
# a new feature adds its module here (`workflows/delivery.py` says what one holds).
RENDERERS = Renderers.of(
    cadence_messages.renderers,
    campaign_messages.renderers,
    draw_messages.renderers,
    event_messages.renderers,
    expiry_messages.renderers,
    group_buy_messages.renderers,
    jielong_messages.renderers,
    member_tags.renderers,
    moderation_messages.renderers,
    order_messages.renderers,
    post_messages.renderers,
    push_messages.renderers,
    raid_messages.renderers,
    quest_messages.renderers,
    referral_messages.renderers,
    report_messages.renderers,
    rights_messages.renderers,
    shop_messages.renderers,
    staff_messages.renderers,
    tier_messages.renderers,
    topic_messages.renderers,
    vip_messages.renderers,
    welcome_messages.renderers,
)
# How late each kind may still go out: the deletions, which the sender carries out itself, too.
GRACE = RENDERERS.grace() | {Deletion.kind: Deletion.grace}


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
        topics: ForumTopics | None = None,
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
            claimed = await self._service(session).claim(self.gather, GRACE)
        groups: dict[tuple[int, str], list[Due]] = defaultdict(list)
        for row in claimed:
            if row.late:
                logger.warning("outbox: %s for chat %s skipped, too late", row.kind, row.chat_id)
                continue
            # Gathered kinds go out as one message per chat; any other row as its own.
            gathered = RENDERERS.gathered(row.kind)
            groups[(row.chat_id, row.kind if gathered else str(row.id))].append(row)
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
                    if rows[0].kind == Deletion.kind:
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
        renderer = RENDERERS.get(kind)
        if profile is None or not profile.active or renderer is None:
            await self._not_sent(ids, "no such chat, or kind")
            return 0
        read = await self._read(renderer.payload, rows)
        if not read:
            return 0
        rows, ids = [row for row, _ in read], [row.id for row, _ in read]
        context = RenderContext(bot, self.background, self.topics, self.web_url, self.notices)
        try:
            with self.background.speaking(profile):
                delivery = await renderer.render(context, profile, [payload for _, payload in read])
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

    async def _read(self, payload: type[P], rows: list[Due]) -> list[tuple[Due, P]]:
        """The rows with their payloads, read as `payload`: a row whose JSON is none fails (and
        is logged), the others of its moment still go out."""
        read = []
        for row in rows:
            try:
                read.append((row, payload.from_json(row.payload)))
            except UnreadablePayload as unreadable:
                await self._not_sent([row.id], f"unreadable payload: {unreadable}")
        return read

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
            edited = await (
                bot.edit_message_caption(caption=delivery.text, chat_id=chat_id,
                                         message_id=delivery.edit, reply_markup=delivery.markup)
                if delivery.edit_caption
                else bot.edit_message_text(text=delivery.text, chat_id=chat_id,
                                           message_id=delivery.edit, reply_markup=delivery.markup)
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
                deletion = Deletion(message_ids=(message_id,))
                await service.add(chat_id, deletion, f"delete:{ids[0]}", due_at=due)

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
        """Messages whose time is up (a welcome, a purge): gone, or staying if the bot may not
        delete them; a 429 or a server error puts the row back for later, so none is left."""
        try:
            deletion = Deletion.from_json(row.payload)
        except UnreadablePayload as unreadable:
            await self._not_sent([row.id], f"unreadable payload: {unreadable}")
            return 0
        ids = list(deletion.message_ids)
        size = DELETE_AT_ONCE if deletion.at_once else 1
        refused = False
        try:
            for chunk in (ids[i : i + size] for i in range(0, len(ids), size)):
                refused |= not await self._delete_chunk(bot, row.chat_id, chunk)
        except TelegramRetryAfter as busy:  # past the pacing layer's own retries: later
            await self._not_sent([row.id], str(busy), retry_after=float(busy.retry_after))
            return 0
        except (TelegramServerError, TelegramNetworkError) as trouble:
            await self._not_sent([row.id], str(trouble), retry_after=backoff([row]))
            return 0
        await self._sent([row.id], None)
        if refused:
            await self.notices.check(bot, row.chat_id, DELETE)
        return 1

    async def _delete_chunk(self, bot: Bot, chat_id: int, chunk: list[int]) -> bool:
        """Delete the chunk; False if Telegram refused some of it. deleteMessages skips the ids
        it can't find, but refuses the whole call for one it may not delete (a topic's opening
        message, one past 48 hours): then each is deleted on its own, paced, so one message
        that must stay does not keep up to 99 others."""
        if len(chunk) > 1:
            try:
                await bot.delete_messages(chat_id, chunk)
                return True
            except PASSING:
                raise
            except TelegramBadRequest as error:
                logger.info("messages %s in chat %s: %s; one by one", chunk, chat_id, error)
            except TelegramAPIError as error:  # 403: the bot is out of the chat
                logger.info("messages %s in chat %s stay: %s", chunk, chat_id, error)
                return False
        deleted_all = True
        for n, message_id in enumerate(chunk):
            if n:
                await asyncio.sleep(DELETE_ONE_EVERY)
            try:
                await bot.delete_message(chat_id, message_id)
            except PASSING:
                raise  # the row goes back; those deleted already are skipped next time
            except TelegramForbiddenError as error:
                logger.info("messages %s in chat %s stay: %s", chunk[n:], chat_id, error)
                return False
            except TelegramAPIError as error:  # no right to delete, too old, or gone already
                logger.info("message %s in chat %s stays: %s", message_id, chat_id, error)
                deleted_all = False
        return deleted_all

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
