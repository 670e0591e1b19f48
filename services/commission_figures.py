"""What distributors sold and earned (`/stats distributors`, the console, `/export commission`),
and the commission ledger's audit (`fanbot audit`)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Commission, CommissionEntry, Distributor, Member, Order
from services.commission import State, Sums
from services.csvcells import SafeWriter

CSV_HEADERS = (
    "time", "distributor_id", "distributor", "reason", "order_id", "pending_yuan",
    "payable_yuan", "paid_yuan", "reference",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Figures:
    """A distributor's sales: orders attributed and not refunded in full, their GMV (net of
    refunds), and the commission's sums."""

    user_id: int
    name: str
    orders: int
    gmv_fen: int
    commission_fen: int  # pending + payable + paid
    sums: Sums


async def figures(session: AsyncSession, program_id: int) -> list[Figures]:
    """Each distributor's orders, GMV and commission, the most commission first."""
    sales = (
        select(
            Commission.user_id,
            func.count().label("orders"),
            func.sum(Order.amount_fen - Order.refunded_fen).label("gmv"),
        )
        .join(Order, Order.id == Commission.order_row)
        .where(Commission.program_id == program_id, Commission.state != State.VOID)
        .group_by(Commission.user_id)
        .subquery()
    )
    rows = await session.execute(
        select(
            Distributor,
            func.coalesce(sales.c.orders, 0),
            func.coalesce(sales.c.gmv, 0),
            Member.display_name,
        )
        .outerjoin(sales, sales.c.user_id == Distributor.user_id)
        .outerjoin(
            Member,
            (Member.chat_id == program_id) & (Member.user_id == Distributor.user_id),
        )
        .where(Distributor.program_id == program_id)
    )
    found = [
        Figures(
            row.user_id,
            name or str(row.user_id),
            int(orders),
            int(gmv),
            row.pending_fen + row.payable_fen + row.paid_fen,
            Sums(row.pending_fen, row.payable_fen, row.paid_fen),
        )
        for row, orders, gmv, name in rows
    ]
    return sorted(found, key=lambda f: (-f.commission_fen, -f.gmv_fen, f.user_id))


async def entries(session: AsyncSession, program_id: int) -> list[CommissionEntry]:
    """The program's commission ledger, oldest first (`/export commission`)."""
    return list(
        await session.scalars(
            select(CommissionEntry)
            .where(CommissionEntry.program_id == program_id)
            .order_by(CommissionEntry.id)
        )
    )


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


async def commission_csv(session: AsyncSession, program_id: int, timezone: str) -> bytes:
    """The program's commission ledger as CSV (UTF-8 with a BOM, for Excel; every cell
    through `SafeWriter`), oldest first, amounts in yuan."""
    zone = ZoneInfo(timezone)
    names = dict(
        (
            await session.execute(
                select(Member.user_id, Member.display_name).where(
                    Member.chat_id == program_id,
                    Member.user_id.in_(
                        select(Distributor.user_id).where(Distributor.program_id == program_id)
                    ),
                )
            )
        ).all()
    )
    numbers = dict(
        (
            await session.execute(
                select(Order.id, Order.order_id)
                .join(CommissionEntry, CommissionEntry.order_row == Order.id)
                .where(CommissionEntry.program_id == program_id)
            )
        ).all()
    )
    out = io.StringIO(newline="")
    writer = SafeWriter(out)
    writer.writerow(CSV_HEADERS)
    for entry in await entries(session, program_id):
        writer.writerow([
            entry.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"), entry.user_id,
            names.get(entry.user_id, ""), entry.reason, numbers.get(entry.order_row or 0, ""),
            _yuan(entry.pending_delta), _yuan(entry.payable_delta), _yuan(entry.paid_delta),
            entry.reference or "",
        ])  # fmt: skip
    return out.getvalue().encode("utf-8-sig")


async def audit_commission(session: AsyncSession) -> list[str]:
    """Distributors whose sums differ from what their commission ledger adds up to, or hold
    less than nothing pending or paid."""
    totals = (
        select(
            CommissionEntry.program_id,
            CommissionEntry.user_id,
            func.sum(CommissionEntry.pending_delta).label("pending"),
            func.sum(CommissionEntry.payable_delta).label("payable"),
            func.sum(CommissionEntry.paid_delta).label("paid"),
        )
        .group_by(CommissionEntry.program_id, CommissionEntry.user_id)
        .subquery()
    )
    pending = func.coalesce(totals.c.pending, 0)
    payable = func.coalesce(totals.c.payable, 0)
    paid = func.coalesce(totals.c.paid, 0)
    rows = await session.execute(
        select(Distributor, pending, payable, paid).outerjoin(
            totals,
            (totals.c.program_id == Distributor.program_id)
            & (totals.c.user_id == Distributor.user_id),
        )
    )
    problems = []
    for seller, *summed in rows:
        held = (seller.pending_fen, seller.payable_fen, seller.paid_fen)
        if (
            held != tuple(int(value) for value in summed)
            or seller.pending_fen < 0
            or (seller.paid_fen < 0)
        ):
            problems.append(
                f"distributor {seller.user_id} of {seller.program_id}: pending, payable, paid "
                f"{held}, the commission ledger says {tuple(int(v) for v in summed)}"
            )
    return problems
