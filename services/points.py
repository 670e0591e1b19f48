"""Points: the one place that changes balances.

Every change is a `points_ledger` row with an idempotency key, written in the same savepoint as
the member's balances, so a redelivered update, a retried job or a second worker never pays
twice, and `members.points == SUM(ledger.delta)` always holds (`audit` checks it).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import LedgerEntry, Member
from models.queries import insert_for, upsert
from services.clock import Clock

MAX_CHANGE = 1_000_000
# Positive changes that give back what was spent, rather than earn: they leave lifetime alone.
NOT_EARNED = frozenset({"refund"})


class NotEnoughPoints(Exception):
    def __init__(self, balance: int) -> None:
        super().__init__(f"balance {balance} is too low")
        self.balance = balance


@dataclass(frozen=True, slots=True)
class Balance:
    points: int
    lifetime_points: int
    applied: bool  # False: this key was applied before, nothing changed now


@dataclass(frozen=True, slots=True)
class Mismatch:
    chat_id: int
    user_id: int
    points: int
    ledger_points: int
    lifetime_points: int
    ledger_lifetime: int


class PointsService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def change(
        self,
        chat_id: int,
        user_id: int,
        delta: int,
        *,
        reason: str,
        key: str,
        ref: str | None = None,
        actor: int | None = None,
    ) -> Balance:
        """Apply `delta` once per `key`; a negative delta never takes the balance below zero."""
        if delta == 0 or abs(delta) > MAX_CHANGE:
            raise ValueError(f"a change must be between 1 and {MAX_CHANGE} points either way")
        await self._ensure_member(chat_id, user_id)
        async with self.session.begin_nested():  # a refused deduction undoes its ledger row
            inserted = await self.session.scalar(
                insert_for(self.session, LedgerEntry)
                .values(
                    chat_id=chat_id,
                    user_id=user_id,
                    delta=delta,
                    reason=reason,
                    ref=ref,
                    idempotency_key=key,
                    actor=actor,
                    created_at=self.clock.now(),
                )
                .on_conflict_do_nothing(index_elements=["idempotency_key"])
                .returning(LedgerEntry.id)
            )
            if inserted is None:
                return await self._balance(chat_id, user_id, applied=False)
            earned = delta if delta > 0 and reason not in NOT_EARNED else 0
            changed = (
                await self.session.execute(
                    update(Member)
                    .where(Member.chat_id == chat_id, Member.user_id == user_id)
                    .where(Member.points + delta >= 0)
                    .values(
                        points=Member.points + delta,
                        lifetime_points=Member.lifetime_points + earned,
                    )
                    .returning(Member.points, Member.lifetime_points)
                )
            ).one_or_none()
            if changed is None:
                balance = await self._balance(chat_id, user_id, applied=False)
                raise NotEnoughPoints(balance.points)
        return Balance(points=changed[0], lifetime_points=changed[1], applied=True)

    async def balance(self, chat_id: int, user_id: int) -> Balance:
        return await self._balance(chat_id, user_id, applied=False)

    async def history(self, chat_id: int, user_id: int, limit: int = 10) -> list[LedgerEntry]:
        rows = await self.session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.chat_id == chat_id, LedgerEntry.user_id == user_id)
            .order_by(LedgerEntry.id.desc())
            .limit(limit)
        )
        return list(rows)

    async def _balance(self, chat_id: int, user_id: int, *, applied: bool) -> Balance:
        row = (
            await self.session.execute(
                select(Member.points, Member.lifetime_points).where(
                    Member.chat_id == chat_id, Member.user_id == user_id
                )
            )
        ).one_or_none()
        points, lifetime = row if row is not None else (0, 0)
        return Balance(points=points, lifetime_points=lifetime, applied=applied)

    async def _ensure_member(self, chat_id: int, user_id: int) -> None:
        await upsert(
            self.session,
            Member,
            {"chat_id": chat_id, "user_id": user_id},
            keys=["chat_id", "user_id"],
        )


async def audit(session: AsyncSession) -> list[Mismatch]:
    """Members whose balances differ from what their ledger adds up to."""
    earned = case(
        (
            (LedgerEntry.delta > 0) & LedgerEntry.reason.not_in(sorted(NOT_EARNED)),
            LedgerEntry.delta,
        ),
        else_=0,
    )
    totals = (
        select(
            LedgerEntry.chat_id,
            LedgerEntry.user_id,
            func.sum(LedgerEntry.delta).label("points"),
            func.sum(earned).label("lifetime"),
        )
        .group_by(LedgerEntry.chat_id, LedgerEntry.user_id)
        .subquery()
    )
    ledger_points = func.coalesce(totals.c.points, 0)
    ledger_lifetime = func.coalesce(totals.c.lifetime, 0)
    rows = await session.execute(
        select(
            Member.chat_id,
            Member.user_id,
            Member.points,
            ledger_points,
            Member.lifetime_points,
            ledger_lifetime,
        )
        .outerjoin(
            totals, (totals.c.chat_id == Member.chat_id) & (totals.c.user_id == Member.user_id)
        )
        .where((Member.points != ledger_points) | (Member.lifetime_points != ledger_lifetime))
        .order_by(Member.chat_id, Member.user_id)
    )
    return [Mismatch(*(int(value) for value in row)) for row in rows]
