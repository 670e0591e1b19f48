"""The Mini App's member centre on a real database, at a fixed clock: the month's calendar in the
group's time zone, the shop's buttons saying why a reward cannot be had, orders with their
pending points, and every number grouped, in Chinese."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infrastructure.i18n import create_i18n
from models import Checkin
from services.clock import FrozenClock
from services.factory import ServiceFactory
from services.order_files import OrderLine, OrderStatus
from services.order_rules import OrderRules
from services.orders import Source
from services.reward_specs import parse_reward
from tests.unit.conftest import GROUP
from views.member_centre import centre_page

SHANGHAI = "Asia/Shanghai"
# Wednesday 9 December 2026, 00:30 in Shanghai: still the 8th in UTC, the 9th for the group.
NOW = datetime(2026, 12, 8, 16, 30, tzinfo=UTC)
FAN, ADMIN = 42, 7


@pytest.fixture
def chinese() -> Iterator[None]:
    i18n = create_i18n("zh")
    with i18n.context(), i18n.use_locale("zh"):
        yield


async def test_the_centre_shows_the_groups_month_the_shops_reasons_and_pending_orders(
    session_pool: async_sessionmaker[AsyncSession], chat: int, chinese: None
) -> None:
    factory = ServiceFactory(FrozenClock(NOW), SHANGHAI)
    async with session_pool() as session, session.begin():
        await factory.points(session).change(GROUP, FAN, 2_600, reason="admin", key="grant")
        for day in (date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 3), date(2026, 12, 9)):
            session.add(Checkin(chat_id=GROUP, user_id=FAN, day=day, rank=1, streak=1, reward=5,
                                created_at=NOW))  # fmt: skip
        shop, ladder = factory.shop(session), await factory.tiers(session).ladder(GROUP)
        for spec in (
            "试饮装 price=300 kind=perk",
            "茶礼盒 price=3100 kind=gift",
            "定制茶杯 price=500 kind=gift min_tier=diamond",
            "旧款 price=10 kind=gift stock=0",
        ):
            await shop.add(GROUP, ADMIN, parse_reward(spec, ladder))  # fmt: skip
        line = OrderLine(0, "T-1", "小红", 187_600, OrderStatus.PAID, NOW, None)
        await factory.orders(session).record(GROUP, [line], source=Source.ADMIN,
                                             rules=OrderRules(), timezone=SHANGHAI,
                                             user_id=FAN)  # fmt: skip
    async with session_pool() as session:
        profile = await factory.chats(session).profile(GROUP)
        assert profile is not None
        centre = await factory.member_centre(session).centre(profile, FAN)
    page: Any = centre_page(centre, "小红", "zh", SHANGHAI)

    header = page["header"]
    assert (header["balance"], header["tier"], header["next"]) == (
        "2,600",
        "金牌",
        "距钻石还差 5,400",
    )
    calendar = page["calendar"]
    assert calendar["title"] == "2026年12月"
    assert calendar["offset"] == 1  # the 1st is a Tuesday; weeks start on Monday
    states = {day["day"]: day["state"] for day in calendar["days"]}
    assert len(states) == 31
    assert [states[day] for day in (1, 2, 3, 8, 9, 10)] == [
        "signed", "missed", "signed", "missed", "signed", "future",
    ]  # fmt: skip
    assert calendar["summary"] == "本月已签到 3 天"  # November's day is not this month's

    purchases = page["purchases"]
    (order,) = centre.orders
    assert order.points > 1_000  # so that its figure is grouped
    pending = f"{order.points:,}"
    assert purchases["figures"][0] == {"value": pending, "label": "待入账积分"}
    assert purchases["figures"][1] == {"value": "¥1,876.00", "label": "消费"}
    (row,) = purchases["orders"]
    assert row["title"] == "订单 T-1"
    assert row["amount"] == "¥1,876.00"
    assert row["when"] == "2026-12-09 00:30"  # the group's clock, not UTC's 8th
    assert row["points"] == f"2026-12-16 到账 +{pending} 积分"

    buttons = {item["name"]: (item["button"], item["enabled"]) for item in page["rewards"]}
    assert buttons == {
        "旧款": ("已兑完", False), "试饮装": ("兑换", True), "定制茶杯": ("钻石及以上", False),
        "茶礼盒": ("还差 500 积分", False),
    }  # fmt: skip
    perk = next(item for item in page["rewards"] if item["name"] == "试饮装")
    assert perk["confirm"] == "确定用 300 积分兑换 试饮装 吗？"
    assert page["zone"] == "时间均为本群时区（Asia/Shanghai）。"
