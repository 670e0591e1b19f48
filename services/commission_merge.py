"""Distributors when a program joins another (`/program join`, `services/program_merge.py`).

Distributors, their codes, commissions and the commission ledger are the program's, so they
move to the program that stays. A member who sells for both keeps one row there: the sums add
up (the ledger rows move with them, so the audit still adds up), the staying row's rate and
link stand (the joining one's when only it was active). The joining program's row is left as an
empty shell, removed, so a worker that had not heard of the join attributes nothing more there,
and what it wrote meanwhile the sweep moves in the same way. A code held in both stays where it
was and is reported. The commission of an order kept apart as a copy (the program that stays
has that order number) is voided: the real order pays commission once, through its own row.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from models import Commission, CommissionEntry, Distributor, DistributorCode, Order
from models.queries import upsert
from services.clock import Clock
from services.commission import Batch, CommissionService


async def merge_commission(
    session: AsyncSession, clock: Clock, merged: int, into: int, moved: dict[str, int]
) -> list[str]:
    """Move program `merged`'s selling into `into`; counts into `moved`, the codes kept apart
    (held in both) returned."""
    commission = CommissionService(session, clock)
    sums: Batch = {}
    copies = select(Order.id).where(Order.chat_id == merged)  # kept apart: another has them
    for row in await session.scalars(
        select(Commission)
        .where(Commission.program_id == merged, Commission.order_row.in_(copies))
        .order_by(Commission.order_row)
        .with_for_update()
        .execution_options(populate_existing=True)
    ):
        await commission.void(row, f"commission-merged:{row.order_row}", sums)
    await commission.apply(sums)
    moved["distributors"] = await _add_up(session, clock, merged, into)
    moved["commissions"] = await _rechain(
        session, update(Commission).where(Commission.program_id == merged).values(program_id=into)
    )
    await _rechain(
        session,
        update(CommissionEntry).where(CommissionEntry.program_id == merged).values(program_id=into),
    )
    held = aliased(DistributorCode)
    both = exists().where(held.program_id == into, held.code == DistributorCode.code)
    kept = list(
        await session.scalars(
            select(DistributorCode.code)
            .where(DistributorCode.program_id == merged, both)
            .order_by(DistributorCode.code)
        )
    )
    moved["distributor_codes"] = await _rechain(
        session,
        update(DistributorCode)
        .where(DistributorCode.program_id == merged, ~both)
        .values(program_id=into),
    )
    return kept


async def _add_up(session: AsyncSession, clock: Clock, merged: int, into: int) -> int:
    """Each distributor of `merged` as one row of `into`, their sums added; `merged`'s emptied."""
    leaving = list(
        await session.scalars(
            select(Distributor)
            .where(Distributor.program_id == merged)
            .order_by(Distributor.user_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    if not leaving:
        return 0
    await upsert(
        session, Distributor,
        [{"program_id": into, "user_id": d.user_id, "rate_bp": d.rate_bp,
          "channel_id": d.channel_id, "pending_fen": 0, "payable_fen": 0, "paid_fen": 0,
          "added_by": d.added_by, "added_at": d.added_at, "removed_at": d.removed_at}
         for d in leaving],
        keys=["program_id", "user_id"],
    )  # fmt: skip
    staying = {
        d.user_id: d
        for d in await session.scalars(
            select(Distributor)
            .where(Distributor.program_id == into)
            .where(Distributor.user_id.in_([d.user_id for d in leaving]))
            .order_by(Distributor.user_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    }
    now = clock.now()
    for old in leaving:
        new = staying[old.user_id]
        if new.removed_at is not None and old.removed_at is None:  # active in the one joining
            new.rate_bp, new.added_at, new.removed_at = old.rate_bp, old.added_at, None
        new.channel_id = new.channel_id or old.channel_id
        new.pending_fen += old.pending_fen
        new.payable_fen += old.payable_fen
        new.paid_fen += old.paid_fen
        old.pending_fen = old.payable_fen = old.paid_fen = 0
        old.removed_at = old.removed_at or now
    await session.flush()
    return len(leaving)


async def _rechain(session: AsyncSession, statement: Any) -> int:
    result = await session.execute(statement.execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
