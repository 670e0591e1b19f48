"""What an event's group has chosen for its events: the `events` settings section
(`/settings events attend|noshows|refund|confirm <value>`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ClassVar

from sqlalchemy.ext.asyncio import AsyncSession

from services.chat_settings import BadSetting, update_section


@dataclass(frozen=True, slots=True)
class EventRules:
    """`attend`: points for coming (checked in); `noshows`: how many no-shows in a row lose
    the priority window of the next event (0: never); `refund_hours`: a cancel at least this
    long before the start gets the cost back; `confirm_hours`: how long a member moved up
    from the waiting list has to confirm; `photos`: whether the thank-you post opens a photo
    thread."""

    attend: int = 10
    noshows: int = 2
    refund_hours: int = 24
    confirm_hours: int = 12
    photos: int = 1  # 1: the thank-you post opens a photo thread (晒照), 0: not

    LIMITS: ClassVar[dict[str, tuple[int, int]]] = {
        "attend": (0, 10_000), "noshows": (0, 10), "refund_hours": (0, 720),
        "confirm_hours": (1, 168), "photos": (0, 1),
    }  # fmt: skip

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> EventRules:
        stored = settings.get("events") or {}
        defaults = cls()
        return cls(**{name: int(stored.get(name, getattr(defaults, name))) for name in cls.LIMITS})

    @property
    def refund_before(self) -> timedelta:
        return timedelta(hours=self.refund_hours)

    @property
    def confirm_within(self) -> timedelta:
        return timedelta(hours=self.confirm_hours)


async def set_event_rule(session: AsyncSession, chat_id: int, name: str, value: int) -> None:
    low, high = EventRules.LIMITS[name]
    if not low <= value <= high:
        raise BadSetting("events")
    await update_section(session, chat_id, "events", {name: value})
