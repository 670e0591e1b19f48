"""How the daily sign-in pays: its `checkin` settings section (`/settings checkin ...`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy.ext.asyncio import AsyncSession

from services.chat_settings import BadSetting, update_section

DEFAULT_KEYWORDS = ("签到", "打卡", "checkin")
DEFAULT_MILESTONES = ((7, 20), (30, 100), (100, 500))


@dataclass(frozen=True, slots=True)
class CheckinRules:
    """How the daily sign-in pays (`/settings checkin ...`)."""

    base: int = 5
    streak_cap: int = 7  # +1 a consecutive day, up to this
    milestones: tuple[tuple[int, int], ...] = DEFAULT_MILESTONES  # (streak day, bonus)
    keywords: tuple[str, ...] = DEFAULT_KEYWORDS
    makeup_cost: int = 20
    makeup_days: int = 3  # how far back a missed day may be made up
    makeup_per_month: int = 2
    quiet: str = "auto"  # on, off, or auto: on in groups of over QUIET_FROM members

    LIMITS: ClassVar[dict[str, tuple[int, int]]] = {
        "base": (0, 10_000),
        "streak_cap": (0, 1_000),
        "makeup_cost": (0, 100_000),
        "makeup_days": (1, 30),
        "makeup_per_month": (0, 31),
    }
    QUIET_FROM: ClassVar[int] = 200

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> CheckinRules:
        stored = settings.get("checkin") or {}
        extra: dict[str, Any] = {name: int(stored[name]) for name in cls.LIMITS if name in stored}
        if "milestones" in stored:
            extra["milestones"] = tuple(
                (int(day), int(bonus)) for day, bonus in stored["milestones"]
            )
        if "keywords" in stored:
            extra["keywords"] = tuple(stored["keywords"])
        if "quiet" in stored:
            extra["quiet"] = str(stored["quiet"])
        return cls(**extra)

    def is_keyword(self, text: str) -> bool:
        """The whole text is one of the sign-in words (any case, spaces around)."""
        return text.strip().casefold() in (word.casefold() for word in self.keywords)

    @staticmethod
    def parse(name: str, raw: str) -> Any:
        """The stored form of `/settings checkin <name> <raw>`; BadSetting when it is not one."""
        if name in CheckinRules.LIMITS:
            low, high = CheckinRules.LIMITS[name]
            if not raw.isdigit() or not low <= int(raw) <= high:
                raise BadSetting(name)
            return int(raw)
        if name == "quiet" and raw.lower() in ("on", "off", "auto"):
            return raw.lower()
        if name == "keywords":
            words = [word.strip() for word in raw.replace("，", ",").split(",") if word.strip()]
            if 0 < len(words) <= 10 and all(len(word) <= 20 for word in words):
                return words
        if name == "milestones":
            try:
                pairs = sorted(
                    (int(day), int(bonus))
                    for day, bonus in (item.split(":") for item in raw.split(",") if item)
                )
            except ValueError:
                raise BadSetting(name) from None
            if len(pairs) <= 10 and all(0 < d <= 3650 and 0 <= b <= 100_000 for d, b in pairs):
                return [list(pair) for pair in pairs]
        raise BadSetting(name)


async def set_checkin_rule(session: AsyncSession, chat_id: int, name: str, raw: str) -> None:
    await update_section(session, chat_id, "checkin", {name: CheckinRules.parse(name, raw)})
