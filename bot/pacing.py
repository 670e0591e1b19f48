"""The one pacing layer for outgoing messages: Telegram's limits are respected, not discovered.

Sends wait for a free slot in three sliding windows (the bot overall, the chat, and for groups
the per-minute limit), keep their order within a chat, and are retried on 429 and 5xx.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramForbiddenError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

logger = logging.getLogger(__name__)

# Methods that put a new message in a chat: these are what Telegram's rate limits count.
SENDING_METHODS = frozenset(
    {
        "sendMessage", "sendPhoto", "sendDocument", "sendVideo", "sendAnimation", "sendAudio",
        "sendVoice", "sendVideoNote", "sendSticker", "sendMediaGroup", "sendPoll", "sendDice",
        "sendLocation", "sendVenue", "sendContact", "copyMessage", "copyMessages",
        "forwardMessage", "forwardMessages",
    }
)  # fmt: skip
# Room for the time between taking a slot here and Telegram stamping the request.
JITTER_FACTOR = 1.05
JITTER_SECONDS = 0.15
MAX_RETRIES = 5
SERVER_ERROR_BACKOFF = (0.5, 1.0, 2.0)


class SlidingWindow:
    """At most `limit` events in any `period` seconds."""

    def __init__(self, limit: int, period: float) -> None:
        self.limit = max(1, limit)
        self.period = period * JITTER_FACTOR + JITTER_SECONDS
        self.times: deque[float] = deque(maxlen=self.limit)
        self.blocked_until = 0.0

    def next_slot(self, now: float) -> float:
        slot = max(now, self.blocked_until)
        if len(self.times) == self.limit:
            slot = max(slot, self.times[0] + self.period)
        return slot

    def take(self, now: float) -> None:
        self.times.append(now)

    def idle(self, now: float) -> bool:
        return (not self.times or now - self.times[-1] > self.period) and now > self.blocked_until


@dataclass
class _ChatLane:
    windows: list[SlidingWindow]
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class SendPacer:
    def __init__(self, global_rate: float, chat_rate: float, group_per_minute: float) -> None:
        self.global_window = SlidingWindow(int(global_rate), 1.0)
        self.chat_rate = chat_rate
        self.group_per_minute = group_per_minute
        self._lanes: dict[int | str, _ChatLane] = {}

    def _lane(self, chat_id: int | str) -> _ChatLane:
        lane = self._lanes.get(chat_id)
        if lane is None:
            if len(self._lanes) > 10_000:
                self._forget_idle_lanes()
            windows = [self._per_second(self.chat_rate)]
            if isinstance(chat_id, str) or chat_id < 0:  # groups and channels
                windows.append(SlidingWindow(int(self.group_per_minute), 60.0))
            lane = self._lanes[chat_id] = _ChatLane(windows)
        return lane

    @staticmethod
    def _per_second(rate: float) -> SlidingWindow:
        # Below one a second (say 0.5/s) it is one message per 1/rate seconds.
        return SlidingWindow(int(rate), 1.0) if rate >= 1 else SlidingWindow(1, 1.0 / rate)

    def _forget_idle_lanes(self) -> None:
        now = asyncio.get_running_loop().time()
        for chat_id, lane in list(self._lanes.items()):
            if not lane.lock.locked() and all(window.idle(now) for window in lane.windows):
                del self._lanes[chat_id]

    async def wait_turn(self, chat_id: int | str) -> None:
        lane = self._lane(chat_id)
        loop = asyncio.get_running_loop()
        windows = [*lane.windows, self.global_window]
        async with lane.lock:  # one waiter per chat keeps the chat's messages in order
            while True:
                now = loop.time()
                slot = max(window.next_slot(now) for window in windows)
                if slot <= now:
                    for window in windows:
                        window.take(now)
                    return
                await asyncio.sleep(slot - now)

    def hold(self, chat_id: int | str | None, seconds: float) -> None:
        """Telegram said 429: nothing more to this chat (or at all) until it allows."""
        until = asyncio.get_running_loop().time() + seconds
        windows = self._lane(chat_id).windows if chat_id is not None else [self.global_window]
        for window in windows:
            window.blocked_until = max(window.blocked_until, until)


ForbiddenCallback = Callable[[int], Awaitable[None]]


class PacingMiddleware(BaseRequestMiddleware):
    def __init__(self, pacer: SendPacer, on_forbidden: ForbiddenCallback | None = None) -> None:
        self.pacer = pacer
        self.on_forbidden = on_forbidden

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        name = method.__api_method__
        if name == "getUpdates":  # the polling loop has its own back-off
            return await make_request(bot, method)
        chat_id = getattr(method, "chat_id", None)
        paced = name in SENDING_METHODS and isinstance(chat_id, int | str)
        server_errors = 0
        for attempt in range(MAX_RETRIES + 1):
            if paced:
                await self.pacer.wait_turn(chat_id)  # type: ignore[arg-type]
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                if attempt == MAX_RETRIES:
                    raise
                logger.warning("429 on %s to %s: retry in %ss", name, chat_id, error.retry_after)
                self.pacer.hold(chat_id if paced else None, error.retry_after)
                if not paced:
                    await asyncio.sleep(error.retry_after)
            except TelegramServerError:
                if server_errors == len(SERVER_ERROR_BACKOFF):
                    raise
                await asyncio.sleep(SERVER_ERROR_BACKOFF[server_errors])
                server_errors += 1
            except TelegramForbiddenError:
                if self.on_forbidden is not None and isinstance(chat_id, int):
                    await self.on_forbidden(chat_id)
                raise
        raise AssertionError("unreachable")
