"""After a redemption: coupons marked used, a gift's details asked for and left, gifts sent,
and the admins' lists of what members redeemed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Member, Redemption, Reward, RewardCode
from services.chats import ChatService
from services.clock import Clock
from services.outbox import OutboxService
from services.shop_messages import GiftSent

MAX_NOTE = 500


class FulfilmentService:
    def __init__(self, session: AsyncSession, clock: Clock, default_timezone: str) -> None:
        self.session = session
        self.clock = clock
        self.default_timezone = default_timezone

    async def mark_used(self, chat_id: int, code: str) -> tuple[str, Redemption | None]:
        """An admin says a coupon was used: `used`, `already` (used before), `free` (never
        issued), or `unknown` (no such code in the group)."""
        found = await self.session.scalar(
            select(RewardCode).where(RewardCode.chat_id == chat_id, RewardCode.code == code)
        )
        if found is None:
            return "unknown", None
        redemption = await self.session.scalar(
            select(Redemption).where(Redemption.code_id == found.id).with_for_update()
        )
        if redemption is None:
            return "free", None
        if redemption.status == "used":
            return "already", redemption
        redemption.status, redemption.used_at = "used", self.clock.now()
        await self.session.flush()
        return "used", redemption

    async def asked_for_note(self, redemption_id: int, message_id: int) -> None:
        """The private delivery of a gift went out as `message_id`: a reply to it is its note."""
        await self.session.execute(
            update(Redemption)
            .where(Redemption.id == redemption_id)
            .values(asked_message_id=message_id)
        )

    async def leave_note(self, user_id: int, message_id: int, note: str) -> Redemption | None:
        """A member's reply to the message asking for their gift's details; None when the
        message asked for nothing of theirs (or the gift was sent already)."""
        # The question's id is recorded as its send is marked done: a quick reply can come
        # first, and then it answers the one gift of theirs still being asked about. One
        # statement for both, so that a recording committed between two reads (PostgreSQL
        # reads each statement afresh) cannot hide the gift from both.
        asked = Redemption.asked_message_id == message_id
        candidates = await self.session.scalars(
            select(Redemption)
            .join(Reward, Reward.id == Redemption.reward_id)
            .where(
                Redemption.user_id == user_id,
                asked | (
                    (Reward.kind == "gift") & (Redemption.status == "issued")
                    & Redemption.asked_message_id.is_(None) & Redemption.note.is_(None)
                ),
            )
            .order_by(asked.desc())
            .limit(3)
        )  # fmt: skip
        found = list(candidates)
        exact = [r for r in found if r.asked_message_id == message_id]
        redemption = exact[0] if exact else (found[0] if len(found) == 1 else None)
        if redemption is None or redemption.status != "issued":
            return None
        redemption.note = note[:MAX_NOTE]
        await self.session.flush()
        return redemption

    async def gifts_to_send(self, chat_id: int) -> list[tuple[Redemption, Reward, str]]:
        """Gifts redeemed and not yet sent, oldest first, with the member's name."""
        return await self._named(
            # By the gift rewards' ids: the (reward, status) index, not every redemption.
            Redemption.reward_id.in_(
                select(Reward.id).where(Reward.chat_id == chat_id, Reward.kind == "gift")
            ),
            Redemption.status == "issued",
            order=Redemption.id,
        )

    async def redemptions(self, chat_id: int) -> list[tuple[Redemption, Reward, str]]:
        """The group's latest redemptions, newest first, with the member's name."""
        return await self._named(Redemption.chat_id == chat_id, order=Redemption.id.desc())

    async def _named(
        self, *conditions: ColumnElement[bool], order: Any, limit: int = 50
    ) -> list[tuple[Redemption, Reward, str]]:
        """Redemptions with their reward and the member's name ("" when unknown)."""
        rows = await self.session.execute(
            select(Redemption, Reward, Member.display_name)
            .join(Reward, Reward.id == Redemption.reward_id)
            .outerjoin(
                Member,
                (Member.chat_id == Redemption.chat_id) & (Member.user_id == Redemption.user_id),
            )
            .where(*conditions)
            .order_by(order)
            .limit(limit)
        )
        return [(redemption, reward, name or "") for redemption, reward, name in rows]

    async def gift_sent(self, chat_id: int, redemption_id: int) -> Redemption | None:
        """An admin sent the gift: marked, and the member told privately; None if there is no
        such gift waiting in the group."""
        redemption = await self.session.get(Redemption, redemption_id, with_for_update=True)
        reward = await self.session.get(Reward, redemption.reward_id) if redemption else None
        if redemption is None or reward is None or redemption.chat_id != chat_id:
            return None
        if reward.kind != "gift" or redemption.status != "issued":
            return None
        redemption.status, redemption.used_at = "sent", self.clock.now()
        await self.session.flush()
        chats = ChatService(self.session, self.clock, self.default_timezone)
        if await chats.started_privately(redemption.user_id):
            await OutboxService(self.session, self.clock).add(
                redemption.user_id, GiftSent(redemption_id=redemption.id),
                f"gift_sent:{redemption.id}",
            )  # fmt: skip
        return redemption
