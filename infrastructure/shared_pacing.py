"""Telegram's limits shared by every worker of one bot, in Redis.

Telegram counts a bot's sends wherever they come from: two workers each keeping 1/s to a chat
send 2/s together and draw 429s. With `REDIS_URL` the windows live in Redis instead: one sorted
set of send times per window (the bot, the chat, a group's minute), checked and taken by one
Lua script, so no two workers take the last slot of a window. The times are Redis's own clock,
so the workers' clocks never matter. A 429 seen by one worker holds the chat for all of them.

A slot is taken "in flight" (dated a lease ahead, as if the send were still going on) and
dated by `done()` when its request completes, as the local pacer does: however slow the
network, two sends never reach Telegram closer together than a window allows. A worker killed
mid-send leaves its slot to expire with the lease.

If Redis cannot be reached, the worker falls back to its own limits (`SendPacer`) with one
warning, tries Redis again every few seconds, and says so when it is back.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from infrastructure.pacing import LocalTicket, SendPacer, SlidingWindow, has_group_limit

logger = logging.getLogger(__name__)

PREFIX = "fanbot:pace:"
LEASE_MS = 10_000  # the longest a send is taken to be in flight (aiohttp's own timeout is less)
IN_FLIGHT_POLL = 0.05  # a send in flight in another worker: look again this often
RETRY_REDIS_SECONDS = 5.0

# KEYS: the windows' sorted sets, then the hold keys (the chat's, the bot's).
# ARGV: the slot's id, the lease, the number of windows, then limit and period (ms) of each.
# Returns {0} when the slot was taken, else {milliseconds to wait, 1 if a send in flight decides}.
TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[2])
local windows = tonumber(ARGV[3])
local wait, in_flight = 0, 0
for i = windows + 1, #KEYS do
  local held = redis.call('PTTL', KEYS[i])
  if held > wait then wait = held end
end
for i = 1, windows do
  local limit, period = tonumber(ARGV[2 + 2 * i]), tonumber(ARGV[3 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - period)
  if redis.call('ZCARD', KEYS[i]) >= limit then
    local oldest = tonumber(redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')[2])
    if oldest + period - now > wait then
      wait = oldest + period - now
      in_flight = oldest > now and 1 or 0
    end
  end
end
if wait > 0 then return {wait, in_flight} end
for i = 1, windows do
  redis.call('ZADD', KEYS[i], now + lease, ARGV[1])
  redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[3 + 2 * i]) + lease)
end
return {0}
"""
# KEYS: the windows the slot was taken in; ARGV: the slot's id.
DONE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 1, #KEYS do redis.call('ZADD', KEYS[i], 'XX', now, ARGV[1]) end
return 0
"""
# KEYS: the hold key; ARGV: milliseconds. A longer hold already set stays.
HOLD = """
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], 1, 'PX', ARGV[1])
end
return 0
"""


class SharedTicket:
    def __init__(self, pacer: SharedPacer, keys: list[str], slot: str) -> None:
        self.pacer, self.keys, self.slot = pacer, keys, slot

    async def done(self) -> None:
        try:
            await self.pacer.done_script(keys=self.keys, args=[self.slot])
        except RedisError:  # the lease dates it instead, a little later than it went
            self.pacer.lost_redis()


class SharedPacer:
    def __init__(
        self, redis: Redis, global_rate: float, chat_rate: float, group_per_minute: float
    ) -> None:
        self.redis = redis
        self.local = SendPacer(global_rate, chat_rate, group_per_minute)
        # The same windows as the local pacer's (their periods include its slack).
        self.global_window = self.local.global_window
        self.chat_window = SendPacer._per_second(chat_rate)
        self.group_window = SlidingWindow(int(group_per_minute), 60.0)
        self.take_script = redis.register_script(TAKE)
        self.done_script = redis.register_script(DONE)
        self.hold_script = redis.register_script(HOLD)
        self._chat_locks: dict[int | str, asyncio.Lock] = {}
        self._redis_retry_at: float | None = None  # set while Redis is away

    @property
    def shared(self) -> bool:
        """Whether sends are paced in Redis now (else by this worker's own limits)."""
        return self._redis_retry_at is None

    def lost_redis(self) -> None:
        if self._redis_retry_at is None:
            logger.warning(
                "Redis is unreachable: pacing sends with this worker's own limits until it is back"
            )
        self._redis_retry_at = time.monotonic() + RETRY_REDIS_SECONDS

    def _redis_usable(self) -> bool:
        return self._redis_retry_at is None or time.monotonic() >= self._redis_retry_at

    def _found_redis(self) -> None:
        if self._redis_retry_at is not None:
            logger.warning("Redis is back: sends are paced with the other workers again")
            self._redis_retry_at = None

    def _windows(self, chat_id: int | str) -> list[tuple[str, SlidingWindow]]:
        windows = [
            (f"{PREFIX}bot", self.global_window),
            (f"{PREFIX}chat:{chat_id}", self.chat_window),
        ]
        if has_group_limit(chat_id):
            windows.append((f"{PREFIX}group:{chat_id}", self.group_window))
        return windows

    async def wait_turn(self, chat_id: int | str) -> SharedTicket | LocalTicket:
        lock = self._chat_locks.get(chat_id)
        if lock is None:
            if len(self._chat_locks) > 10_000:
                self._chat_locks = {k: v for k, v in self._chat_locks.items() if v.locked()}
            lock = self._chat_locks[chat_id] = asyncio.Lock()
        async with lock:  # one waiter per chat keeps this worker's messages to it in order
            while self._redis_usable():
                try:
                    ticket, wait = await self._try_take(chat_id)
                except RedisError:
                    self.lost_redis()
                    break
                self._found_redis()
                if ticket is not None:
                    return ticket
                await asyncio.sleep(wait)
        return await self.local.wait_turn(chat_id)

    async def _try_take(self, chat_id: int | str) -> tuple[SharedTicket | None, float]:
        windows = self._windows(chat_id)
        keys = [key for key, _ in windows]
        slot = uuid.uuid4().hex
        args: list[Any] = [slot, LEASE_MS, len(windows)]
        for _, window in windows:  # only their limits and periods: the slots are in Redis
            args += [window.limit, int(window.period * 1000)]
        holds = [f"{PREFIX}hold:{chat_id}", f"{PREFIX}hold"]
        answer = await self.take_script(keys=keys + holds, args=args)
        if int(answer[0]) == 0:
            return SharedTicket(self, keys, slot), 0.0
        wait, in_flight = int(answer[0]) / 1000, int(answer[1])
        return None, min(wait, IN_FLIGHT_POLL) if in_flight else wait

    async def hold(self, chat_id: int | str | None, seconds: float) -> None:
        """Telegram said 429: no worker sends to this chat (or at all) until it allows."""
        await self.local.hold(chat_id, seconds)
        key = f"{PREFIX}hold:{chat_id}" if chat_id is not None else f"{PREFIX}hold"
        try:
            await self.hold_script(keys=[key], args=[max(1, int(seconds * 1000))])
        except RedisError:
            self.lost_redis()
