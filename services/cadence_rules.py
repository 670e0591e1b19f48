"""When the daily posts go out: the `cadence` settings section
(`/settings cadence <part> <HH:MM|off>`); the runs themselves are `services/cadence.py`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Chat
from services.chat_settings import BadSetting, update_section
from services.clock import clock_time

CADENCE_PARTS = ("morning", "reminder", "digest")


@dataclass(frozen=True, slots=True)
class Cadence:
    """The daily posts (`/settings cadence <part> <HH:MM|off>`), in the chat's time zone: the
    morning post with the sign-in button, the sign-in reminder, and the evening digest."""

    morning: str | None = "09:00"
    reminder: str | None = "20:00"
    digest: str | None = "22:00"

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> Cadence:
        stored = settings.get("cadence") or {}
        defaults = cls()
        return cls(**{part: stored.get(part, getattr(defaults, part)) for part in CADENCE_PARTS})

    def parts(self) -> list[tuple[str, str]]:
        """(part, HH:MM) of the parts that are on."""
        return [(part, at) for part in CADENCE_PARTS if (at := getattr(self, part)) is not None]

    @staticmethod
    def parse(part: str, raw: str) -> str | None:
        """The stored time ("09:00"), or None for off; BadSetting for anything else."""
        if part not in CADENCE_PARTS:
            raise BadSetting("cadence")
        if raw.lower() == "off":
            return None
        at = clock_time(raw)
        if at is None:
            raise BadSetting("cadence")
        return at


async def set_cadence(session: AsyncSession, chat_id: int, part: str, raw: str) -> str | None:
    """The part's new time as stored, None when it is now off."""
    at = Cadence.parse(part, raw)
    await update_section(session, chat_id, "cadence", {part: at})
    return at


async def cadence_chats(
    session: AsyncSession, default_timezone: str
) -> list[tuple[int, str, Cadence]]:
    """Every active group with its time zone and daily posts."""
    rows = await session.execute(
        select(Chat.id, Chat.timezone, Chat.settings).where(
            Chat.active.is_(True), Chat.type.in_(("group", "supergroup"))
        )
    )
    return [
        (chat_id, timezone or default_timezone, Cadence.from_settings(settings or {}))
        for chat_id, timezone, settings in rows
    ]
