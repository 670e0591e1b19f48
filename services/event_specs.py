"""What `/event new` (and the console's form) asks for: the title, the start and the options."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from services.clock import parse_duration
from services.tiers import Tier
from services.words import OptionsOutOfOrder, head_and_options

MAX_TITLE = 200
MAX_PLACE = 200
MAX_AHEAD = timedelta(days=366)
DEFAULT_LENGTH = timedelta(hours=2)
ONLINE = ("online", "线上", "直播")
OPTIONS = (
    "ends", "place", "capacity", "cost", "min_tier", "priority", "guests", "keyword", "start",
    "draw",
)  # fmt: skip
LOCAL = re.compile(r"^\d{4}-\d{2}-\d{2}$")
HOUR = re.compile(r"^\d{1,2}:\d\d$")


class EventInputError(ValueError):
    """Which part of `/event new` could not be used: "title", "start", "ends", "capacity", …"""


@dataclass(frozen=True, slots=True)
class EventSpec:
    title: str
    starts_at: datetime
    ends_at: datetime
    place: str | None = None
    online: bool = False
    capacity: int | None = None
    cost: int = 0
    guests: int = 0
    min_tier: Tier | None = None
    priority_tier: Tier | None = None
    priority_for: timedelta | None = None
    keyword: str | None = None
    draw: str | None = None  # an online session's keyword draw: its prize (needs keyword=)


def _split(args: str) -> tuple[list[str], dict[str, str]]:
    """The words before the options, and the options (`ends=2026-12-20 18:00` keeps its hour)."""
    try:
        plain, options = head_and_options(args, OPTIONS, _a_day_takes_an_hour)
    except OptionsOutOfOrder as error:
        raise EventInputError(error.field or "title") from None  # the title and start come first
    return plain, options


def _a_day_takes_an_hour(name: str, value: str) -> bool:
    """`start=2026-12-20 18:00`: a day given to any option takes the hour typed after it."""
    return LOCAL.match(value) is not None


def moment(text: str, now: datetime, timezone: str) -> datetime | None:
    """`2026-12-20 14:00` in the group's zone, or `3d` / `2h` from now; None if neither."""
    length = parse_duration(text)
    if length is not None:
        return now + length
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=ZoneInfo(timezone))
    except ValueError:
        return None


def parse_event(args: str, now: datetime, timezone: str, ladder: Sequence[Tier]) -> EventSpec:
    """`<title> <start> [ends=…] [place=…] [capacity=N] [cost=N] [guests=N] [min_tier=…]
    [priority=Gold:24h] [keyword=… draw=<prize>]`; the start is `2026-12-20 14:00` or `3d`,
    after the title."""
    plain, options = _split(args)
    if len(plain) >= 3 and LOCAL.match(plain[-2]) and HOUR.match(plain[-1]):
        title, start = plain[:-2], f"{plain[-2]} {plain[-1]}"
    elif len(plain) >= 2:
        title, start = plain[:-1], plain[-1]
    else:
        raise EventInputError("title" if not plain else "start")
    return event_spec(" ".join(title), start, options, now, timezone, ladder)


def event_spec(
    text: str,
    start: str,
    options: dict[str, str],
    now: datetime,
    timezone: str,
    ladder: Sequence[Tier],
) -> EventSpec:
    """The rules of an event, for `/event new` and the console's form alike: the title, the
    start as typed and the options by their `/event new` names (`place="online"` for a session)."""
    if not text or len(text) > MAX_TITLE:
        raise EventInputError("title")
    starts_at = moment(start, now, timezone)
    if starts_at is None or not now < starts_at <= now + MAX_AHEAD:
        raise EventInputError("start")
    ends_at = starts_at + DEFAULT_LENGTH
    if "ends" in options:
        ends = moment(options["ends"], starts_at, timezone)  # `3h`: after the start
        if ends is None or not starts_at < ends <= starts_at + timedelta(days=30):
            raise EventInputError("ends")
        ends_at = ends
    place = options.get("place")
    online = place is not None and place.casefold() in ONLINE
    if place is not None and not 0 < len(place) <= MAX_PLACE:
        raise EventInputError("place")
    priority_tier, priority_for = None, None
    if "priority" in options:
        name, _colon, window = options["priority"].rpartition(":")
        priority_tier = _tier(ladder, name, "priority")
        priority_for = parse_duration(window)
        if priority_for is None or not timedelta(0) < priority_for < starts_at - now:
            raise EventInputError("priority")
    keyword = options.get("keyword")
    if keyword is not None and not 0 < len(keyword) <= 64:
        raise EventInputError("keyword")
    draw = options.get("draw")
    if draw is not None and (not online or keyword is None or not 0 < len(draw) <= 200):
        raise EventInputError("draw")
    return EventSpec(
        title=text,
        starts_at=starts_at,
        ends_at=ends_at,
        place=None if online else place,
        online=online,
        capacity=_number(options, "capacity", 1, 100_000) if "capacity" in options else None,
        cost=_number(options, "cost", 0, 1_000_000) if "cost" in options else 0,
        guests=_number(options, "guests", 0, 10) if "guests" in options else 0,
        min_tier=_tier(ladder, options["min_tier"], "min_tier") if "min_tier" in options else None,
        priority_tier=priority_tier,
        priority_for=priority_for,
        keyword=keyword,
        draw=draw,
    )


def _tier(ladder: Sequence[Tier], name: str, option: str) -> Tier:
    found = next((tier for tier in ladder if name and tier.answers_to(name)), None)
    if found is None:
        raise EventInputError(option)
    return found


def _number(options: dict[str, str], name: str, low: int, high: int) -> int:
    value = options[name]
    if not value.isdigit() or not low <= int(value) <= high:
        raise EventInputError(name)
    return int(value)
