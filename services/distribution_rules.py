"""How orders are attributed to distributors: the `distribution` settings section (the
program's, read from its founding group)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy.ext.asyncio import AsyncSession

from services.chat_settings import BadSetting, update_section


@dataclass(frozen=True, slots=True)
class DistributionRules:
    """`/settings distribution days <n>`: a member who joined through a distributor's link and
    pays within `link_days` of joining is that distributor's buyer."""

    link_days: int = 15
    rate_bp: int = 800  # a new distributor's rate when `/distributor add` names none: 8%

    LIMITS: ClassVar[tuple[int, int]] = (1, 365)

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> DistributionRules:
        stored = settings.get("distribution") or {}
        return cls(link_days=int(stored.get("link_days", cls().link_days)))


async def set_link_days(session: AsyncSession, chat_id: int, days: int) -> None:
    low, high = DistributionRules.LIMITS
    if not low <= days <= high:
        raise BadSetting("link_days")
    await update_section(session, chat_id, "distribution", {"link_days": days})
