"""What `/draw` asks for: the prize, the number of winners, the end and who may enter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.badges import DRAW_PREFIX, BadgeError, resolve_badge
from services.clock import end_typed, parse_duration
from services.labels import LabelError, normalise
from services.tiers import Tier
from services.words import OptionsOutOfOrder, head_and_options

MAX_WINNERS = 100
MAX_PRIZE = 200
DEFAULT_LENGTH = timedelta(hours=24)
OPTIONS = (
    "winners", "ends", "min_tier", "min_points", "cost", "joined_before", "min_messages", "reward",
    "tag", "badge",
)  # fmt: skip


class DrawInputError(ValueError):
    """Which part of `/draw` could not be used: "prize", "winners", "ends", "min_tier", ..."""


@dataclass(frozen=True, slots=True)
class DrawSpec:
    prize: str
    winners: int
    ends_at: datetime
    min_tier: Tier | None = None
    min_points: int = 0
    cost: int = 0
    min_member_days: int = 0
    min_messages: int = 0
    reward_id: int | None = None  # a shop reward each winner receives on claiming
    label: str | None = None  # entrants must carry this label (`tag=高潜`)
    event_id: int | None = None  # entrants signed up for this event, by its keyword


def parse_draw(args: str, now: datetime, timezone: str, ladder: Sequence[Tier]) -> DrawSpec:
    """`<prize> [winners=N] [ends=30m|2h|7d|2026-12-01 20:00] [min_tier=银牌] [min_points=100]
    [cost=10] [joined_before=7d] [min_messages=5] [reward=<id>] [tag=高潜]`, options in any
    order after the prize."""
    try:
        prize, options = head_and_options(args, OPTIONS)
    except OptionsOutOfOrder as error:
        raise DrawInputError(error.field or "prize") from None
    text = " ".join(prize)
    if not text or len(text) > MAX_PRIZE:
        raise DrawInputError("prize")
    winners = _number(options, "winners", 1, 1, MAX_WINNERS)
    ends_at = _end(options.get("ends"), now, timezone)
    tier = None
    if "min_tier" in options:
        tier = next((t for t in ladder if t.answers_to(options["min_tier"])), None)
        if tier is None:
            raise DrawInputError("min_tier")
    joined = options.get("joined_before", "0d")
    member_for = parse_duration(joined) if joined.endswith("d") else None
    if member_for is None or member_for.days > 3650:
        raise DrawInputError("joined_before")
    label = None
    if "tag" in options:
        try:
            label = normalise(options["tag"])
        except LabelError:
            raise DrawInputError("tag") from None
        if label.startswith(DRAW_PREFIX):  # would be read as a badge's requirement
            raise DrawInputError("tag")
    if "badge" in options:  # kept as the draw's label `badge:<name>`: one requirement of the two
        try:
            label = DRAW_PREFIX + resolve_badge(options["badge"]) if label is None else ""
        except BadgeError:
            raise DrawInputError("badge") from None
        if not label:
            raise DrawInputError("badge")
    return DrawSpec(
        prize=text,
        winners=winners,
        ends_at=ends_at,
        min_tier=tier,
        min_points=_number(options, "min_points", 0, 0, 1_000_000),
        cost=_number(options, "cost", 0, 0, 1_000_000),
        min_member_days=member_for.days,
        min_messages=_number(options, "min_messages", 0, 0, 1_000_000),
        reward_id=_number(options, "reward", 0, 1, 10**12) if "reward" in options else None,
        label=label,
    )


def _number(options: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    value = options.get(name)
    if value is None:
        return default
    if not value.isdigit() or not low <= int(value) <= high:
        raise DrawInputError(name)
    return int(value)


def _end(value: str | None, now: datetime, timezone: str) -> datetime:
    if value is None:
        return now + DEFAULT_LENGTH
    ends_at = end_typed(value, now, timezone)
    if ends_at is None:
        raise DrawInputError("ends")
    return ends_at
