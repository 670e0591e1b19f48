"""What the console shows of a group's orders: the latest (newest paid first, paged by keyset
over `ix_orders_paid`), the buyers whose nickname no member has bound yet, the disputed
nicknames the admins were told of, sales by local day, the best-selling items, and one
member's orders. Reads only; figures (GMV, buyers, AOV) stay `sales.order_figures`'."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import BuyerBinding, Member, Order, OutboxMessage
from services.order_files import buyer_key
from services.order_messages import BindClaimed
from services.outbox import UnreadablePayload

PAGE = 50
WAITING_SHOWN = 50
TOP_ITEMS = 10
MEMBER_ORDERS = 20
OUTBOX_STATES = ("pending", "sending", "sent", "skipped", "failed")


@dataclass(frozen=True, slots=True)
class OrderRow:
    order: Order
    member_name: str | None  # the member it is credited to, if any


@dataclass(frozen=True, slots=True)
class OrdersPage:
    rows: list[OrderRow]
    older: int | None  # the last row's id, for the next page (`before=`), when there is one


@dataclass(frozen=True, slots=True)
class WaitingBuyer:
    """A shop nickname with orders no member has bound: its buyer has not sent /bind yet."""

    buyer: str
    orders: int
    spent_fen: int
    last_paid: datetime


@dataclass(frozen=True, slots=True)
class ItemSales:
    title: str | None  # None: orders whose file had no item title
    orders: int
    gmv_fen: int


@dataclass(frozen=True, slots=True)
class DisputedNickname:
    """A member proved a nickname another member holds (the admins were told): an admin may
    move it to the claimant, or leave it with its holder."""

    buyer: str
    claimant: int
    claimant_name: str
    holder: int
    holder_name: str
    claimed_at: datetime


async def latest_orders(
    session: AsyncSession, chat_id: int, before: int | None = None, limit: int = PAGE
) -> OrdersPage:
    """The group's orders, newest paid first; `before`: the last order id of the page before."""
    statement = (
        select(Order, Member.display_name)
        .outerjoin(Member, and_(Member.chat_id == Order.chat_id, Member.user_id == Order.user_id))
        .where(Order.chat_id == chat_id)
    )
    if before is not None:
        last = await session.scalar(
            select(Order.paid_at).where(Order.chat_id == chat_id, Order.id == before)
        )
        if last is not None:
            statement = statement.where(
                or_(Order.paid_at < last, and_(Order.paid_at == last, Order.id < before))
            )
    found = await session.execute(
        statement.order_by(Order.paid_at.desc(), Order.id.desc()).limit(limit + 1)
    )
    rows = [OrderRow(order, name) for order, name in found.all()]
    older = rows[limit - 1].order.id if len(rows) > limit else None
    return OrdersPage(rows[:limit], older)


async def waiting_buyers(
    session: AsyncSession, chat_id: int, limit: int = WAITING_SHOWN
) -> tuple[list[WaitingBuyer], int]:
    """The nicknames whose orders wait for a binding, most spent first, and how many there are
    in all (refunded-in-full orders are no reason to bind)."""
    waiting = (
        select(
            Order.buyer_key,
            func.max(Order.buyer).label("buyer"),
            func.count().label("orders"),
            func.sum(Order.amount_fen - Order.refunded_fen).label("spent"),
            func.max(Order.paid_at).label("last_paid"),
        )
        .where(Order.chat_id == chat_id, Order.user_id.is_(None))
        .where(Order.refunded_fen < Order.amount_fen)
        .group_by(Order.buyer_key)
        .subquery()
    )
    total = await session.scalar(select(func.count()).select_from(waiting))
    rows = await session.execute(
        select(waiting.c.buyer, waiting.c.orders, waiting.c.spent, waiting.c.last_paid)
        .order_by(waiting.c.spent.desc(), waiting.c.buyer_key)
        .limit(limit)
    )
    buyers = [
        WaitingBuyer(buyer, int(orders), int(spent), _aware(last_paid))
        for buyer, orders, spent, last_paid in rows
    ]
    return buyers, int(total or 0)


async def top_items(
    session: AsyncSession, chat_id: int, start: datetime, end: datetime, limit: int = TOP_ITEMS
) -> list[ItemSales]:
    """The items that sold most in [start, end), by GMV (net of refunds), as `order_figures`
    counts an order: paid in the period and not refunded in full."""
    gmv = func.sum(Order.amount_fen - Order.refunded_fen)
    rows = await session.execute(
        select(Order.title, func.count(), gmv)
        .where(Order.chat_id == chat_id, Order.paid_at >= start, Order.paid_at < end)
        .where(Order.refunded_fen < Order.amount_fen)
        .group_by(Order.title)
        .order_by(gmv.desc(), Order.title)
        .limit(limit)
    )
    return [ItemSales(title, int(orders), int(fen)) for title, orders, fen in rows]


async def daily_sales(
    session: AsyncSession, chat_id: int, start: datetime, end: datetime, timezone: str
) -> dict[date, int]:
    """GMV (fen, net of refunds) per local day of the group's clock in [start, end). Summed
    here rather than by the database: a local day is not a UTC day, and the dialects differ
    on time zones; a period's orders are two small columns."""
    zone = ZoneInfo(timezone)
    sales: dict[date, int] = defaultdict(int)
    rows = await session.execute(
        select(Order.paid_at, Order.amount_fen - Order.refunded_fen).where(
            Order.chat_id == chat_id, Order.paid_at >= start, Order.paid_at < end,
            Order.refunded_fen < Order.amount_fen,
        )
    )  # fmt: skip
    for paid_at, net in rows:
        sales[_aware(paid_at).astimezone(zone).date()] += int(net)
    return dict(sales)


async def disputed_nicknames(
    session: AsyncSession, chat_id: int, since: datetime
) -> list[DisputedNickname]:
    """The claims the admins were told of since `since` (`BindClaimed` rows of the outbox) that
    still stand: the nickname is held by someone other than the claimant. The outbox has no
    index by kind: its rows are read by (status, due_at), the claims being due when written."""
    rows = await session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status.in_(OUTBOX_STATES), OutboxMessage.due_at >= since)
        .where(OutboxMessage.kind == BindClaimed.kind)
        .where(OutboxMessage.key.startswith(f"bind_claimed:{chat_id}:"))
        .order_by(OutboxMessage.id.desc())
    )
    claims: dict[tuple[int, str], tuple[BindClaimed, datetime]] = {}
    for row in rows:
        try:
            claim = BindClaimed.from_json(row.payload)
        except UnreadablePayload:
            continue
        if claim.group == chat_id:  # one row per admin told: one claim
            claims.setdefault((claim.claimant, buyer_key(claim.buyer)), (claim, row.created_at))
    if not claims:
        return []
    holders = dict(
        (
            await session.execute(
                select(BuyerBinding.buyer_key, BuyerBinding.user_id).where(
                    BuyerBinding.chat_id == chat_id,
                    BuyerBinding.buyer_key.in_(sorted({key for _c, key in claims})),
                )
            )
        ).all()
    )
    standing = {
        pair: found for pair, found in claims.items() if holders.get(pair[1]) not in (None, pair[0])
    }
    names = await _names(session, chat_id, {n for c, _at in standing.values() for n in
                                            (c.claimant, holders[buyer_key(c.buyer)])})  # fmt: skip
    return [
        DisputedNickname(
            claim.buyer, claim.claimant, names.get(claim.claimant, str(claim.claimant)),
            holders[key], names.get(holders[key], str(holders[key])), at,
        )
        for (_claimant, key), (claim, at) in standing.items()
    ]  # fmt: skip


async def member_orders(
    session: AsyncSession, chat_id: int, user_id: int, limit: int = MEMBER_ORDERS
) -> list[Order]:
    """A member's latest orders, newest paid first."""
    found = await session.scalars(
        select(Order)
        .where(Order.chat_id == chat_id, Order.user_id == user_id)
        .order_by(Order.paid_at.desc(), Order.id.desc())
        .limit(limit)
    )
    return list(found)


async def _names(session: AsyncSession, chat_id: int, user_ids: set[int]) -> dict[int, str]:
    rows = await session.execute(
        select(Member.user_id, Member.display_name).where(
            Member.chat_id == chat_id, Member.user_id.in_(sorted(user_ids))
        )
    )
    return {user_id: name or str(user_id) for user_id, name in rows}


def _aware(moment: datetime) -> datetime:
    """An aggregate's time (max()) comes back without the column's type: naive on SQLite."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=ZoneInfo("UTC"))
