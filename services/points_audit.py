"""The ledger's audit (`fanbot audit`, and every bench and chaos run): each member's balances
are what their `points_ledger` rows add up to, by the ledger's own rules of what is earned."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import LedgerEntry, Member
from services.points import IMPORTED, MERGED, NOT_EARNED, TAKEN_BACK


@dataclass(frozen=True, slots=True)
class Mismatch:
    chat_id: int
    user_id: int
    points: int
    ledger_points: int
    lifetime_points: int
    ledger_lifetime: int


async def audit(session: AsyncSession) -> list[Mismatch]:
    """Members whose balances differ from what their ledger adds up to."""
    earned = case(
        (LedgerEntry.reason.in_((MERGED, IMPORTED)), func.coalesce(LedgerEntry.lifetime_delta, 0)),
        (
            (LedgerEntry.delta > 0) & LedgerEntry.reason.not_in(sorted(NOT_EARNED)),
            LedgerEntry.delta,
        ),
        (LedgerEntry.reason == TAKEN_BACK, LedgerEntry.delta),
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
