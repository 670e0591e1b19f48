"""Boosts earn: a member who boosts the group with their Premium is paid once per boost id, and
the points are taken back when the boost is removed (`/settings boosts <points>`).

Every boost is recorded (`chat_boosts`), whatever its source, so `/stats` counts them; only a
Premium member's own boost pays: a gift code's or a giveaway's was the group's own spending.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import ChatBoostRow, LedgerEntry
from models.queries import insert_for
from services.chat_settings import BadSetting, update_section
from services.clawbacks import take_back
from services.clock import Clock
from services.points import PointsService
from services.promotions import TierPromotions

PAID_SOURCE = "premium"


@dataclass(frozen=True, slots=True)
class BoostRules:
    """What a member's boost pays (`/settings boosts <points>`; 0 records boosts, pays none)."""

    # On by default: a boost is rare, deliberate and worth more to the group than any message
    # (it unlocks the group's level perks), so it pays like two and a half referrals.
    DEFAULT_POINTS: ClassVar[int] = 50
    LIMITS: ClassVar[tuple[int, int]] = (0, 10_000)
    points: int = DEFAULT_POINTS

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> BoostRules:
        stored = settings.get("boosts") or {}
        return cls(points=int(stored.get("points", cls.DEFAULT_POINTS)))


async def set_boost_points(session: AsyncSession, chat_id: int, points: int) -> None:
    low, high = BoostRules.LIMITS
    if not low <= points <= high:
        raise BadSetting("boosts")
    await update_section(session, chat_id, "boosts", {"points": points})


@dataclass(frozen=True, slots=True)
class Boost:
    """A boost as Telegram describes it (`ChatBoost` and its source)."""

    chat_id: int
    boost_id: str
    source: str  # premium, gift_code, giveaway
    user_id: int | None
    added_at: datetime
    expires_at: datetime


class Outcome(StrEnum):
    PAID = "paid"
    RECORDED = "recorded"  # counted, paying nothing (not a member's own, or boosts pay 0)
    KNOWN = "known"  # seen before: delivered again, or extended
    TAKEN_BACK = "taken back"
    REMOVED = "removed"  # gone, with nothing to take back


@dataclass(frozen=True, slots=True)
class BoostFigures:
    """/stats' boosts: standing now, and added in the period and in the one before."""

    active: int
    added: int
    added_before: int


def boost_key(chat_id: int, boost_id: str) -> str:
    return f"boost:{chat_id}:{boost_id}"[:200]


class BoostService:
    def __init__(self, session: AsyncSession, clock: Clock, points: PointsService) -> None:
        self.session = session
        self.clock = clock
        self.points = points
        self.promotions = TierPromotions(points)  # a removal may move the member down

    async def boosted(self, boost: Boost, rules: BoostRules, timezone: str) -> Outcome:
        """A boost added or changed: recorded once per id; a member's own pays once."""
        inserted = await self.session.scalar(
            insert_for(self.session, ChatBoostRow)
            .values(
                chat_id=boost.chat_id, boost_id=boost.boost_id, user_id=boost.user_id,
                source=boost.source, added_at=boost.added_at, expires_at=boost.expires_at,
                paid=False,
            )
            .on_conflict_do_nothing(index_elements=["chat_id", "boost_id"])
            .returning(ChatBoostRow.boost_id)
        )  # fmt: skip
        row = await self._locked(boost.chat_id, boost.boost_id)
        assert row is not None
        if inserted is None:  # delivered again, extended, or removed before it came
            if row.removed_at is None and boost.expires_at > row.expires_at:
                row.expires_at = boost.expires_at
            return Outcome.KNOWN
        if boost.source != PAID_SOURCE or boost.user_id is None or rules.points <= 0:
            return Outcome.RECORDED
        await self.points.change(
            boost.chat_id, boost.user_id, rules.points, reason="boost",
            key=boost_key(boost.chat_id, boost.boost_id), timezone=timezone,
        )  # fmt: skip
        row.paid = True
        await self.session.flush()
        return Outcome.PAID

    async def removed(
        self, boost: Boost, removed_at: datetime, timezone: str
    ) -> tuple[Outcome, int]:
        """A boost removed: what it paid (campaign and tier included) taken back once, never
        below a zero balance (the rest is owed). The outcome and the points taken now."""
        row = await self._locked(boost.chat_id, boost.boost_id)
        if row is None:  # its addition never came (or came before fanbot kept boosts)
            await self.session.execute(
                insert_for(self.session, ChatBoostRow)
                .values(
                    chat_id=boost.chat_id, boost_id=boost.boost_id, user_id=boost.user_id,
                    source=boost.source, added_at=removed_at, expires_at=removed_at,
                    removed_at=removed_at, paid=False,
                )
                .on_conflict_do_nothing(index_elements=["chat_id", "boost_id"])
            )  # fmt: skip
            return Outcome.REMOVED, 0
        if row.removed_at is not None:
            return Outcome.KNOWN, 0
        row.removed_at = removed_at
        await self.session.flush()
        if not row.paid or row.user_id is None:
            return Outcome.REMOVED, 0
        paid = await self.session.scalar(
            select(LedgerEntry.delta).where(
                LedgerEntry.idempotency_key == boost_key(row.chat_id, row.boost_id)
            )
        )
        if not paid:
            return Outcome.REMOVED, 0
        taken = await take_back(
            self.promotions, row.chat_id, row.user_id, paid,
            key=f"unboost:{row.chat_id}:{row.boost_id}"[:200], ref="boost", timezone=timezone,
        )  # fmt: skip
        return Outcome.TAKEN_BACK, taken

    async def figures(
        self, chat_id: int, start: datetime, end: datetime, before: datetime
    ) -> BoostFigures:
        """Boosts standing now; added in [start, end) and in [before, start)."""
        now = self.clock.now()
        active = await self.session.scalar(
            select(func.count()).where(
                ChatBoostRow.chat_id == chat_id,
                ChatBoostRow.removed_at.is_(None),
                ChatBoostRow.expires_at > now,
            )
        )

        async def added(since: datetime, until: datetime) -> int:
            count = await self.session.scalar(
                select(func.count()).where(
                    ChatBoostRow.chat_id == chat_id,
                    ChatBoostRow.added_at >= since,
                    ChatBoostRow.added_at < until,
                    # not a removal whose addition never came (added, expired and removed at once)
                    ChatBoostRow.expires_at > ChatBoostRow.added_at,
                )
            )
            return int(count or 0)

        return BoostFigures(int(active or 0), await added(start, end), await added(before, start))

    async def _locked(self, chat_id: int, boost_id: str) -> ChatBoostRow | None:
        return await self.session.scalar(
            select(ChatBoostRow)
            .where(ChatBoostRow.chat_id == chat_id, ChatBoostRow.boost_id == boost_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
