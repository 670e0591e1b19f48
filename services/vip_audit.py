"""The payments ledger's audit (`fanbot audit`, issue 38): every membership is what its
payments say, and every payment belongs to the membership it names."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import VipMembership, VipPayment
from services.vip import ACTIVE, REFUNDED


async def audit_payments(session: AsyncSession) -> list[str]:
    """What does not add up: a payment whose membership is missing or someone else's, a
    membership without payments, an active one whose end is not its newest payment's, a
    refunded one no refund explains."""
    problems: list[str] = []
    orphans = await session.execute(
        select(VipPayment.charge_id)
        .outerjoin(VipMembership, VipMembership.id == VipPayment.membership_id)
        .where(
            VipMembership.id.is_(None)
            | (VipMembership.user_id != VipPayment.user_id)
            | (VipMembership.plan_id != VipPayment.plan_id)
            | (VipMembership.program_id != VipPayment.program_id)
        )
    )
    problems += [f"payment {charge}: not its membership's" for (charge,) in orphans]
    paid = (
        select(
            VipPayment.membership_id,
            func.count().label("payments"),
            func.count(VipPayment.refunded_at).label("refunds"),
        )
        .group_by(VipPayment.membership_id)
        .subquery()
    )
    rows = await session.execute(
        select(VipMembership, paid.c.payments, paid.c.refunds).outerjoin(
            paid, paid.c.membership_id == VipMembership.id
        )
    )
    for membership, payments, refunds in rows:
        name = f"membership {membership.id} (user {membership.user_id})"
        if not payments:
            problems.append(f"{name}: no payment")
        elif membership.status == REFUNDED and not refunds:
            problems.append(f"{name}: refunded, but no payment was")
        elif membership.status == ACTIVE:
            newest = await session.scalar(
                select(func.max(VipPayment.expires_at)).where(
                    VipPayment.membership_id == membership.id,
                    VipPayment.refunded_at.is_(None),
                    VipPayment.paid_at >= membership.started_at,
                )
            )
            if newest != membership.expires_at:
                problems.append(
                    f"{name}: active until {membership.expires_at}, paid until {newest}"
                )
    return problems
