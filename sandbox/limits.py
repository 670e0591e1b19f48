"""Telegram's flood limits and injected faults, both switchable per test."""

from __future__ import annotations

import math
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field

from sandbox.errors import BotApiError


@dataclass
class LimitConfig:
    enabled: bool = False
    global_per_sec: float = 30
    chat_per_sec: float = 1
    group_per_min: float = 20


class FloodControl:
    """Counts message sends in sliding windows, as Telegram does, and answers 429 past them."""

    def __init__(self, config: LimitConfig | None = None) -> None:
        self.config = config or LimitConfig()
        self._global: deque[float] = deque()
        self._chat: defaultdict[int, deque[float]] = defaultdict(deque)
        self._group: defaultdict[int, deque[float]] = defaultdict(deque)
        self.rejected = 0

    def check(self, chat_id: int, is_group: bool) -> None:
        if not self.config.enabled:
            return
        now = time.monotonic()
        windows = [
            (self._global, self.config.global_per_sec, 1.0),
            (self._chat[chat_id], self.config.chat_per_sec, 1.0),
        ]
        if is_group:
            windows.append((self._group[chat_id], self.config.group_per_min, 60.0))
        wait = 0.0
        for times, limit, period in windows:
            while times and now - times[0] >= period:
                times.popleft()
            if len(times) >= max(1, int(limit)):
                wait = max(wait, times[0] + period - now)
        if wait > 0:
            self.rejected += 1
            retry_after = max(1, math.ceil(wait))
            raise BotApiError(
                429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
            )
        for times, _, _ in windows:
            times.append(now)


@dataclass
class Fault:
    """What the next `count` matching requests get instead of a normal answer."""

    kind: str  # "500", "502", "429", "403", "slow", "drop", "hang"
    method: str = "*"
    count: int = 1
    retry_after: int = 1
    delay: float = 1.0
    chat_id: int | None = None


@dataclass
class FaultPlan:
    faults: list[Fault] = field(default_factory=list)

    def take(self, method: str, chat_id: int | None) -> Fault | None:
        for fault in self.faults:
            if fault.method not in ("*", method):
                continue
            if fault.chat_id is not None and fault.chat_id != chat_id:
                continue
            fault.count -= 1
            if fault.count <= 0:
                self.faults.remove(fault)
            return fault
        return None
