"""What a confirmed referral pays: the `referral` settings section (`/settings referral <n>`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy.ext.asyncio import AsyncSession

from services.chat_settings import BadSetting, update_section


@dataclass(frozen=True, slots=True)
class ReferralRules:
    """What a confirmed referral pays its inviter (`/settings referral <points>`)."""

    DEFAULT_REWARD: ClassVar[int] = 20
    reward: int = DEFAULT_REWARD  # 0 records referrals but pays nothing

    LIMITS: ClassVar[tuple[int, int]] = (0, 10_000)

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> ReferralRules:
        stored = settings.get("referral") or {}
        return cls(reward=int(stored.get("reward", cls.DEFAULT_REWARD)))


async def set_referral_reward(session: AsyncSession, chat_id: int, points: int) -> None:
    low, high = ReferralRules.LIMITS
    if not low <= points <= high:
        raise BadSetting("referral")
    await update_section(session, chat_id, "referral", {"reward": points})
