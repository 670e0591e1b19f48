"""Whether the morning post opens the next queued topic: the `topics` settings section."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.chat_settings import update_section


@dataclass(frozen=True, slots=True)
class TopicRules:
    """`/settings daily_topic on|off`: the morning post opens the next queued topic."""

    daily: bool = False

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> TopicRules:
        return cls(daily=bool((settings.get("topics") or {}).get("daily", False)))


async def set_daily_topic(session: AsyncSession, chat_id: int, daily: bool) -> None:
    await update_section(session, chat_id, "topics", {"daily": daily})
