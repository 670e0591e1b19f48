"""Keeping the group clean, its records: warnings, the action log, bans shared by linked
groups, join verifications, and members silenced until a time (who earn nothing meanwhile).

The rules and the guards' matching are in `services/guards.py`; nothing here talks to
Telegram: `workflows/moderation.py` carries the actions out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Ban, LedgerEntry, Member, MemberWarning, ModAction, NetworkMember, Verification
from models.queries import upsert
from services.clock import Clock
from services.members import ensure_members
from services.points import NOT_EARNED, TAKEN_BACK, NotEnoughPoints, PointsService
from services.staff import CONSOLE

FOREVER = datetime(9999, 1, 1, tzinfo=UTC)  # a ban without an end, as a silence's end
MAX_REASON = 255


@dataclass(frozen=True, slots=True)
class WarnResult:
    count: int  # warnings standing after this one (0 once the limit was reached)
    reached: bool  # the limit was reached: its action follows, the warnings are lifted


class JoinRequestAnswer(StrEnum):
    """What came of approving or declining a join request (`workflows/verification.py`)."""

    DONE = "done"
    MEMBER = "member"  # USER_ALREADY_PARTICIPANT: in the group already (let in another way)
    GONE = "gone"  # HIDE_REQUESTER_MISSING: an admin answered it meanwhile, or it was withdrawn
    NO_RIGHT = "no_right"  # the bot lacks can_invite_users: the admins are told
    FAILED = "failed"  # anything else: the request waits for the admins


class ModerationService:
    def __init__(self, session: AsyncSession, clock: Clock, points: PointsService) -> None:
        self.session = session
        self.clock = clock
        self.points = points

    # -- the log ----------------------------------------------------------------------------

    async def log(
        self,
        chat_id: int,
        action: str,
        target_id: int | None,
        *,
        actor_id: int | None = None,
        rule: str | None = None,
        reason: str | None = None,
        until: datetime | None = None,
    ) -> ModAction:
        entry = ModAction(
            chat_id=chat_id, action=action, target_id=target_id, actor_id=actor_id, rule=rule,
            reason=(reason or None) and reason[:MAX_REASON], until=until,
            created_at=self.clock.now(),
        )  # fmt: skip
        self.session.add(entry)
        await self.session.flush()
        return entry

    async def recent(self, chat_id: int, limit: int = 10) -> list[ModAction]:
        rows = await self.session.scalars(
            select(ModAction)
            .where(ModAction.chat_id == chat_id, ModAction.action != CONSOLE)  # /modlog console
            .order_by(ModAction.id.desc())
            .limit(limit)
        )
        return list(rows)

    # -- warnings ---------------------------------------------------------------------------

    async def warn(
        self, chat_id: int, user_id: int, actor_id: int | None, reason: str | None, limit: int
    ) -> WarnResult:
        """One more warning; at `limit` they are all lifted and the caller takes the action."""
        now = self.clock.now()
        self.session.add(
            MemberWarning(
                chat_id=chat_id, user_id=user_id, actor_id=actor_id,
                reason=(reason or None) and reason[:MAX_REASON], created_at=now,
            )
        )  # fmt: skip
        await self.session.flush()
        standing = len(await self.warnings(chat_id, user_id))
        if standing < limit:
            return WarnResult(standing, reached=False)
        await self.session.execute(
            update(MemberWarning).where(*self._standing(chat_id, user_id)).values(lifted_at=now)
        )
        return WarnResult(0, reached=True)

    async def unwarn(self, chat_id: int, user_id: int) -> int | None:
        """Lift the newest standing warning: the number left, or None when there was none."""
        newest = await self.session.scalar(
            select(MemberWarning.id)
            .where(*self._standing(chat_id, user_id))
            .order_by(MemberWarning.id.desc())
            .limit(1)
        )
        if newest is None:
            return None
        await self.session.execute(
            update(MemberWarning)
            .where(MemberWarning.id == newest)
            .values(lifted_at=self.clock.now())
        )
        return len(await self.warnings(chat_id, user_id))

    async def warnings(self, chat_id: int, user_id: int) -> list[MemberWarning]:
        rows = await self.session.scalars(
            select(MemberWarning)
            .where(*self._standing(chat_id, user_id))
            .order_by(MemberWarning.id)
        )
        return list(rows)

    @staticmethod
    def _standing(chat_id: int, user_id: int) -> tuple[Any, ...]:
        return (
            MemberWarning.chat_id == chat_id,
            MemberWarning.user_id == user_id,
            MemberWarning.lifted_at.is_(None),
        )

    # -- silenced members earn nothing -----------------------------------------------------

    async def silence(self, chat_ids: Sequence[int], user_id: int, until: datetime) -> None:
        """Muted or banned until `until`: sign-ins, messages and draw joins pay nothing."""
        await ensure_members(self.session, [(chat_id, user_id) for chat_id in chat_ids])
        await self.session.execute(
            update(Member)
            .where(Member.chat_id.in_(chat_ids), Member.user_id == user_id)
            .values(silenced_until=until)
        )

    async def unsilence(self, chat_ids: Sequence[int], user_id: int) -> None:
        await self.session.execute(
            update(Member)
            .where(Member.chat_id.in_(chat_ids), Member.user_id == user_id)
            .values(silenced_until=None)
        )

    async def take_back_day(self, chat_id: int, user_id: int, actor_id: int, key: str) -> int:
        """A ban's `refund`: what the member earned in the last 24 hours, taken back as one
        ledger row (lifetime too); never more than their balance. The points taken."""
        since = self.clock.now() - timedelta(hours=24)
        earned = await self.session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.delta), 0)).where(
                LedgerEntry.chat_id == chat_id,
                LedgerEntry.user_id == user_id,
                LedgerEntry.created_at >= since,
                LedgerEntry.delta > 0,
                LedgerEntry.reason.not_in([*NOT_EARNED, "admin"]),
            )
        )
        balance = (await self.points.balance(chat_id, user_id)).points
        taken = min(int(earned or 0), balance)
        if taken <= 0:
            return 0
        try:
            await self.points.change(
                chat_id, user_id, -taken, reason=TAKEN_BACK, key=key, ref="ban", actor=actor_id
            )
        except NotEnoughPoints:  # spent meanwhile by a concurrent update: take what is left
            return 0
        return taken

    # -- bans, alone or across linked groups --------------------------------------------------

    async def network_of(self, chat_id: int) -> list[int]:
        """The groups sharing this group's ban list, itself first; [chat_id] when unlinked."""
        network = await self.session.scalar(
            select(NetworkMember.network_id).where(NetworkMember.chat_id == chat_id)
        )
        if network is None:
            return [chat_id]
        linked = await self.session.scalars(
            select(NetworkMember.chat_id)
            .where(NetworkMember.network_id == network)
            .order_by(NetworkMember.chat_id)
        )
        return [chat_id, *(other for other in linked if other != chat_id)]

    async def link(self, chat_id: int, other_id: int, by: int) -> list[int]:
        """Join the two groups' ban lists (and the networks they are in); the network's
        groups. Bans standing in either apply to both from now on."""
        mine, theirs = await self.network_of(chat_id), await self.network_of(other_id)
        groups = sorted(set(mine) | set(theirs))
        network_id = groups[0]
        now = self.clock.now()
        for group in groups:
            await upsert(
                self.session, NetworkMember,
                {"chat_id": group, "network_id": network_id, "linked_by": by, "created_at": now},
                keys=["chat_id"], update=["network_id"],
            )  # fmt: skip
        return groups

    async def unlink(self, chat_id: int) -> bool:
        removed = await self.session.execute(
            delete(NetworkMember).where(NetworkMember.chat_id == chat_id)
        )
        return bool(removed.rowcount)  # type: ignore[attr-defined]

    async def ban(
        self, chat_id: int, user_id: int, until: datetime | None, reason: str | None
    ) -> list[int]:
        """Ban in this group and every linked one: the groups the ban applies to."""
        groups = await self.network_of(chat_id)
        now = self.clock.now()
        for group in groups:
            await upsert(
                self.session, Ban,
                {"chat_id": group, "user_id": user_id, "until": until, "origin_chat_id": chat_id,
                 "reason": (reason or None) and reason[:MAX_REASON], "created_at": now},
                keys=["chat_id", "user_id"], update=["until", "reason", "origin_chat_id"],
            )  # fmt: skip
        await self.silence(groups, user_id, until or FOREVER)
        return groups

    async def unban(self, chat_id: int, user_id: int) -> list[int]:
        """Lift the ban here and in every linked group: the groups it applied to."""
        groups = await self.network_of(chat_id)
        await self.session.execute(
            delete(Ban).where(Ban.chat_id.in_(groups), Ban.user_id == user_id)
        )
        await self.unsilence(groups, user_id)
        return groups

    async def banned(self, chat_id: int, user_id: int) -> Ban | None:
        """The ban standing for this member here or in a linked group (one given before the
        groups were linked too), if any."""
        bans = await self.session.scalars(
            select(Ban).where(
                Ban.chat_id.in_(await self.network_of(chat_id)), Ban.user_id == user_id
            )
        )
        now = self.clock.now()
        return next((ban for ban in bans if ban.until is None or ban.until > now), None)

    # -- join verification ------------------------------------------------------------------

    async def challenge(
        self,
        chat_id: int,
        user_id: int,
        kind: str,
        name: str,
        answer: str | None,
        seconds: int,
    ) -> Verification:
        """A newcomer to verify (asked again if they come back)."""
        now = self.clock.now()
        values = {
            "chat_id": chat_id, "user_id": user_id, "kind": kind, "state": "pending",
            "answer": answer, "name": name[:255], "message_id": None,
            "deadline": now + timedelta(seconds=seconds), "created_at": now,
        }  # fmt: skip
        await upsert(
            self.session, Verification, values, keys=["chat_id", "user_id"],
            update=["kind", "state", "answer", "name", "message_id", "deadline", "created_at"],
        )  # fmt: skip
        found = await self.session.get(Verification, (chat_id, user_id), populate_existing=True)
        assert found is not None
        return found

    async def asked(self, chat_id: int, user_id: int, message_id: int) -> None:
        await self.session.execute(
            update(Verification)
            .where(Verification.chat_id == chat_id, Verification.user_id == user_id)
            .values(message_id=message_id)
        )

    async def pending(self, chat_id: int, user_id: int) -> Verification | None:
        found = await self.session.get(Verification, (chat_id, user_id), populate_existing=True)
        return found if found is not None and found.state == "pending" else None

    async def settle(self, chat_id: int, user_id: int, state: str) -> Verification | None:
        """Pending → `state` (passed, failed), once: the row, or None when it was not pending
        (answered already, timed out, or a forged button)."""
        settled = await self.session.execute(
            update(Verification)
            .where(
                Verification.chat_id == chat_id,
                Verification.user_id == user_id,
                Verification.state == "pending",
            )
            .values(state=state)
            .returning(Verification.chat_id)
        )
        if settled.first() is None:
            return None
        return await self.session.get(Verification, (chat_id, user_id), populate_existing=True)

    async def due(self, limit: int = 50) -> list[Verification]:
        """Verifications whose time is up, marked failed (once, whichever worker looks)."""
        now = self.clock.now()
        keys = (
            await self.session.execute(
                select(Verification.chat_id, Verification.user_id)
                .where(Verification.state == "pending", Verification.deadline <= now)
                .order_by(Verification.deadline)
                .limit(limit)
            )
        ).all()
        failed = []
        for chat_id, user_id in keys:
            row = await self.settle(chat_id, user_id, "failed")
            if row is not None:
                failed.append(row)
        return failed
