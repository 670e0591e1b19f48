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
from services.export_columns import Column

REASONS = {
    "accrue": "计入", "cancel": "退货期内扣减", "confirm": "结算为可提现", "clawback": "追回",
    "payout": "打款",
}  # fmt: skip
CSV_COLUMNS = (
    Column("time", "时间"), Column("distributor_id", "分销员ID"), Column("distributor", "分销员"),
    Column("reason", "类型", REASONS), Column("order_id", "订单号"),
    Column("pending_yuan", "待结算(元)"), Column("payable_yuan", "可提现(元)"),
    Column("paid_yuan", "已打款(元)"), Column("reference", "打款凭证"),
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
        .where(Commission.counted_fen > 0)  # refunded in full after the window: no sale
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


async def commission_csv(
    session: AsyncSession, program_id: int, timezone: str, language: str = "en"
) -> bytes:
    """The program's commission ledger as CSV (UTF-8 with a BOM, for Excel; every cell
    through `SafeWriter`), oldest first, amounts in yuan; headers and reasons in `language`
    (zh, else English), as `/export` writes them."""
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
    writer.writerow([column.header(language) for column in CSV_COLUMNS])
    reason = CSV_COLUMNS[3]
    for entry in await entries(session, program_id):
        writer.writerow([
            entry.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"), entry.user_id,
            names.get(entry.user_id, ""), reason.label(entry.reason, language),
            numbers.get(entry.order_row or 0, ""),
            _yuan(entry.pending_delta), _yuan(entry.payable_delta), _yuan(entry.paid_delta),
            entry.reference or "",
        ])  # fmt: skip
    return out.getvalue().encode("utf-8-sig")


async def audit_commission(session: AsyncSession) -> list[str]:
    """Distributors whose sums differ from what their commission ledger adds up to, or hold
    less than nothing pending or paid; orders whose commission differs from its ledger rows;
    ledger rows of no distributor."""
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
    return problems + await _audit_orders(session) + await _audit_strays(session)


async def _audit_orders(session: AsyncSession) -> list[str]:
    """Each order's commission as its ledger rows add up: what stands (`counted_fen`) pending
    while pending, payable once confirmed, nothing once void; ledger rows of no commission."""
    moved = (
        select(
            CommissionEntry.order_row,
            func.sum(CommissionEntry.pending_delta).label("pending"),
            func.sum(CommissionEntry.payable_delta).label("payable"),
        )
        .where(CommissionEntry.order_row.is_not(None))
        .group_by(CommissionEntry.order_row)
        .subquery()
    )
    rows = await session.execute(
        select(Commission, moved.c.pending, moved.c.payable).outerjoin(
            moved, moved.c.order_row == Commission.order_row
        )
    )
    problems = []
    for commission, pending, payable in rows:
        counted = commission.counted_fen
        expected = {State.PENDING: (counted, 0), State.CONFIRMED: (0, counted)}.get(
            State(commission.state), (0, 0)
        )
        found = (int(pending or 0), int(payable or 0))
        if found != expected or (commission.state == State.VOID and counted != 0):
            problems.append(
                f"commission of order row {commission.order_row} ({commission.state}, "
                f"{counted} fen standing): its ledger rows add up to pending, payable {found}"
            )
    orphans = await session.scalars(
        select(CommissionEntry.order_row)
        .where(CommissionEntry.order_row.is_not(None))
        .where(CommissionEntry.order_row.not_in(select(Commission.order_row)))
        .distinct()
    )
    problems += [f"commission ledger rows of order row {row}, which has none" for row in orphans]
    return problems


async def _audit_strays(session: AsyncSession) -> list[str]:
    """Commission ledger rows of someone who is no distributor of that program."""
    strays = await session.execute(
        select(CommissionEntry.program_id, CommissionEntry.user_id)
        .outerjoin(
            Distributor,
            (Distributor.program_id == CommissionEntry.program_id)
            & (Distributor.user_id == CommissionEntry.user_id),
        )
        .where(Distributor.user_id.is_(None))
        .distinct()
    )
    return [
        f"commission ledger rows of {user_id} in {program_id}, who is no distributor there"
        for program_id, user_id in strays
    ]
