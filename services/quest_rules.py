"""The program's mission sets (任务): the `quests` section of its founding group's settings,
set by `/quests daily …`, `/quests weekly …`, `/quests streak …` (and the console)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from sqlalchemy.ext.asyncio import AsyncSession

from services.chat_settings import update_section

# What a mission counts, each read from what fanbot records already (services/quests.py).
TEMPLATES = (
    "checkin", "messages", "topic", "photo", "reactions", "draw", "order", "friend", "event",
)  # fmt: skip
DAILY, WEEKLY = "daily", "weekly"
SETS = (DAILY, WEEKLY)
MAX_MISSIONS = 8
MAX_POINTS = 1_000
MAX_COUNT = 1_000
MAX_BONUS = 10_000
MAX_STREAK_WEEKS = 4  # a streak of completed weeks adds `streak` points a week, up to this


class QuestInputError(ValueError):
    """Which part of `/quests` could not be used: "template", "count", "points", "bonus",
    "missions", "streak"."""


@dataclass(frozen=True, slots=True)
class Mission:
    template: str
    count: int  # how many of it in the period
    points: int

    @property
    def key(self) -> str:
        return self.template


@dataclass(frozen=True, slots=True)
class MissionSet:
    missions: tuple[Mission, ...] = ()
    bonus: int = 0  # for the whole set, once per period

    def to_json(self) -> dict[str, Any]:
        return {
            "missions": [[m.template, m.count, m.points] for m in self.missions],
            "bonus": self.bonus,
        }

    @classmethod
    def from_json(cls, stored: Any) -> MissionSet:
        if not isinstance(stored, dict):
            return cls()
        missions = tuple(
            Mission(str(t), int(c), int(p))
            for t, c, p in stored.get("missions") or ()
            if t in TEMPLATES
        )
        return cls(missions, int(stored.get("bonus", 0)))


@dataclass(frozen=True, slots=True)
class QuestRules:
    """The program's daily and weekly sets and the weekly streak's extra points."""

    SECTION: ClassVar[str] = "quests"
    daily: MissionSet = field(default_factory=MissionSet)
    weekly: MissionSet = field(default_factory=MissionSet)
    streak: int = 0  # extra points per completed week in a row (after the first), capped

    @property
    def on(self) -> bool:
        return bool(self.daily.missions or self.weekly.missions)

    def of(self, kind: str) -> MissionSet:
        return self.daily if kind == DAILY else self.weekly

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> QuestRules:
        stored = settings.get(cls.SECTION) or {}
        return cls(
            MissionSet.from_json(stored.get(DAILY)),
            MissionSet.from_json(stored.get(WEEKLY)),
            int(stored.get("streak", 0)),
        )


def parse_set(words: list[str]) -> MissionSet:
    """`checkin=5 messages:10=5 … [bonus=20]`, or `off`: a whole set, replacing the one before."""
    if [word.lower() for word in words] == ["off"]:
        return MissionSet()
    missions: dict[str, Mission] = {}
    bonus = 0
    for word in words:
        name, equals, value = word.lower().partition("=")
        if not equals:
            raise QuestInputError("template")
        if name == "bonus":
            bonus = _number(value, 0, MAX_BONUS, "bonus")
            continue
        template, colon, count = name.partition(":")
        if template not in TEMPLATES:
            raise QuestInputError("template")
        times = _number(count, 1, MAX_COUNT, "count") if colon else 1
        missions[template] = Mission(template, times, _number(value, 1, MAX_POINTS, "points"))
    if not missions or len(missions) > MAX_MISSIONS:
        raise QuestInputError("missions")
    return MissionSet(tuple(missions.values()), bonus)


def _number(value: str, low: int, high: int, name: str) -> int:
    if not value.isdigit() or not low <= int(value) <= high:
        raise QuestInputError(name)
    return int(value)


async def set_missions(
    session: AsyncSession, program_id: int, kind: str, chosen: MissionSet
) -> None:
    """The program's `kind` set (in its founding group's settings)."""
    await update_section(session, program_id, QuestRules.SECTION, {kind: chosen.to_json()})


async def set_streak(session: AsyncSession, program_id: int, points: int) -> None:
    if not 0 <= points <= MAX_POINTS:
        raise QuestInputError("streak")
    await update_section(session, program_id, QuestRules.SECTION, {"streak": points})
