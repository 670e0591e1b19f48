"""How messages earn points in a chat: its `points` settings section (`/settings points ...`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy.ext.asyncio import AsyncSession

from services.chat_settings import BadSetting, update_section


@dataclass(frozen=True, slots=True)
class MessageRules:
    """How messages earn points in a chat (`/settings points ...`)."""

    points: int = 1  # per counted message; 0 turns message points off
    cooldown: int = 60  # seconds between two paid messages of a member
    daily_cap: int = 30  # points from messages per member per local day

    LIMITS: ClassVar[dict[str, tuple[int, int]]] = {
        "message": (0, 100),
        "cooldown": (0, 86_400),
        "daily_cap": (1, 100_000),
    }

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> MessageRules:
        stored = settings.get("points") or {}
        defaults = cls()
        return cls(
            points=int(stored.get("message", defaults.points)),
            cooldown=int(stored.get("cooldown", defaults.cooldown)),
            daily_cap=int(stored.get("daily_cap", defaults.daily_cap)),
        )


async def set_points_rule(session: AsyncSession, chat_id: int, name: str, value: int) -> None:
    """One of `MessageRules.LIMITS`, within its range."""
    low, high = MessageRules.LIMITS.get(name, (1, 0))
    if not low <= value <= high:
        raise BadSetting(name)
    await update_section(session, chat_id, "points", {name: value})
