"""One program joining another (`/program join`): its groups, accounts and program data move in.

Every member account of the program that joins moves through the ledger: one `merge` row in
the program it leaves (its balance and lifetime out) and one in the program it joins (in), so
each account still adds up to its ledger (`fanbot audit`). Balances, lifetime points, spend,
orders and owed points add up; the streak is the one signed in last; tiers are recomputed on
the ladder of the program that stays. Orders, nickname bindings, the shop (rewards, codes,
redemptions) and sign-ins move with their program, except what the other already has under
the same key (an order number, a nickname, a code, a member's sign-in of a day): that stays
where it was and is reported for an admin to settle. Nothing is deleted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from models import (
    BuyerBinding,
    Channel,
    ChannelJoin,
    Chat,
    Checkin,
    LedgerEntry,
    Member,
    Order,
    ProgramMerge,
    Redemption,
    Reward,
    RewardCode,
)
from models.queries import upsert
from services.clock import Clock
from services.commission_merge import merge_commission
from services.labels import LabelService
from services.order_rules import OrderRules
from services.points import MERGED
from services.programs import ProgramMap, ProgramService, in_program
from services.tiers import TierService

# A worker that read a group's program before a join commits keeps paying into the old one for
# up to a minute (`ProgramMap.ttl`, the profile cache's): what it paid is swept in meanwhile.
SWEEP_WINDOW = timedelta(minutes=10)


class CannotJoin(Exception):
    """Why two groups cannot share a program: `same` (already one), `not a group`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class JoinPreview:
    """What joining would do, shown before an admin confirms."""

    program_id: int  # the program that stays
    merged_id: int  # the program whose accounts move in
    groups: int  # the groups of both, together
    accounts: int  # accounts moving
    shared: int  # members with an account in both (added up)
    points: int  # the moving balances, added up


@dataclass(slots=True)
class MergeReport:
    program_id: int
    merged_id: int
    accounts: int = 0
    points: int = 0
    tiers_moved: int = 0
    moved: dict[str, int] = field(default_factory=dict)  # table -> rows moved
    # Left where they were: the other program has the same key (for an admin to settle).
    duplicate_bindings: list[dict[str, Any]] = field(default_factory=list)
    duplicate_orders: list[str] = field(default_factory=list)
    kept_codes: int = 0
    kept_distributor_codes: list[str] = field(default_factory=list)  # held in both

    def as_json(self) -> dict[str, Any]:
        return {
            "accounts": self.accounts, "points": self.points, "tiers_moved": self.tiers_moved,
            "moved": self.moved, "duplicate_bindings": self.duplicate_bindings,
            "duplicate_orders": self.duplicate_orders, "kept_codes": self.kept_codes,
            "kept_distributor_codes": self.kept_distributor_codes,
        }  # fmt: skip


def _moving(member: type[Member] | Any) -> Any:
    """An account with anything to move (a member only ever seen has nothing)."""
    return (
        (member.points != 0)
        | (member.lifetime_points != 0)
        | (member.spent_fen != 0)
        | (member.orders_paid != 0)
        | (member.points_owed != 0)
        | (member.streak != 0)
        | member.last_checkin_day.is_not(None)
    )


class ProgramJoin:
    def __init__(
        self,
        session: AsyncSession,
        clock: Clock,
        programs: ProgramService,
        tiers: TierService,
        program_map: ProgramMap,
    ) -> None:
        self.session = session
        self.clock = clock
        self.programs = programs
        self.tiers = tiers
        self.program_map = program_map  # forgotten once a join commits (`forget`)

    def forget(self) -> None:
        self.program_map.forget()

    async def _check(self, program_id: int, merged_id: int) -> None:
        """Both are programs now (a group that joined one is not; a press may be stale)."""
        if program_id == merged_id:
            raise CannotJoin("same")
        for program in (program_id, merged_id):
            if await self.programs.program_of(program) != program:
                raise CannotJoin("moved")

    async def preview(self, program_id: int, merged_id: int) -> JoinPreview:
        await self._check(program_id, merged_id)
        mine, theirs = aliased(Member), aliased(Member)
        moving = select(Member).where(Member.chat_id == merged_id, _moving(Member)).subquery()
        accounts = await self.session.scalar(select(func.count()).select_from(moving)) or 0
        points = await self.session.scalar(select(func.sum(moving.c.points))) or 0
        shared = await self.session.scalar(
            select(func.count())
            .select_from(theirs)
            .where(theirs.chat_id == merged_id, _moving(theirs))
            .where(
                exists().where(
                    mine.chat_id == program_id, mine.user_id == theirs.user_id, _moving(mine)
                )
            )
        )
        groups = len(await self.programs.groups(program_id)) + len(
            await self.programs.groups(merged_id)
        )
        return JoinPreview(program_id, merged_id, groups, accounts, shared or 0, points)

    async def join(self, program_id: int, merged_id: int, by: int) -> MergeReport:
        """Join program `merged_id` (all its groups) into `program_id`, in this transaction."""
        await self._check(program_id, merged_id)
        now = self.clock.now()
        program = await self.programs.program(program_id)  # named after its founding group
        if program.owner_id is None:
            program.owner_id = by  # who made a brand of several groups: its owner (staff)
        await self.session.execute(
            update(Chat).where(in_program(merged_id)).values(program_id=program_id)
        )
        report = MergeReport(program_id, merged_id)
        await self._move_accounts(report, now)
        await self._move_program_data(report)
        basis = await self._tier_basis(program_id)
        report.tiers_moved = await self.tiers.rerank(program_id, basis)
        self.session.add(
            ProgramMerge(
                program_id=program_id, merged_id=merged_id, merged_by=by,
                members=report.accounts, points=report.points, report=report.as_json(),
                created_at=now,
            )
        )  # fmt: skip
        return report

    async def sweep(self) -> int:
        """Move in what was paid into a program after it joined another (a worker whose cache
        had not heard yet): accounts move as at the join, through the ledger. Accounts moved."""
        since = self.clock.now() - SWEEP_WINDOW
        recent = await self.session.execute(
            select(ProgramMerge.program_id, ProgramMerge.merged_id)
            .where(ProgramMerge.created_at >= since)
            .order_by(ProgramMerge.id)
        )
        moved = 0
        for program_id, merged_id in recent.all():
            into = await self.programs.program_of(program_id)  # it may have joined another since
            report = MergeReport(into, merged_id)
            await self._move_accounts(report, self.clock.now())
            await self._move_program_data(report)
            moved += report.accounts
        return moved

    async def _move_accounts(self, report: MergeReport, now: datetime) -> None:
        into, merged = report.program_id, report.merged_id
        leaving = list(
            await self.session.scalars(
                select(Member)
                .where(Member.chat_id == merged, _moving(Member))
                .order_by(Member.user_id)
                .with_for_update()
            )
        )
        if not leaving:
            return
        # Accounts in the program that stays, made (as not in its founding group) where missing.
        await upsert(
            self.session, Member,
            [{"chat_id": into, "user_id": m.user_id, "username": m.username,
              "display_name": m.display_name, "left_at": now} for m in leaving],
            keys=["chat_id", "user_id"],
        )  # fmt: skip
        staying = {
            m.user_id: m
            for m in await self.session.scalars(
                select(Member)
                .where(Member.chat_id == into, Member.user_id.in_([m.user_id for m in leaving]))
                .with_for_update()
            )
        }
        # Keyed by each account's last ledger row: a sweep after the join moves what came since.
        last_rows = dict(
            (
                await self.session.execute(
                    select(LedgerEntry.user_id, func.max(LedgerEntry.id))
                    .where(LedgerEntry.chat_id == merged)
                    .where(LedgerEntry.user_id.in_([m.user_id for m in leaving]))
                    .group_by(LedgerEntry.user_id)
                )
            ).all()
        )
        for member in leaving:
            other = staying[member.user_id]
            points, lifetime = member.points, member.lifetime_points
            if points or lifetime:
                last = last_rows.get(member.user_id, 0)
                key = f"merge:{merged}:{into}:{member.user_id}:{last}"
                self.session.add_all([
                    LedgerEntry(
                        chat_id=merged, user_id=member.user_id, delta=-points, reason=MERGED,
                        ref=f"to:{into}", idempotency_key=key + ":out", created_at=now,
                        lifetime_delta=-lifetime,
                    ),
                    LedgerEntry(
                        chat_id=into, user_id=member.user_id, delta=points, reason=MERGED,
                        ref=f"from:{merged}", idempotency_key=key + ":in", created_at=now,
                        lifetime_delta=lifetime,
                    ),
                ])  # fmt: skip
            other.points += points
            other.lifetime_points += lifetime
            other.lifetime_reached_at = _latest(
                other.lifetime_reached_at, member.lifetime_reached_at
            )
            other.spent_fen += member.spent_fen
            other.orders_paid += member.orders_paid
            other.points_owed += member.points_owed
            other.last_order_at = _latest(other.last_order_at, member.last_order_at)
            other.pushes_off = other.pushes_off or member.pushes_off
            other.best_streak = max(other.best_streak, member.best_streak)
            if _signed_later(member, other):  # the streak still running is the later one
                other.streak, other.last_checkin_day = member.streak, member.last_checkin_day
            # The account left: the group's row keeps only what is the group's.
            member.points = member.lifetime_points = 0
            member.spent_fen = member.orders_paid = member.points_owed = 0
            member.streak = member.best_streak = 0
            member.last_checkin_day = None
            member.tier = None
            report.accounts += 1
            report.points += points
        await self.session.flush()

    async def _move_program_data(self, report: MergeReport) -> None:
        into, merged = report.program_id, report.merged_id
        moved = report.moved
        # Orders: all but those whose number the program that stays already has.
        theirs = aliased(Order)
        taken = exists().where(theirs.chat_id == into, theirs.order_id == Order.order_id)
        report.duplicate_orders = list(
            await self.session.scalars(
                select(Order.order_id).where(Order.chat_id == merged, taken).order_by(Order.id)
            )
        )
        # A copy kept apart never pays: the program's own copy of that order does.
        await self._rechain(
            update(Order)
            .where(Order.chat_id == merged, taken)
            .where(Order.points_state.in_(("waiting", "pending")))
            .values(points_state="void")
        )
        moved["orders"] = await self._rechain(
            update(Order).where(Order.chat_id == merged, ~taken).values(chat_id=into)
        )
        # Nickname bindings: a nickname bound in both stays where it was, reported.
        bound = aliased(BuyerBinding)
        both = await self.session.execute(
            select(BuyerBinding.buyer_key, BuyerBinding.user_id, bound.user_id)
            .join(bound, and_(bound.chat_id == into, bound.buyer_key == BuyerBinding.buyer_key))
            .where(BuyerBinding.chat_id == merged)
            .order_by(BuyerBinding.buyer_key)
        )
        report.duplicate_bindings = [
            {"nickname": key, "member": merged_user, "other": staying_user}
            for key, merged_user, staying_user in both
            if merged_user != staying_user
        ]
        clash = exists().where(bound.chat_id == into, bound.buyer_key == BuyerBinding.buyer_key)
        moved["bindings"] = await self._rechain(
            update(BuyerBinding).where(BuyerBinding.chat_id == merged, ~clash).values(chat_id=into)
        )
        # The shop: rewards and their redemptions move; a code the other pool has stays.
        moved["rewards"] = await self._rechain(
            update(Reward).where(Reward.chat_id == merged).values(chat_id=into)
        )
        code = aliased(RewardCode)
        code_taken = exists().where(code.chat_id == into, code.code == RewardCode.code)
        report.kept_codes = len(
            list(
                await self.session.scalars(
                    select(RewardCode.id).where(RewardCode.chat_id == merged, code_taken)
                )
            )
        )
        # A code kept apart is never handed out (its reward moved): the program's copy is.
        await self._rechain(
            update(RewardCode)
            .where(RewardCode.chat_id == merged, code_taken, RewardCode.status == "free")
            .values(status="held")
        )
        moved["codes"] = await self._rechain(
            update(RewardCode).where(RewardCode.chat_id == merged, ~code_taken).values(chat_id=into)
        )
        moved["redemptions"] = await self._rechain(
            update(Redemption).where(Redemption.chat_id == merged).values(chat_id=into)
        )
        # Sign-ins: a member's day signed in on both sides keeps each where it was.
        signed = aliased(Checkin)
        same_day = exists().where(
            signed.chat_id == into, signed.user_id == Checkin.user_id, signed.day == Checkin.day
        )
        moved["checkins"] = await self._rechain(
            update(Checkin).where(Checkin.chat_id == merged, ~same_day).values(chat_id=into)
        )
        # Labels and notes (客户标签): one of each label a member carries, every note.
        moved["labels"] = await LabelService(self.session, self.clock).merge(merged, into)
        # Channels bring members to the program now; a member's first channel stays the one
        # recorded by the program that stays, where both have one.
        moved["channels"] = await self._rechain(
            update(Channel).where(Channel.program_id == merged).values(program_id=into)
        )
        joined = aliased(ChannelJoin)
        came = exists().where(joined.program_id == into, joined.user_id == ChannelJoin.user_id)
        moved["channel_joins"] = await self._rechain(
            update(ChannelJoin)
            .where(ChannelJoin.program_id == merged, ~came)
            .values(program_id=into)
        )
        # Distributors, their codes and commission (services/commission_merge.py).
        report.kept_distributor_codes = await merge_commission(
            self.session, self.clock, merged, into, moved
        )
        # Console staff stay with the program that granted them (no longer any group's): the
        # staying program's owner chooses its own staff.

    async def _rechain(self, statement: Any) -> int:
        result = await self.session.execute(statement.execution_options(synchronize_session=False))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def _tier_basis(self, program_id: int) -> str:
        settings = await self.session.scalar(select(Chat.settings).where(Chat.id == program_id))
        return OrderRules.from_settings(settings or {}).tier_basis


def _signed_later(member: Member, other: Member) -> bool:
    if member.last_checkin_day is None:
        return False
    if other.last_checkin_day is None:
        return True
    return (member.last_checkin_day, member.streak) > (other.last_checkin_day, other.streak)


def _latest(one: datetime | None, other: datetime | None) -> datetime | None:
    return max((moment for moment in (one, other) if moment is not None), default=None)


async def sweep_joined(
    session_pool: async_sessionmaker[AsyncSession], join: Callable[[AsyncSession], ProgramJoin]
) -> int:
    """The background check: what stale workers paid into programs that joined others."""
    async with session_pool() as session, session.begin():
        return await join(session).sweep()
