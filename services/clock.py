"""The one clock: services ask it for the time, so tests can set it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def today_in(self, timezone: str) -> date:
        return self.now().astimezone(ZoneInfo(timezone)).date()


class FrozenClock(Clock):
    """A clock that stands still until moved; for tests and replays."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def set(self, at: datetime) -> None:
        self.at = at


def is_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
