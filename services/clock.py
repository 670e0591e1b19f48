"""The one clock: services ask it for the time, so tests can set it."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DURATION = re.compile(r"^(\d{1,5})([smhd])$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


# How far ahead an end typed as `ends=` may be: a draw's, a 接龙's, a 拼团's.
SOONEST_END = timedelta(seconds=10)
LATEST_END = timedelta(days=90)


def end_typed(value: str, now: datetime, timezone: str) -> datetime | None:
    """`30m`, `2h`, `7d` from now, or `2026-12-01 20:00` in `timezone`: the moment, when it is
    10 s to 90 days ahead; None when unreadable or out of that range."""
    length = parse_duration(value)
    if length is not None:
        ends_at = now + length
    else:
        try:
            local = datetime.strptime(value, "%Y-%m-%d %H:%M")
        except ValueError:
            return None
        ends_at = local.replace(tzinfo=ZoneInfo(timezone))
    return ends_at if now + SOONEST_END <= ends_at <= now + LATEST_END else None


def parse_duration(text: str) -> timedelta | None:
    """`30s`, `10m`, `2h`, `7d`; None for anything else."""
    found = DURATION.match(text.strip().lower())
    return None if found is None else timedelta(**{UNITS[found[2]]: int(found[1])})


CLOCK_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def clock_time(text: str) -> str | None:
    """`9:30` or `09:30` as "09:30"; None when it is not a time of day."""
    found = CLOCK_TIME.match(text.strip())
    return None if found is None else f"{int(found[1]):02d}:{found[2]}"


def format_duration(seconds: int) -> str:
    """The shortest form `parse_duration` reads back: 90 -> "90s", 600 -> "10m"."""
    for unit, size in (("d", 86_400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def local_day(moment: datetime, timezone: str) -> date:
    """The calendar day `moment` falls on in `timezone`."""
    return moment.astimezone(ZoneInfo(timezone)).date()


def start_of(day: date, timezone: str) -> datetime:
    """Local midnight at the start of `day` in `timezone`."""
    return datetime.combine(day, time(), tzinfo=ZoneInfo(timezone))


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def today_in(self, timezone: str) -> date:
        return local_day(self.now(), timezone)


class FrozenClock(Clock):
    """A clock that stands still until moved; for tests and replays."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def set(self, at: datetime) -> None:
        self.at = at


MAX_TIMEZONE = 64  # the longest IANA name is 32 characters; longer input is not a zone


def is_timezone(name: str) -> bool:
    """Whether `name` is an IANA time zone; any other text (a path, a 300-byte word, a NUL)
    is simply not one."""
    if not name or len(name) > MAX_TIMEZONE:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name the disk refuses
        return False
    return True
