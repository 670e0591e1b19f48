"""A shop reward that asks for a badge (`badge=`) on a real database: made only with a badge
of the program, shown on the item (the bot's and the Mini App's), and redeemed only by its
holders as they hold it at the press, with nothing written for the others."""

from __future__ import annotations

import asyncio
from typing import cast

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infrastructure.i18n import create_i18n
from models import Redemption, RewardCode
from services.badges import FIRST_BUY
from services.clock import FrozenClock
from services.factory import ServiceFactory
from services.points import PointsService
from services.points_audit import audit
from services.redemptions import Refused
from services.reward_specs import (
    NoSuchBadge,
    RewardSpec,
    ShopInputError,
    parse_changes,
    parse_reward,
)
from services.shop import audit_shop
from services.tiers import DEFAULT_TIERS
from tests.unit.conftest import GROUP
from tests.unit.test_shop import ADMIN, FAN, NOW, SHANGHAI, count, grant, new_reward, redeem, shop
from views.member_centre import centre_page
from views.shop import input_problem, item, refusal

OTHER = 43


async def give(pool: async_sessionmaker[AsyncSession], user: int, badge: str) -> None:
    async with pool() as session, session.begin():
        await ServiceFactory(FrozenClock(NOW)).badges(session).give(GROUP, user, badge, ADMIN)


async def take(pool: async_sessionmaker[AsyncSession], user: int, badge: str) -> None:
    async with pool() as session, session.begin():
        await ServiceFactory(FrozenClock(NOW)).badges(session).take(GROUP, user, badge)


async def balance(pool: async_sessionmaker[AsyncSession], user: int) -> int:
    async with pool() as session:
        return (await PointsService(session, FrozenClock(NOW)).balance(GROUP, user)).points


def test_badge_is_an_option_of_the_reward_and_a_dash_takes_it_off() -> None:
    spec = parse_reward("老茶客礼盒 price=50 badge=老茶客 kind=gift", DEFAULT_TIERS)
    assert (spec.name, spec.badge, spec.kind) == ("老茶客礼盒", "老茶客", "gift")
    assert parse_reward("Mug price=5 badge=#Tea_Veteran", DEFAULT_TIERS).badge == "tea_veteran"
    assert parse_changes("badge=-", DEFAULT_TIERS) == {"badge": None}
    for dash in ("－", "—", "–"):  # as a Chinese keyboard types it
        assert parse_changes(f"badge={dash}", DEFAULT_TIERS) == {"badge": None}
    with pytest.raises(ShopInputError) as bad:
        parse_reward("Mug price=5 badge=averyveryverylongbadge", DEFAULT_TIERS)
    assert bad.value.part == "badge"


async def test_a_reward_asks_only_for_a_badge_the_program_has(session_pool, chat) -> None:
    with pytest.raises(NoSuchBadge) as unknown:
        await new_reward(session_pool, RewardSpec("Mug", 5, "gift", badge="tea"))
    assert unknown.value.known[:2] == ["first_buy", "referrals100"]  # the milestones, sorted
    await give(session_pool, OTHER, "tea")
    tea = await new_reward(session_pool, RewardSpec("Mug", 5, "gift", badge="tea"))
    await new_reward(session_pool, RewardSpec("Pin", 5, "gift", badge=FIRST_BUY))  # a milestone
    async with session_pool() as session, session.begin():
        service = shop(session, FrozenClock(NOW))
        with pytest.raises(NoSuchBadge) as unknown:
            await service.edit(GROUP, tea, {"badge": "coffee"})
        assert "tea" in unknown.value.known
        assert (await service.edit(GROUP, tea, {"badge": None})).badge is None
    i18n = create_i18n("en")
    with i18n.context(), i18n.use_locale("en"):
        said = input_problem(unknown.value)
    assert said.startswith("No such badge")
    assert "<code>tea</code>" in said


async def test_a_member_without_the_badge_is_refused_with_nothing_taken(session_pool, chat) -> None:
    await give(session_pool, OTHER, "tea")
    mug = await new_reward(session_pool, RewardSpec("Mug", 30, badge="tea"), codes=2)
    await grant(session_pool, FAN, 100)
    with pytest.raises(Refused) as refused:
        await redeem(session_pool, mug, "without")
    assert (refused.value.reason, refused.value.balance) == ("badge", 100)
    assert await count(session_pool, Redemption) == 0
    assert await balance(session_pool, FAN) == 100
    async with session_pool() as session:
        free = await session.scalars(select(RewardCode.status))
        assert list(free) == ["free", "free"]  # no code left the pool
    await give(session_pool, FAN, "tea")
    done = await redeem(session_pool, mug, "with")
    assert (done.redemption.price, done.balance, done.code) == (30, 70, "CODE00001")
    async with session_pool() as session:
        assert await audit(session) == []
        assert await audit_shop(session) == []


async def test_a_badge_taken_after_the_reward_was_made_is_refused_at_the_press(
    session_pool, chat
) -> None:
    await give(session_pool, FAN, "tea")
    mug = await new_reward(session_pool, RewardSpec("Mug", 10, "perk", badge="tea"))
    await grant(session_pool, FAN, 50)
    await redeem(session_pool, mug, "held")
    await take(session_pool, FAN, "tea")  # nobody holds it now; the reward still asks for it
    with pytest.raises(Refused, match="badge"):
        await redeem(session_pool, mug, "taken")
    async with session_pool() as session, session.begin():  # an edit of another option works
        assert (await shop(session, FrozenClock(NOW)).edit(GROUP, mug, {"price": 5})).badge == "tea"
    assert (await count(session_pool, Redemption), await balance(session_pool, FAN)) == (1, 40)


async def test_holders_pressing_at_once_share_the_stock_and_the_others_are_refused(
    session_pool, chat
) -> None:
    holders, others = list(range(2000, 2020)), list(range(3000, 3010))
    for user in holders:
        await give(session_pool, user, "tea")
    mug = await new_reward(session_pool, RewardSpec("Mug", 10, badge="tea"), codes=5)
    for user in holders + others:
        await grant(session_pool, user, 10)

    async def press(user: int) -> str:
        try:
            await redeem(session_pool, mug, f"press:{user}", user=user)
        except Refused as refused:
            return refused.reason
        return "ok" if user in holders else "a stranger"

    outcomes = await asyncio.gather(*(press(user) for user in holders + others))
    assert (outcomes.count("ok"), outcomes.count("sold_out"), outcomes.count("badge")) == (
        5,
        15,
        10,
    )
    assert await count(session_pool, Redemption) == 5
    async with session_pool() as session:
        assert await audit(session) == []
        assert await audit_shop(session) == []


async def test_the_item_the_refusal_and_the_mini_app_say_what_badge_it_asks_for(
    session_pool, chat
) -> None:
    await give(session_pool, OTHER, "tea&co")
    await new_reward(session_pool, RewardSpec("Mug", 10, "gift", badge="tea&co"))
    await new_reward(session_pool, RewardSpec("Pin", 10, "gift", badge=FIRST_BUY))
    await grant(session_pool, FAN, 50)
    await grant(session_pool, OTHER, 50)
    factory = ServiceFactory(FrozenClock(NOW), SHANGHAI)
    async with session_pool() as session:
        rewards = await shop(session, FrozenClock(NOW)).shelf(GROUP)
        profile = await factory.chats(session).profile(GROUP)
        assert profile is not None
        centre = await factory.member_centre(session).centre(profile, FAN)
        holder = await factory.member_centre(session).centre(profile, OTHER)
    mug = next(reward for reward in rewards if reward.name == "Mug")
    pin = next(reward for reward in rewards if reward.name == "Pin")
    i18n = create_i18n("en")
    for language, expected in [
        ("en", "Needs the badge “tea&amp;co” to redeem; the admins give it."),
        ("zh", "需要徽章「tea&amp;co」才能兑换；该徽章由管理员颁发。"),
    ]:
        with i18n.context(), i18n.use_locale(language):
            assert refusal("badge", mug, 10, 50, None, language) == expected
    with i18n.context(), i18n.use_locale("en"):
        card, _markup = item(mug, 0, 0, None, FAN, "n", "en")
        assert "🎖 For holders of the badge “tea&amp;co”" in card.splitlines()
        assert "First purchase" in refusal("badge", pin, 10, 50, None, "en")
        page = cast(list[dict[str, object]], centre_page(centre, "Fan", "en", SHANGHAI)["rewards"])
        held = cast(
            list[dict[str, object]], centre_page(holder, "Other", "en", SHANGHAI)["rewards"]
        )
    buttons = {shown["name"]: (shown["button"], shown["enabled"]) for shown in page}
    assert buttons["Mug"] == ("🎖 For holders of the badge “tea&co”", False)
    assert buttons["Pin"] == ("🎖 For holders of the badge “First purchase”", False)
    assert [shown["enabled"] for shown in held if shown["name"] == "Mug"] == [True]


def test_no_such_badge_lists_a_reply_s_worth_of_names() -> None:
    i18n = create_i18n("en")
    with i18n.context(), i18n.use_locale("en"):
        said = input_problem(NoSuchBadge([f"badge{n}" for n in range(500)]))
    assert len(said) < 1500
    assert said.count("<code>") == 30
    assert "…" in said
