"""One definition of the sales figures (`order_figures`): buyers bound or not, AOV per buyer,
and the headline, the tiers, the /stats text and the orders export all agreeing."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infrastructure.i18n import create_i18n
from models import Member
from services.bindings import BindingService
from services.clock import FrozenClock
from services.exports import ExportKind, export_query
from services.order_files import OrderLine, OrderStatus, buyer_key
from services.order_rules import OrderRules
from services.orders import OrderService, Source
from services.points import PointsService
from services.sales import order_figures
from services.stats import day_bounds
from services.tiers import DEFAULT_TIERS
from tests.unit.conftest import GROUP
from views.orders import sales_text

SHANGHAI = "Asia/Shanghai"
NOW = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)  # a fixed clock: nothing here reads today
DAY = date(2026, 12, 2)
FAN, ADMIN = 42, 7


def sale(order_id: str, fen: int, buyer: str, refunded: int = 0) -> OrderLine:
    status = OrderStatus.REFUNDED if refunded >= fen else OrderStatus.PAID
    return OrderLine(0, order_id, buyer, fen, status, NOW, None, refunded)


async def shop_with_bound_and_unbound_buyers(
    pool: async_sessionmaker[AsyncSession],
) -> tuple[datetime, datetime]:
    """The issue's case, and more: a Bronze member with two nicknames and two orders (¥694),
    a buyer nobody bound (¥903), one more under two spellings of one nickname (¥150, twice),
    and an order refunded in full (not a sale). The day they were paid, as a period."""
    clock = FrozenClock(NOW)
    async with pool() as session, session.begin():
        orders = OrderService(session, clock, PointsService(session, clock))
        bindings = BindingService(session, clock, orders)
        for nickname in ("小明", "xiaoming2"):  # an admin's binding needs no proof
            await bindings.bind(GROUP, FAN, nickname, by=ADMIN, rules=OrderRules(),
                                timezone=SHANGHAI, admin=True)  # fmt: skip
        await orders.record(
            GROUP,
            [
                sale("T1", 30_000, "小明"), sale("T2", 39_400, "xiaoming2"),
                sale("T3", 90_300, "小红"), sale("T4", 10_000, "xh"), sale("T5", 5_000, "ＸＨ"),
                sale("T6", 50_000, "小明", refunded=50_000),
            ],
            source=Source.IMPORT, rules=OrderRules(), timezone=SHANGHAI,
        )  # fmt: skip
        await session.execute(
            update(Member)
            .where(Member.chat_id == GROUP, Member.user_id == FAN)
            .values(tier="bronze")
        )
    start, end = day_bounds(DAY, DAY, SHANGHAI)
    assert start is not None
    assert end is not None
    return start, end


async def test_aov_is_gmv_per_buyer_and_the_tiers_add_up_to_the_headline(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    start, end = await shop_with_bound_and_unbound_buyers(session_pool)
    async with session_pool() as session:
        sales = await order_figures(session, GROUP, start, end)
    assert (sales.orders, sales.gmv_fen, sales.buyers, sales.paying_members) == (5, 174_700, 3, 1)
    assert sales.aov_fen == 174_700 // 3  # ¥582.33: every buyer counted, bound or not
    assert (sales.repeat_buyers, round(sales.repeat_rate, 2)) == (2, 0.67)
    tiers = {each.tier: (each.orders, each.gmv_fen, each.buyers, each.aov_fen)
             for each in sales.by_tier}  # fmt: skip
    assert tiers == {None: (3, 105_300, 2, 52_650), "bronze": (2, 69_400, 1, 69_400)}
    assert sum(each.buyers for each in sales.by_tier) == sales.buyers
    assert sum(each.gmv_fen for each in sales.by_tier) == sales.gmv_fen
    assert sum(each.orders for each in sales.by_tier) == sales.orders

    i18n = create_i18n("en")
    with i18n.context(), i18n.use_locale("en"):
        text = sales_text(sales, 10, [], [], DEFAULT_TIERS, "en").splitlines()
    assert text == [
        "🛍 <b>Sales</b>: 5 orders · GMV ¥1,747.00",
        "💳 Paying members: 1 · conversion 10.0% of 10 active",
        "🧮 AOV (客单价): ¥582.33 per buyer, 3 buyers · repeat purchase: 67%",
        "🏅 AOV by tier: — ¥526.50 · Bronze ¥694.00",
    ]


async def test_the_orders_export_sums_to_the_same_figures(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    start, end = await shop_with_bound_and_unbound_buyers(session_pool)
    async with session_pool() as session:
        sales = await order_figures(session, GROUP, start, end)
        rows = list(
            await session.execute(export_query(ExportKind.ORDERS, GROUP, DAY, DAY, SHANGHAI))
        )
    sold = [row for row in rows if row.amount_fen > row.refunded_fen]
    buyers = {row.user_id if row.user_id is not None else buyer_key(row.buyer) for row in sold}
    assert len(sold) == sales.orders
    assert sum(row.amount_fen - row.refunded_fen for row in sold) == sales.gmv_fen
    assert len(buyers) == sales.buyers
