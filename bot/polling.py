"""Long polling that confirms an update only after it was handled.

aiogram's own loop confirms each update as soon as it is fetched, so a crash loses whatever was
in flight. Here the offset sent to Telegram stays at the oldest update still being handled and
moves on with the next getUpdates the moment it finishes. An update still running after
`MAX_HOLD` seconds (a reply queued behind a group's rate limit) stops holding the offset, so one
busy chat cannot stall the others.

Updates from one member in one chat are handled in the order they came ("/settings language en"
then "/start" answers in English); different members and chats run concurrently.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from functools import partial
from typing import Any, TypeVar

from aiogram import Bot, Dispatcher
from aiogram.methods import GetUpdates
from aiogram.types import Update
from aiogram.utils.backoff import Backoff, BackoffConfig

from infrastructure.transient import is_transient

logger = logging.getLogger(__name__)
T = TypeVar("T")

BACKOFF = BackoffConfig(min_delay=1.0, max_delay=30.0, factor=1.6, jitter=0.1)
MAX_HOLD = 10.0
TRANSIENT_PAUSES = (0.5, 1.0, 2.0, 4.0, 8.0)  # about 15 s for the database or Redis to return
MAX_IN_FLIGHT = 1000
IDLE_RECHECK = 0.1
SHUTDOWN_GRACE = 10.0  # how soon to ask again when Telegram only returned updates still running


class Stopped(Exception):
    pass


class ConfirmingPoller:
    def __init__(
        self,
        dispatcher: Dispatcher,
        bot: Bot,
        allowed_updates: list[str],
        timeout: int = 25,
        **workflow_data: Any,
    ) -> None:
        self.dispatcher = dispatcher
        self.bot = bot
        self.allowed_updates = allowed_updates
        self.timeout = timeout
        self.workflow_data = workflow_data
        self._in_flight: dict[int, tuple[float, asyncio.Task[None]]] = {}
        self._latest: dict[tuple[int, int], asyncio.Task[None]] = {}  # per (chat, member)
        # Messages being handled, per (chat, message): a reply waits for the message it
        # answers (a reply to a topic reply must find that reply recorded).
        self._messages: dict[tuple[int, int], asyncio.Task[None]] = {}
        self._next_offset: int | None = None  # one past the newest update started
        self._finished = asyncio.Event()

    def confirm_offset(self) -> int | None:
        """The oldest update still held, else one past the newest seen."""
        now = time.monotonic()
        held = [uid for uid, (started, _) in self._in_flight.items() if now - started < MAX_HOLD]
        return min(held) if held else self._next_offset

    async def run(self, stop: asyncio.Event) -> None:
        backoff = Backoff(BACKOFF)
        try:
            while not stop.is_set():
                try:
                    if len(self._in_flight) >= MAX_IN_FLIGHT:
                        await self._until_finished(stop, timeout=IDLE_RECHECK)
                        continue
                    updates = await self._race(self._get_updates(), stop)
                except Stopped:
                    break
                except Exception as error:  # noqa: BLE001 - polling must survive any failure
                    logger.warning(
                        "getUpdates failed (%s: %s); retry in %.1fs",
                        type(error).__name__, error, backoff.next_delay,
                    )  # fmt: skip
                    await backoff.asleep()
                    continue
                backoff.reset()
                started = sum(self._start(update) for update in updates)
                if updates and not started:
                    # Only updates still running came back: wait for one to finish, then ask.
                    await self._until_finished(stop, timeout=IDLE_RECHECK)
        finally:
            await self._drain()
            await self._confirm_on_exit()

    async def _drain(self) -> None:
        """Let running updates finish; past the grace period cancel them, unconfirmed, so
        Telegram hands them over again after the restart."""
        tasks = [task for _, task in self._in_flight.values()]
        if not tasks:
            return
        _, running = await asyncio.wait(tasks, timeout=SHUTDOWN_GRACE)
        if not running:
            return
        unfinished = [uid for uid, (_, task) in self._in_flight.items() if task in running]
        for task in running:
            task.cancel()
        await asyncio.wait(running)
        # Confirm only what came before the first unfinished update.
        self._next_offset = min(unfinished)
        logger.warning("stopped %d running updates; Telegram will send them again", len(unfinished))

    async def _race(self, work: Awaitable[T], stop: asyncio.Event) -> T:
        task = asyncio.ensure_future(work)
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not task.done():
            task.cancel()
            raise Stopped
        return task.result()

    async def _until_finished(self, stop: asyncio.Event, timeout: float) -> None:
        self._finished.clear()
        waiters = {asyncio.create_task(self._finished.wait()), asyncio.create_task(stop.wait())}
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()

    async def _get_updates(self) -> list[Update]:
        return await self.bot(
            GetUpdates(
                offset=self.confirm_offset(),
                timeout=self.timeout,
                allowed_updates=self.allowed_updates,
            ),
            request_timeout=self.timeout + 30,
        )

    def _start(self, update: Update) -> bool:
        update_id = update.update_id
        if update_id in self._in_flight or update_id < (self._next_offset or 0):
            return False  # still running, or handled already
        self._next_offset = update_id + 1
        key = ordering_key(update)
        message = update.message
        answered = message.reply_to_message if message is not None else None
        before = [
            task
            for task in (
                self._latest.get(key) if key else None,
                self._messages.get((message.chat.id, answered.message_id))
                if message is not None and answered is not None
                else None,
            )
            if task is not None
        ]
        task = asyncio.create_task(self._handle(update, before))
        self._in_flight[update_id] = (time.monotonic(), task)
        if key is not None:
            self._latest[key] = task
            task.add_done_callback(partial(forget, self._latest, key))
        if message is not None:
            sent = (message.chat.id, message.message_id)
            self._messages[sent] = task
            task.add_done_callback(partial(forget, self._messages, sent))
        return True

    async def _handle(self, update: Update, before: list[asyncio.Task[None]]) -> None:
        try:
            if before:
                # The same member's previous update, and the message this one answers, first.
                await asyncio.wait(before)
            await self._feed(update)
        except Exception:
            logger.exception("update %s failed", update.update_id)
        finally:
            del self._in_flight[update.update_id]
            self._finished.set()

    async def _feed(self, update: Update) -> None:
        """The update, tried again after a pause while the database or Redis is away (its
        writes are idempotent); past the last pause it fails like any other."""
        for pause in (*TRANSIENT_PAUSES, None):
            try:
                await self.dispatcher.feed_update(self.bot, update, **self.workflow_data)
                return
            except Exception as error:
                if pause is None or not is_transient(error):
                    raise
            await asyncio.sleep(pause)

    async def _confirm_on_exit(self) -> None:
        """A clean stop confirms what it handled, so a restart does not see it again."""
        if self._next_offset is None:
            return
        try:
            await self.bot(GetUpdates(offset=self._next_offset, timeout=0, limit=1))
        except Exception as error:  # noqa: BLE001 - best effort on the way out
            logger.warning("could not confirm the last updates: %s", error)


def forget(
    table: dict[tuple[int, int], asyncio.Task[None]], key: tuple[int, int], task: asyncio.Task[None]
) -> None:
    if table.get(key) is task:
        del table[key]


def ordering_key(update: Update) -> tuple[int, int] | None:
    """(chat, member) of an update, for keeping one member's updates in order."""
    event = update.event
    chat = getattr(event, "chat", None) or getattr(getattr(event, "message", None), "chat", None)
    user = getattr(event, "from_user", None)
    if chat is None and user is None:
        return None
    return (chat.id if chat else 0, user.id if user else 0)
