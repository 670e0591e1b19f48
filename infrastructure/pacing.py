"""The one pacing layer for outgoing messages: Telegram's limits are respected, not discovered.

Sends wait for a free slot in three sliding windows (the bot overall, the chat, and for groups
the per-minute limit), keep their order within a chat, and are retried on 429 and 5xx.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramForbiddenError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import EphemeralMessageParameters

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
# A send's slot is dated when its request completes, which is always after Telegram counted
# it: so however slow the network, two sends never arrive closer together than a window allows.
# The slack only covers clocks and rounding.
SLACK_SECONDS = 0.02
IN_FLIGHT = math.inf
MAX_RETRIES = 5
SERVER_ERROR_BACKOFF = (0.5, 1.0, 2.0)


def has_group_limit(chat_id: int | str) -> bool:
    """Groups and channels (negative ids, @usernames) also have the per-minute limit."""
    return isinstance(chat_id, str) or chat_id < 0


class Slot:
    __slots__ = ("at",)

    def __init__(self) -> None:
        self.at = IN_FLIGHT


class SlidingWindow:
    """At most `limit` sends in any `period` seconds."""

    def __init__(self, limit: int, period: float) -> None:
        self.limit = max(1, limit)
        self.period = period + SLACK_SECONDS
        self.slots: list[Slot] = []
        self.blocked_until = 0.0

    def next_slot(self, now: float) -> float:
        """When the next send may start; `inf` while every slot waits on a request in flight."""
        slot = max(now, self.blocked_until)
        if len(self.slots) >= self.limit:
            slot = max(slot, min(s.at for s in self.slots) + self.period)
        return slot

    def take(self, now: float) -> Slot:
        if len(self.slots) >= self.limit:
            self.slots.remove(min(self.slots, key=lambda s: s.at))  # it expired: next_slot said so
        slot = Slot()
        self.slots.append(slot)
        return slot

    def idle(self, now: float) -> bool:
        return now > self.blocked_until and all(now - s.at > self.period for s in self.slots)


@dataclass
class _ChatLane:
    windows: list[SlidingWindow]
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class Ticket(Protocol):
    """What one send holds; `done()` dates it when its request has completed."""

    async def done(self) -> None: ...


class Pacer(Protocol):
    """Gives each send its turn under the limits, and holds a chat Telegram answered 429."""

    async def wait_turn(self, chat_id: int | str) -> Ticket: ...

    async def hold(self, chat_id: int | str | None, seconds: float) -> None: ...


class LocalTicket:
    def __init__(self, slots: list[Slot], pacer: SendPacer) -> None:
        self.slots, self.pacer = slots, pacer

    async def done(self) -> None:
        now = asyncio.get_running_loop().time()
        for slot in self.slots:
            slot.at = now
        self.pacer.wake_waiters()


class SendPacer:
    """The limits kept in this process: right for one worker (see `SharedPacer` for several)."""

    def __init__(self, global_rate: float, chat_rate: float, group_per_minute: float) -> None:
        self.global_window = SlidingWindow(int(global_rate), 1.0)
        self.chat_rate = chat_rate
        self.group_per_minute = group_per_minute
        self._lanes: dict[int | str, _ChatLane] = {}
        self._completed = asyncio.Event()

    def _lane(self, chat_id: int | str) -> _ChatLane:
        lane = self._lanes.get(chat_id)
        if lane is None:
            if len(self._lanes) > 10_000:
                self._forget_idle_lanes()
            windows = [self._per_second(self.chat_rate)]
            if has_group_limit(chat_id):
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

    def wake_waiters(self) -> None:
        self._completed.set()
        self._completed = asyncio.Event()

    async def wait_turn(self, chat_id: int | str) -> LocalTicket:
        lane = self._lane(chat_id)
        loop = asyncio.get_running_loop()
        windows = [*lane.windows, self.global_window]
        async with lane.lock:  # one waiter per chat keeps the chat's messages in order
            while True:
                now = loop.time()
                slot = max(window.next_slot(now) for window in windows)
                if slot <= now:
                    return LocalTicket([window.take(now) for window in windows], self)
                completed = self._completed
                if slot == IN_FLIGHT:
                    await completed.wait()  # a send in flight decides when the next may go
                else:
                    await asyncio.sleep(slot - now)

    async def hold(self, chat_id: int | str | None, seconds: float) -> None:
        """Telegram said 429: nothing more to this chat (or at all) until it allows."""
        until = asyncio.get_running_loop().time() + seconds
        windows = self._lane(chat_id).windows if chat_id is not None else [self.global_window]
        for window in windows:
            window.blocked_until = max(window.blocked_until, until)


ForbiddenCallback = Callable[[int], Awaitable[None]]


class PacingMiddleware(BaseRequestMiddleware):
    def __init__(
        self,
        pacer: Pacer,
        on_forbidden: ForbiddenCallback | None = None,
        ephemeral_confirmed: Callable[[], bool] = lambda: True,
    ) -> None:
        self.pacer = pacer
        self.on_forbidden = on_forbidden
        # Whether the server has shown it sends ephemeral messages (an older one posts them
        # for everyone: then they are the group's, and paced so).
        self.ephemeral_confirmed = ephemeral_confirmed

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
        member = self._members_lane(method)
        lane = member if member is not None else chat_id
        paced = name in SENDING_METHODS and isinstance(lane, int | str)
        server_errors = 0
        for attempt in range(MAX_RETRIES + 1):
            ticket = await self.pacer.wait_turn(lane) if paced else None  # type: ignore[arg-type]
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                if attempt == MAX_RETRIES:
                    raise
                logger.warning("429 on %s to %s: retry in %ss", name, chat_id, error.retry_after)
                await self.pacer.hold(lane if paced else None, error.retry_after)
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
            finally:
                if ticket is not None:
                    await ticket.done()
        raise AssertionError("unreachable")

    def _members_lane(self, method: TelegramMethod[Any]) -> int | None:
        """An ephemeral message is one member's, not one of the group's 20 a minute (our
        reading: Telegram documents no limit for them), so it is paced in that member's lane.
        An answer to a press or to an ephemeral command must go within 15 seconds: it never
        waits behind the group's queue (an ephemeral command shows the server has them; the
        first press answer on an unproven server may be one public message paced as a
        member's). Any other waits until the server has shown it sends them."""
        ephemeral = getattr(method, "ephemeral_message_parameters", None)
        if not isinstance(ephemeral, EphemeralMessageParameters):
            return None
        reply = getattr(method, "reply_parameters", None)
        if (
            ephemeral.callback_query_id is not None
            or (reply is not None and reply.ephemeral_message_id is not None)
            or self.ephemeral_confirmed()
        ):
            return ephemeral.receiver_user_id
        return None
