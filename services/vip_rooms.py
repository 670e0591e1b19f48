"""VIP rooms (专属群, issue 38): a group of a program that lets in, through join requests, only
the members its rule admits, and looks again at who is inside.

The rule is the program's accounts' (tier, spend, labels, paid membership); presence is the
room's own `members` rows. `VipSeat` keeps, per room and member, the one invitation, the
warning and its grace period, and the removal. Telegram is asked in `workflows/vip_rooms.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Chat, Label, Member, VipMembership, VipRoom, VipSeat
from models.queries import insert_for
from services.clock import Clock
from services.tiers import Tier, TierService, tier_figure
from services.vip import ACTIVE
from services.vip_rules import Account, Rule, Shortfall, qualifies, shortfall

MAX_GRACE_DAYS = 30
INVITES_A_LOOK = 200


@dataclass(frozen=True, slots=True)
class Verdict:
    admitted: bool
    short: Shortfall


@dataclass(frozen=True, slots=True)
class Look:
    """What one look at a room found: members to warn (with the end of their grace), members
    whose grace is over, members qualifying again, members to invite."""

    warn: list[int]
    remove: list[int]
    cleared: list[int]
    invite: list[int]
    grace_until: datetime


class VipRoomService:
    def __init__(self, session: AsyncSession, clock: Clock, tiers: TierService) -> None:
        self.session = session
        self.clock = clock
        self.tiers = tiers

    async def make(
        self, chat_id: int, program_id: int, rule: Rule, by: int, grace_days: int | None = None
    ) -> VipRoom:
        """Make the group the program's VIP room, or change its rule (its link stays)."""
        room = await self.session.get(VipRoom, chat_id)
        if room is None:
            room = VipRoom(
                chat_id=chat_id, program_id=program_id, rule=rule.text(), created_by=by,
                created_at=self.clock.now(), grace_days=grace_days or 3,
            )  # fmt: skip
            self.session.add(room)
        else:
            room.rule, room.program_id = rule.text(), program_id
            if grace_days is not None:
                room.grace_days = grace_days
        await self.session.flush()
        return room

    async def room(self, chat_id: int) -> VipRoom | None:
        room = await self.session.get(VipRoom, chat_id)
        if room is not None:
            await self._follow([room])
        return room

    async def rooms(self, program_id: int | None = None) -> list[VipRoom]:
        found = list(await self.session.scalars(select(VipRoom).order_by(VipRoom.chat_id)))
        await self._follow(found)
        return [room for room in found if program_id in (None, room.program_id)]

    async def _follow(self, rooms: Sequence[VipRoom]) -> None:
        """A room's rule reads the accounts of the program its group is in now: a group that
        joined another program since `/vip room` lets in by that program's tiers, not the old."""
        if not rooms:
            return
        joined = dict(
            (await self.session.execute(
                select(Chat.id, Chat.program_id).where(Chat.id.in_([r.chat_id for r in rooms]))
            )).all()
        )  # fmt: skip
        for room in rooms:
            program_id = joined.get(room.chat_id) or room.chat_id
            if room.program_id != program_id:
                room.program_id = program_id

    async def set_link(self, room: VipRoom, link: str) -> None:
        room.link = link
        await self.session.flush()

    async def close(self, chat_id: int) -> bool:
        """`/vip room off`: the group is an ordinary group again (its seats are forgotten)."""
        await self.session.execute(delete(VipSeat).where(VipSeat.chat_id == chat_id))
        gone = await self.session.scalar(
            delete(VipRoom).where(VipRoom.chat_id == chat_id).returning(VipRoom.chat_id)
        )
        return gone is not None

    async def set_grace(self, room: VipRoom, days: int) -> None:
        room.grace_days = days
        await self.session.flush()

    # -- who qualifies ----------------------------------------------------------------------

    async def accounts(self, program_id: int, user_ids: Sequence[int]) -> dict[int, Account]:
        """What the rule reads of each member's account in the program."""
        basis = await self.tiers.basis(program_id)
        users = list(user_ids)
        members = {
            m.user_id: m
            for m in await self.session.scalars(
                select(Member).where(Member.chat_id == program_id, Member.user_id.in_(users))
            )
        }
        labels: dict[int, set[str]] = {}
        for user_id, label in await self.session.execute(
            select(Label.user_id, Label.label).where(
                Label.program_id == program_id, Label.user_id.in_(users)
            )
        ):
            labels.setdefault(user_id, set()).add(label)
        paid = set(
            await self.session.scalars(
                select(VipMembership.user_id).where(
                    VipMembership.program_id == program_id,
                    VipMembership.status == ACTIVE,
                    VipMembership.user_id.in_(users),
                )
            )
        )
        found = {}
        for user_id in users:
            member = members.get(user_id)
            found[user_id] = Account(
                tier=member.tier if member else None, figure=tier_figure(member, basis),
                spent_yuan=member.spent_fen // 100 if member else 0,
                labels=frozenset(labels.get(user_id, ())), paid=user_id in paid,
            )  # fmt: skip
        return found

    async def verdict(self, room: VipRoom, user_id: int) -> Verdict:
        """Whether the member may come in, and what would let them if not."""
        ladder = await self.tiers.ladder(room.program_id)
        account = (await self.accounts(room.program_id, [user_id]))[user_id]
        rule = Rule.stored(room.rule)
        if qualifies(rule, account, ladder):
            return Verdict(True, Shortfall())
        basis = await self.tiers.basis(room.program_id)
        return Verdict(False, shortfall(rule, account, ladder, basis))

    async def ladder(self, room: VipRoom) -> list[Tier]:
        return await self.tiers.ladder(room.program_id)

    # -- the look again ---------------------------------------------------------------------

    async def look(self, room: VipRoom) -> Look:
        """Who in the room no longer qualifies (to warn, or to remove once their grace is
        over), who qualifies again, and who qualifies but was never invited."""
        now = self.clock.now()
        grace_until = now + timedelta(days=room.grace_days)
        inside = list(
            await self.session.scalars(
                select(Member.user_id).where(
                    Member.chat_id == room.chat_id, Member.left_at.is_(None)
                )
            )
        )
        seats = {
            seat.user_id: seat
            for seat in await self.session.scalars(
                select(VipSeat).where(VipSeat.chat_id == room.chat_id)
            )
        }
        ladder = await self.tiers.ladder(room.program_id)
        rule = Rule.stored(room.rule)
        accounts = await self.accounts(room.program_id, inside)
        warn, remove, cleared = [], [], []
        for user_id in inside:
            seat = seats.get(user_id)
            warned = seat is not None and seat.grace_until is not None
            if qualifies(rule, accounts[user_id], ladder):
                if warned:
                    cleared.append(user_id)
            elif not warned:
                warn.append(user_id)
            elif seat is not None and seat.grace_until is not None and seat.grace_until <= now:
                remove.append(user_id)
        # A warned member who left takes the warning along: back later, they are told afresh
        # and given the grace period again, never removed on an old one.
        here = set(inside)
        cleared += [
            u for u, seat in seats.items() if seat.grace_until is not None and u not in here
        ]
        invite = await self._to_invite(room, rule, ladder)
        return Look(warn, remove, cleared, invite, grace_until)

    async def _to_invite(self, room: VipRoom, rule: Rule, ladder: Sequence[Tier]) -> list[int]:
        """Accounts of the program that qualify, are not in the room, were never invited to
        it, and have a private chat with the bot open."""
        ways: list[ColumnElement[bool]] = []
        if rule.tier is not None:
            wanted = next((t.threshold for t in ladder if t.key == rule.tier), None)
            keys = [t.key for t in ladder if wanted is not None and t.threshold >= wanted]
            ways.append(Member.tier.in_(keys))
        if rule.spend_yuan is not None:
            ways.append(Member.spent_fen >= rule.spend_yuan * 100)
        if rule.label is not None:
            ways.append(
                exists().where(
                    Label.program_id == room.program_id,
                    Label.user_id == Member.user_id,
                    Label.label == rule.label,
                )
            )
        if rule.paid:
            ways.append(
                exists().where(
                    VipMembership.program_id == room.program_id,
                    VipMembership.user_id == Member.user_id,
                    VipMembership.status == ACTIVE,
                )
            )
        if not ways:
            return []
        present = select(Member.user_id).where(
            Member.chat_id == room.chat_id, Member.left_at.is_(None)
        )
        asked = select(VipSeat.user_id).where(
            VipSeat.chat_id == room.chat_id, VipSeat.invited_at.is_not(None)
        )
        started = exists().where(Chat.id == Member.user_id, Chat.type == "private", Chat.active)
        found = await self.session.scalars(
            select(Member.user_id)
            .where(Member.chat_id == room.program_id, or_(*ways), started)
            .where(Member.user_id.not_in(present), Member.user_id.not_in(asked))
            .order_by(Member.user_id)
            .limit(INVITES_A_LOOK)
        )
        return list(found)

    async def mark(self, chat_id: int, user_ids: Sequence[int], **values: object) -> None:
        """Note on the members' seats (`invited_at`, `warned_at` and `grace_until`,
        `removed_at`), making the seats that are not there yet."""
        if not user_ids:
            return
        await self.session.execute(
            insert_for(self.session, VipSeat)
            .values([{"chat_id": chat_id, "user_id": user_id} for user_id in user_ids])
            .on_conflict_do_nothing(index_elements=["chat_id", "user_id"])
        )
        await self.session.execute(
            update(VipSeat)
            .where(and_(VipSeat.chat_id == chat_id, VipSeat.user_id.in_(list(user_ids))))
            .values(**values)
        )
