"""Referrals (裂变): members' invite links, the joins through them, and the rewards they earn.

A join through a member's link is recorded at once (`pending`); the inviter is paid only when
the invitee has stayed `STAY` and sent a counted message since joining. A referral is one per
invitee and chat, ever: leaving first makes it `left`, and a later join pays nothing. Someone
who talked in the chat before (a returning member) is not a referral at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Chat, InviteLink, Member, Referral
from models.queries import insert_for
from services.clock import Clock
from services.daystats import count_today
from services.members import ensure_members
from services.outbox import OutboxService
from services.points import PointsService
from services.referral_messages import ReferralThanks
from services.standings import Balance

STAY = timedelta(hours=24)


class ReferralStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    LEFT = "left"


@dataclass(frozen=True, slots=True)
class Inviter:
    user_id: int
    name: str
    confirmed: int


@dataclass(frozen=True, slots=True)
class ReferralCounts:
    confirmed: int
    pending: int


@dataclass(frozen=True, slots=True)
class Confirmed:
    chat_id: int
    inviter_id: int
    invitee_id: int
    balance: Balance | None  # None when the chat pays nothing for referrals


class ReferralService:
    def __init__(self, session: AsyncSession, clock: Clock, points: PointsService) -> None:
        self.session = session
        self.clock = clock
        self.points = points

    async def link_of(self, chat_id: int, user_id: int) -> str | None:
        """The member's invite link, if they have one."""
        return await self.session.scalar(
            select(InviteLink.link)
            .where(InviteLink.chat_id == chat_id, InviteLink.user_id == user_id)
            .order_by(InviteLink.created_at)
            .limit(1)
        )

    async def save_link(self, chat_id: int, user_id: int, link: str) -> None:
        await self.session.execute(
            insert_for(self.session, InviteLink)
            .values(link=link, chat_id=chat_id, user_id=user_id, created_at=self.clock.now())
            .on_conflict_do_nothing(index_elements=["link"])
        )

    async def joined(self, chat_id: int, invitee_id: int, link: str, timezone: str) -> int | None:
        """`invitee_id` joined through `link`: the inviter, when this is a new referral."""
        inviter_id = await self.session.scalar(
            select(InviteLink.user_id).where(InviteLink.link == link, InviteLink.chat_id == chat_id)
        )
        if inviter_id is None or inviter_id == invitee_id:
            return None
        await ensure_members(self.session, [(chat_id, invitee_id)])
        said = await self.session.scalar(
            select(Member.message_count).where(
                Member.chat_id == chat_id, Member.user_id == invitee_id
            )
        )
        if said:
            return None  # a returning member, not a new fan
        recorded = await self.session.scalar(
            insert_for(self.session, Referral)
            .values(
                chat_id=chat_id, invitee_id=invitee_id, inviter_id=inviter_id, link=link,
                status=ReferralStatus.PENDING, joined_at=self.clock.now(),
            )
            .on_conflict_do_nothing(index_elements=["chat_id", "invitee_id"])
            .returning(Referral.inviter_id)
        )  # fmt: skip
        if recorded is None:
            return None  # joined through a link before: once per invitee, ever
        count_today(self.session, chat_id, self.clock.now(), timezone, referral_joins=1)
        await self.session.execute(
            update(Member)
            .where(Member.chat_id == chat_id, Member.user_id == invitee_id)
            .where(Member.invited_by.is_(None))
            .values(invited_by=inviter_id)
        )
        return inviter_id

    async def left(self, chat_id: int, invitee_id: int) -> bool:
        """The invitee left before their referral was confirmed: it never pays."""
        return await self._settle(chat_id, invitee_id, ReferralStatus.LEFT) is not None

    async def due(self, limit: int = 200) -> list[Referral]:
        """Pending referrals whose invitee has stayed long enough and has spoken since joining."""
        found = await self.session.scalars(
            select(Referral)
            .join(
                Member,
                (Member.chat_id == Referral.chat_id) & (Member.user_id == Referral.invitee_id),
            )
            .join(Chat, Chat.id == Referral.chat_id)
            .where(Referral.status == ReferralStatus.PENDING)
            .where(Referral.joined_at <= self.clock.now() - STAY)
            .where(Member.message_count > 0, Chat.active.is_(True))
            .order_by(Referral.joined_at)
            .limit(limit)
        )
        return list(found)

    async def confirm(
        self, chat_id: int, invitee_id: int, reward: int, timezone: str
    ) -> Confirmed | None:
        """Confirm a pending referral and pay its inviter, once; None if it is not pending."""
        inviter_id = await self._settle(chat_id, invitee_id, ReferralStatus.CONFIRMED)
        if inviter_id is None:
            return None
        balance = None
        if reward:
            balance = await self.points.change(
                chat_id, inviter_id, reward, reason="referral",
                key=f"referral:{chat_id}:{invitee_id}", ref=str(invitee_id), timezone=timezone,
            )  # fmt: skip
        # The group's thanks (gathered with the others confirmed in that moment) commits with
        # the confirmation: a stop right after cannot lose it.
        thanks = ReferralThanks(
            inviter_id=inviter_id, invitee_id=invitee_id,
            points=balance.paid if balance is not None else None,
        )  # fmt: skip
        await OutboxService(self.session, self.clock).add(
            chat_id, thanks, f"referral_thanks:{chat_id}:{invitee_id}"
        )
        return Confirmed(chat_id, inviter_id, invitee_id, balance)

    async def counts(self, chat_id: int, user_id: int) -> ReferralCounts:
        rows = await self.session.execute(
            select(Referral.status, func.count())
            .where(Referral.chat_id == chat_id, Referral.inviter_id == user_id)
            .group_by(Referral.status)
        )
        by_status = {status: int(count) for status, count in rows}
        return ReferralCounts(
            by_status.get(ReferralStatus.CONFIRMED, 0), by_status.get(ReferralStatus.PENDING, 0)
        )

    async def top(self, chat_id: int, limit: int = 10) -> list[Inviter]:
        """Members by confirmed referrals, most first; ties by who got there first."""
        confirmed = func.count().label("confirmed")
        rows = await self.session.execute(
            select(Referral.inviter_id, Member.display_name, confirmed)
            .join(
                Member,
                (Member.chat_id == Referral.chat_id) & (Member.user_id == Referral.inviter_id),
            )
            .where(Referral.chat_id == chat_id, Referral.status == ReferralStatus.CONFIRMED)
            .group_by(Referral.inviter_id, Member.display_name)
            .order_by(confirmed.desc(), func.max(Referral.settled_at))
            .limit(limit)
        )
        return [Inviter(user_id, name, int(count)) for user_id, name, count in rows]

    async def _settle(self, chat_id: int, invitee_id: int, status: ReferralStatus) -> int | None:
        """Move a pending referral to `status`; its inviter, or None if it was not pending (so
        of two workers settling it, one does)."""
        return await self.session.scalar(
            update(Referral)
            .where(Referral.chat_id == chat_id, Referral.invitee_id == invitee_id)
            .where(Referral.status == ReferralStatus.PENDING)
            .values(status=status, settled_at=self.clock.now())
            .returning(Referral.inviter_id)
        )
