"""What the console's orders page reads, on a real database: the latest orders page by page,
the buyers waiting for /bind, the best-selling items, sales by the group's local day, and the
disputed nicknames until one is moved."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.bindings import BindStatus, OrderProof
from services.clock import FrozenClock
from services.order_files import OrderStatus
from services.order_lists import (
    daily_sales,
    disputed_nicknames,
    latest_orders,
    member_orders,
    top_items,
    waiting_buyers,
)
from services.orders import MemberOrders
from tests.unit.conftest import GROUP
from tests.unit.test_orders import (
    ADMIN,
    FAN,
    NOW,
    OTHER,
    SHANGHAI,
    bind,
    bindings,
    record,
    sale,
    standing_of,
)

WEEK_START, WEEK_END = NOW - timedelta(days=7), NOW + timedelta(hours=1)


async def a_week_of_orders(pool: async_sessionmaker[AsyncSession], clock: FrozenClock) -> None:
    """小明 (bound to FAN) bought a gift box; 小红 (nobody's) two tea packs, one partly
    refunded; 路人 a closed order; and an order of a month ago."""
    await bind(pool, clock, FAN, "小明", admin=True)
    late_evening = datetime(2026, 12, 1, 17, 30, tzinfo=NOW.tzinfo)  # 12-02 01:30 in Shanghai
    await record(
        pool, clock,
        replace(sale("A", 19_900, paid_at=late_evening), title="秋冬限定礼盒"),
        replace(sale("B", 5_000, buyer="小红", paid_at=NOW - timedelta(hours=2)), title="茶包"),
        replace(sale("C", 3_000, buyer="小红", refunded=1_000, paid_at=NOW - timedelta(hours=1)),
                title="茶包"),
        replace(sale("D", 2_000, buyer="路人", status=OrderStatus.REFUNDED), title="茶包"),
        replace(sale("E", 8_800, buyer="小明", paid_at=NOW - timedelta(days=30)), title="礼盒"),
    )  # fmt: skip


async def test_the_orders_page_reads_orders_waiting_buyers_items_and_days(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    await a_week_of_orders(session_pool, clock)
    async with session_pool() as session:
        first = await latest_orders(session, GROUP, limit=2)
        assert first.older is not None
        second = await latest_orders(session, GROUP, before=first.older, limit=2)
        assert second.older is not None
        third = await latest_orders(session, GROUP, before=second.older, limit=2)
        waiting, total = await waiting_buyers(session, GROUP)
        items = await top_items(session, GROUP, WEEK_START, WEEK_END)
        days = await daily_sales(session, GROUP, WEEK_START, WEEK_END, SHANGHAI)
        mine = await member_orders(session, GROUP, FAN)
    pages = [[row.order.order_id for row in page.rows] for page in (first, second, third)]
    assert pages == [["D", "C"], ["B", "A"], ["E"]]  # newest paid first (D: paid now)
    assert third.older is None
    assert [row.order.user_id for row in second.rows] == [None, FAN]  # 小红 is nobody's yet
    assert [(b.buyer, b.orders, b.spent_fen) for b in waiting] == [("小红", 2, 7_000)]
    assert total == 1  # 路人's closed order is no reason to bind
    assert [(i.title, i.orders, i.gmv_fen) for i in items] == [
        ("秋冬限定礼盒", 1, 19_900),
        ("茶包", 2, 7_000),  # net of the refund; the closed order left out
    ]
    assert days == {date(2026, 12, 2): 19_900 + 7_000}  # the group's day, not UTC's
    assert [order.order_id for order in mine] == ["A", "E"]
    standing = await standing_of(session_pool, FAN)
    assert isinstance(standing, MemberOrders)
    assert (standing.nicknames, standing.spent_fen) == (["小明"], 19_900 + 8_800)


async def test_a_disputed_nickname_stands_until_an_admin_moves_it(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    await a_week_of_orders(session_pool, clock)
    taken = await bind(session_pool, clock, OTHER, "小明", proof=OrderProof("A", 19_900))
    assert (taken.status, taken.holder) == (BindStatus.TAKEN, FAN)
    for _told_twice in range(2):  # one row per claim, however often the admins hear it
        async with session_pool() as session, session.begin():
            await bindings(session, clock).tell_claimed(
                taken, OTHER, admins={ADMIN}, log_channel=-100_999
            )
    async with session_pool() as session:
        (dispute,) = await disputed_nicknames(session, GROUP, NOW - timedelta(days=30))
        assert await disputed_nicknames(session, GROUP - 1, NOW - timedelta(days=30)) == []
        assert await disputed_nicknames(session, GROUP, NOW + timedelta(minutes=1)) == []
    assert (dispute.buyer, dispute.holder, dispute.claimant, dispute.claimed_at) == (
        "小明", FAN, OTHER, NOW,
    )  # fmt: skip
    await bind(session_pool, clock, OTHER, "小明", admin=True)  # the page's "Move to"
    async with session_pool() as session:
        assert await disputed_nicknames(session, GROUP, NOW - timedelta(days=30)) == []
