"""What the shop's orders pay and how tiers are reached: the `orders` settings section."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy.ext.asyncio import AsyncSession

from services.chat_settings import BadSetting, update_section


@dataclass(frozen=True, slots=True)
class OrderRules:
    """What the shop's orders pay and how tiers are reached (`/settings points purchase <n>`,
    `/settings orders return_days <days>`, `/settings tiers basis points|spend`)."""

    purchase: int = 1  # points per yuan paid
    return_days: int = 7  # purchase points wait this long for a refund before they count
    tier_basis: str = "points"  # or spend: tiers by lifetime paid amount, thresholds in yuan

    LIMITS: ClassVar[dict[str, tuple[int, int]]] = {"purchase": (0, 1_000), "return_days": (0, 90)}
    BASES: ClassVar[tuple[str, ...]] = ("points", "spend")

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> OrderRules:
        stored = settings.get("orders") or {}
        defaults = cls()
        return cls(
            purchase=int(stored.get("purchase", defaults.purchase)),
            return_days=int(stored.get("return_days", defaults.return_days)),
            tier_basis=str(stored.get("tier_basis", defaults.tier_basis)),
        )


async def set_order_rule(session: AsyncSession, chat_id: int, name: str, value: int | str) -> None:
    """One of `OrderRules.LIMITS` within its range, or `tier_basis` one of its `BASES`."""
    if name == "tier_basis":
        if value not in OrderRules.BASES:
            raise BadSetting(name)
    else:
        low, high = OrderRules.LIMITS.get(name, (1, 0))
        if not isinstance(value, int) or not low <= value <= high:
            raise BadSetting(name)
    await update_section(session, chat_id, "orders", {name: value})
