"""What `/topic new` asks for: a title and its terms (hours, reward, cap, kind, colour,
bonuses), as typed and as a queued topic keeps them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from models import Topic
from services.words import loosen_options

MAX_TITLE = 128
LIMITS = {"hours": (1, 168), "reward": (0, 1000), "cap": (1, 100)}
MAX_BONUS = 10_000
DEFAULT_BONUSES: tuple[int, ...] = (20, 10, 5)
# The six icon colours Telegram allows for a forum topic.
COLORS = {
    "blue": 7322096, "yellow": 16766590, "violet": 13338331,
    "green": 9367192, "rose": 16749490, "red": 16478047,
}  # fmt: skip
OPTION_NAMES = ("hours", "reward", "cap", "kind", "color", "bonus")
OPTION = re.compile(rf"^({'|'.join(OPTION_NAMES)})=(\S+)$", re.IGNORECASE)
KINDS = ("talk", "show")


class TopicInputError(ValueError):
    """What is wrong: "title", "long", "hours", "reward", "cap", "kind", "color", "bonus",
    "full" (the queue)."""


@dataclass(frozen=True, slots=True)
class TopicSpec:
    title: str
    hours: int = 24
    reward: int = 2
    cap: int = 10
    kind: str = "talk"  # or "show": only photo replies count (晒单)
    icon_color: int | None = None  # forum topics only
    bonuses: tuple[int, ...] = DEFAULT_BONUSES


def parse_topic(args: str) -> TopicSpec:
    """`<title> [hours=24] [reward=2] [cap=10] [kind=show] [color=blue] [bonus=20,10,5]`."""
    options: dict[str, str] = {}
    words = []
    for word in loosen_options(args, OPTION_NAMES).split():
        found = OPTION.match(word)
        if found is None:
            words.append(word)
        else:
            options[found[1].lower()] = found[2]
    title = " ".join(words)
    if not title:
        raise TopicInputError("title")
    if len(title) > MAX_TITLE:
        raise TopicInputError("long")
    numbers: dict[str, int] = {}
    for name, (low, high) in LIMITS.items():
        if name in options:
            raw = options[name]
            if not raw.isdigit() or not low <= int(raw) <= high:
                raise TopicInputError(name)
            numbers[name] = int(raw)
    kind = options.get("kind", "talk").lower()
    if kind not in KINDS:
        raise TopicInputError("kind")
    color = options.get("color")
    if color is not None and color.lower() not in COLORS:
        raise TopicInputError("color")
    bonuses = DEFAULT_BONUSES
    if "bonus" in options:
        parts = options["bonus"].replace("，", ",").split(",")
        if not 1 <= len(parts) <= 3 or not all(p.isdigit() and int(p) <= MAX_BONUS for p in parts):
            raise TopicInputError("bonus")
        bonuses = tuple(int(part) for part in parts)
    return TopicSpec(
        title, kind=kind, bonuses=bonuses,
        icon_color=COLORS[color.lower()] if color is not None else None, **numbers,
    )  # fmt: skip


def spec_of(topic: Topic) -> TopicSpec:
    """What a stored (queued) topic was asked for: the inverse of `spec_columns`."""
    return TopicSpec(
        topic.title, topic.hours, topic.reward, topic.cap, topic.kind, topic.icon_color,
        tuple(topic.bonuses),
    )  # fmt: skip


def spec_columns(spec: TopicSpec) -> dict[str, object]:
    return {
        "title": spec.title, "kind": spec.kind, "hours": spec.hours, "reward": spec.reward,
        "cap": spec.cap, "bonuses": list(spec.bonuses), "icon_color": spec.icon_color,
    }  # fmt: skip
