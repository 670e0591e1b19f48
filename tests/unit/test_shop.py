"""The points shop on a real database: rewards, code pools, and the redemption transaction
(once per press, nothing written when refused, stock never below zero, no code issued twice)."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta

import pytest
from aiogram.types import CallbackQuery, Update, User
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Resources, create_dispatcher
from infrastructure.background import Background
from infrastructure.config import load_settings
from infrastructure.i18n import create_i18n
from models import (
    LedgerEntry,
    OutboxMessage,
    Redemption,
    RewardCode,
    create_engine,
    create_session_pool,
)
from services.chats import ChatService
from services.clock import FrozenClock
from services.factory import ServiceFactory
from services.fulfilment import FulfilmentService
from services.points import PointsService
from services.points_audit import audit
from services.redemptions import Redeemed, RedemptionService, Refused, window_start
from services.reward_codes import CodeFile, generated_codes, read_codes
from services.reward_specs import RewardSpec, ShopInputError, parse_changes, parse_reward
from services.shop import RewardNotFound, ShopService, audit_shop, discounted
from services.tiers import DEFAULT_TIERS
from tests.support.telegram import TOKEN, group, message_update, person, recording_bot
from tests.unit.conftest import GROUP
from views.shop import RedeemAsk
from workflows.outbox import OutboxSender
from workflows.rights import RightsNotices

ADMIN, FAN = 7, 42
SHANGHAI = "Asia/Shanghai"
NOW = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai, a Wednesday
UPDATES = itertools.count(1)


def shop(session: AsyncSession, clock: FrozenClock) -> ShopService:
    return ShopService(session, clock, PointsService(session, clock))


def redemptions(session: AsyncSession, clock: FrozenClock) -> RedemptionService:
    return RedemptionService(session, clock, PointsService(session, clock))


def fulfilment(session: AsyncSession, clock: FrozenClock) -> FulfilmentService:
    return FulfilmentService(session, clock, SHANGHAI)


async def grant(pool: async_sessionmaker[AsyncSession], user: int, points: int) -> None:
    async with pool() as session, session.begin():
        await (
            ServiceFactory(FrozenClock(NOW))
            .points(session)
            .change(GROUP, user, points, reason="admin", key=f"grant:{user}:{points}")
        )


async def new_reward(
    pool: async_sessionmaker[AsyncSession], spec: RewardSpec, codes: int = 0
) -> int:
    async with pool() as session, session.begin():
        service = shop(session, FrozenClock(NOW))
        reward = await service.add(GROUP, ADMIN, spec)
        if codes:
            pool_file = CodeFile([(n, f"CODE{n:05}") for n in range(1, codes + 1)])
            await service.add_codes(GROUP, reward.id, pool_file)
        return reward.id


async def redeem(
    pool: async_sessionmaker[AsyncSession],
    reward_id: int,
    key: str,
    user: int = FAN,
    clock: FrozenClock | None = None,
    discount: int = 0,
) -> Redeemed:
    async with pool() as session, session.begin():
        return await redemptions(session, clock or FrozenClock(NOW)).redeem(
            GROUP, user, reward_id, key=key, ladder=DEFAULT_TIERS, timezone=SHANGHAI,
            discount=discount,
        )  # fmt: skip


async def count(pool: async_sessionmaker[AsyncSession], model: type) -> int:
    async with pool() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_reward_is_read_with_its_options_in_any_order() -> None:
    spec = parse_reward(
        "星巴克 中杯券 stock=50 price=120 limit=1 per=week valid=30d", DEFAULT_TIERS
    )
    assert spec == RewardSpec(
        "星巴克 中杯券", 120, stock=50, limit_count=1, limit_per="week", valid_days=30
    )
    gold = parse_reward("金卡礼盒（限量）price＝500 min_tier=金牌 kind=gift", DEFAULT_TIERS)
    assert (gold.name, gold.price, gold.kind, gold.min_tier) == (
        "金卡礼盒（限量）",
        500,
        "gift",
        "gold",
    )


@pytest.mark.parametrize(
    ("args", "part"),
    [
        ("", "name"),
        ("Mug", "price"),
        ("Mug price=-5", "price"),
        ("Mug price=2000000", "price"),
        ("Mug price=1e3", "price"),
        ("Mug price=10 stock=-1", "stock"),
        ("Mug price=10 limit=0", "limit"),
        ("Mug price=10 per=year", "per"),
        ("Mug price=10 kind=cash", "kind"),
        ("Mug price=10 min_tier=Emperor", "min_tier"),
        ("Mug price=10 valid=0d", "valid"),
        ("Mug price=10 price=20", "price"),
        ("Mug price=10 big mug", "name"),
        ("M" * 65 + " price=10", "name"),
        ("Mug price=１０", "price"),  # full-width digits are not a number here
    ],
)
def test_bad_reward_input_names_its_part(args: str, part: str) -> None:
    with pytest.raises(ShopInputError) as bad:
        parse_reward(args, DEFAULT_TIERS)
    assert bad.value.part == part


def test_an_edit_reads_only_the_options_given() -> None:
    assert parse_changes("price=80 stock=10", DEFAULT_TIERS) == {"price": 80, "stock": 10}
    with pytest.raises(ShopInputError):
        parse_changes("", DEFAULT_TIERS)
    with pytest.raises(ShopInputError):
        parse_changes("new name price=1", DEFAULT_TIERS)


def test_code_files_in_utf8_gbk_with_a_bom_or_as_csv_are_read_with_their_line_numbers() -> None:
    plain = read_codes("\ufeffA1\nA2\n\nA2\nhas space\n".encode())
    assert plain.codes == [(1, "A1"), (2, "A2")]
    assert plain.refused == [(4, "twice in the file"), (5, "not a code")]
    taobao = "订单编号,券码\n1001,甲券01\n1002,甲券02\n".encode("gbk")
    assert read_codes(taobao).codes == [(2, "甲券01"), (3, "甲券02")]
    long = read_codes(("X" * 65 + "\nOK\n").encode())
    assert (long.codes, long.refused) == ([(2, "OK")], [(1, "too long")])


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        (b"", "empty"),
        (b"\n\n", "empty"),
        (b"x" * (1 << 20) + b"y", "too big"),
        (b"\n".join(b"C%d" % n for n in range(100_001)), "too many lines"),
        ("A1\nA2".encode("utf-16"), "not text"),
        (b"\x81\xff\xfe", "not text"),
    ],
)
def test_a_bad_code_file_is_refused_with_the_reason(data: bytes, detail: str) -> None:
    with pytest.raises(ShopInputError) as bad:
        read_codes(data)
    assert (bad.value.part, bad.value.detail) == ("file", detail)


def test_generated_codes_are_distinct_readable_and_prefixed() -> None:
    codes = generated_codes(500, "fan")
    assert len(set(codes)) == 500
    assert all(code.startswith("FAN-") and len(code) == 13 for code in codes)
    assert not any(char in code for code in codes for char in "01OI")
    for count, prefix in [(0, "FAN"), (10_001, "FAN"), (5, "FAN!"), (5, "X" * 17)]:
        with pytest.raises(ShopInputError):
            generated_codes(count, prefix)


def test_limit_windows_begin_at_the_groups_local_midnight_monday_and_first() -> None:
    midnight = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)  # 12-02 00:00 in Shanghai
    assert window_start("day", NOW, SHANGHAI) == midnight
    assert window_start("week", NOW, SHANGHAI) == midnight - timedelta(days=2)  # Monday
    assert window_start("month", NOW, SHANGHAI) == midnight - timedelta(days=1)
    assert window_start("ever", NOW, SHANGHAI) is None
    assert [discounted(120, 10), discounted(99, 15), discounted(5, 100)] == [108, 84, 0]


async def test_importing_codes_refuses_those_the_group_has_with_their_lines(
    session_pool, chat
) -> None:
    first = await new_reward(session_pool, RewardSpec("Coffee", 100), codes=3)
    second = await new_reward(session_pool, RewardSpec("Tea", 50))
    async with session_pool() as session, session.begin():
        service = shop(session, FrozenClock(NOW))
        file = read_codes(b"CODE00002\nNEW1\nNEW1\nNEW2\n")
        result = await service.add_codes(GROUP, second, file)
        assert result.added == 2
        assert result.refused == [(1, "already in the pool"), (3, "twice in the file")]
        assert await service.free_codes([first, second]) == {first: 3, second: 2}
        gift = await service.add(GROUP, ADMIN, RewardSpec("Hoodie", 900, kind="gift"))
        with pytest.raises(ShopInputError):
            await service.add_codes(GROUP, gift.id, file)
        with pytest.raises(RewardNotFound):
            await service.add_codes(GROUP, 999, file)


async def test_a_redemption_takes_points_a_code_and_stock_once_and_queues_the_code_privately(
    session_pool, chat
) -> None:
    reward = await new_reward(session_pool, RewardSpec("Coffee", 100, stock=5, valid_days=30), 3)
    await grant(session_pool, FAN, 250)
    async with session_pool() as session, session.begin():  # the fan has started the bot
        await ChatService(session, FrozenClock(NOW), SHANGHAI).ensure(FAN, "private", "Fan")
    done = await redeem(session_pool, reward, "press:1")
    again = await redeem(session_pool, reward, "press:1")  # a double press, a redelivery
    assert (done.code, done.balance, done.already) == ("CODE00001", 150, False)
    assert (again.code, again.already, again.redemption.id) == (
        "CODE00001",
        True,
        done.redemption.id,
    )
    assert done.redemption.expires_at == NOW + timedelta(days=30)
    async with session_pool() as session:
        service = shop(session, FrozenClock(NOW))
        coffee = await service.reward(GROUP, reward)
        assert (coffee.stock, coffee.redeemed, coffee.points_spent) == (4, 1, 100)
        assert await service.free_codes([reward]) == {reward: 2}
        ledger = await session.scalars(
            select(LedgerEntry.delta).where(LedgerEntry.reason == "shop")
        )
        assert list(ledger) == [-100]
        deliveries = select(OutboxMessage).where(OutboxMessage.kind == "reward_delivery")
        delivery = (await session.scalars(deliveries)).one()
        assert (delivery.chat_id, delivery.kind) == (FAN, "reward_delivery")
        assert "CODE" not in str(delivery.payload)  # the secret is read when it is sent
        assert await audit(session) == []
        assert await audit_shop(session) == []


async def test_a_refused_redemption_says_why_and_writes_nothing(session_pool, chat) -> None:
    coffee = await new_reward(session_pool, RewardSpec("Coffee", 100), codes=1)
    gold_only = await new_reward(session_pool, RewardSpec("Box", 10, kind="gift", min_tier="gold"))
    once = await new_reward(session_pool, RewardSpec("Sticker", 1, kind="perk", limit_count=1))
    await grant(session_pool, FAN, 60)
    refusals = []
    for reward, key in [(coffee, "a"), (gold_only, "b"), (999, "c")]:
        with pytest.raises(Refused) as refused:
            await redeem(session_pool, reward, key)
        refusals.append((refused.value.reason, refused.value.balance))
    assert refusals == [("points", 60), ("tier", 60), ("gone", 0)]
    await redeem(session_pool, once, "d")
    with pytest.raises(Refused, match="limit"):
        await redeem(session_pool, once, "e")
    await grant(session_pool, 43, 500)
    await redeem(session_pool, coffee, "f", user=43)
    with pytest.raises(Refused, match="sold_out"):
        await redeem(session_pool, coffee, "g", user=43)
    async with session_pool() as session, session.begin():
        await shop(session, FrozenClock(NOW)).set_paused(GROUP, once, True)
    with pytest.raises(Refused, match="paused"):
        await redeem(session_pool, once, "h", user=43)
    assert await count(session_pool, Redemption) == 2
    async with session_pool() as session:
        assert (await PointsService(session, FrozenClock(NOW)).balance(GROUP, FAN)).points == 59
        assert await audit(session) == []
        assert await audit_shop(session) == []


async def test_a_limit_per_day_opens_again_at_the_groups_midnight(session_pool, chat) -> None:
    daily = await new_reward(
        session_pool, RewardSpec("Lucky bag", 5, "perk", limit_count=2, limit_per="day")
    )
    await grant(session_pool, FAN, 100)
    clock = FrozenClock(NOW)
    await redeem(session_pool, daily, "1", clock=clock)
    await redeem(session_pool, daily, "2", clock=clock)
    with pytest.raises(Refused, match="limit"):
        await redeem(session_pool, daily, "3", clock=clock)
    clock.set(datetime(2026, 12, 2, 16, 0, tzinfo=UTC))  # midnight in Shanghai
    await redeem(session_pool, daily, "4", clock=clock)


async def test_a_tier_discount_lowers_the_price_paid(session_pool, chat) -> None:
    coffee = await new_reward(session_pool, RewardSpec("Coffee", 120), codes=1)
    await grant(session_pool, FAN, 200)
    done = await redeem(session_pool, coffee, "x", discount=10)
    assert (done.redemption.price, done.balance) == (108, 92)


async def test_deleting_a_reward_keeps_the_codes_already_issued(session_pool, chat) -> None:
    coffee = await new_reward(session_pool, RewardSpec("Coffee", 10), codes=2)
    await grant(session_pool, FAN, 100)
    await redeem(session_pool, coffee, "x")
    async with session_pool() as session, session.begin():
        service = shop(session, FrozenClock(NOW))
        await service.delete(GROUP, coffee)
        with pytest.raises(RewardNotFound):
            await service.reward(GROUP, coffee)
    with pytest.raises(Refused, match="gone"):
        await redeem(session_pool, coffee, "y")
    async with session_pool() as session:
        (mine,) = await shop(session, FrozenClock(NOW)).received(GROUP, FAN)
        assert (mine[0].status, mine[2]) == ("issued", "CODE00001")
    assert await count(session_pool, RewardCode) == 2


async def test_a_restock_keeps_the_audit_adding_up(session_pool, chat) -> None:
    mug = await new_reward(session_pool, RewardSpec("Mug", 1, kind="gift", stock=1))
    await grant(session_pool, FAN, 10)
    await redeem(session_pool, mug, "1")
    async with session_pool() as session, session.begin():
        await shop(session, FrozenClock(NOW)).edit(GROUP, mug, {"stock": 3})
    await redeem(session_pool, mug, "2")
    async with session_pool() as session:
        assert (await shop(session, FrozenClock(NOW)).reward(GROUP, mug)).stock == 2
        assert await audit_shop(session) == []


async def test_two_hundred_members_pressing_for_fifty_codes_at_once_get_exactly_fifty(
    session_pool, chat
) -> None:
    coffee = await new_reward(session_pool, RewardSpec("Coffee", 10), codes=50)
    members = list(range(1000, 1200))
    for user in members:
        await grant(session_pool, user, 10)

    async def press(user: int) -> str:
        try:
            await redeem(session_pool, coffee, f"press:{user}", user=user)
        except Refused as refused:
            return refused.reason
        return "ok"

    outcomes = await asyncio.gather(*(press(user) for user in members))
    assert (outcomes.count("ok"), outcomes.count("sold_out")) == (50, 150)
    async with session_pool() as session:
        codes = await session.scalars(select(Redemption.code_id))
        assert len(set(codes)) == 50  # no code twice
        assert await shop(session, FrozenClock(NOW)).free_codes([coffee]) == {}
        assert await audit(session) == []
        assert await audit_shop(session) == []


async def test_a_coupon_is_delivered_privately_and_reminded_of_before_it_expires_unless_used(
    session_pool, chat
) -> None:
    coffee = await new_reward(session_pool, RewardSpec("Coffee", 10, valid_days=30), codes=2)
    await grant(session_pool, FAN, 50)  # below Bronze: no congratulation to send
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        await ChatService(session, clock, SHANGHAI).ensure(FAN, "private", "Fan")
    first = await redeem(session_pool, coffee, "1", clock=clock)
    second = await redeem(session_pool, coffee, "2", clock=clock)
    background = Background(session_pool, ServiceFactory(clock, SHANGHAI), create_i18n("en"))
    outbox = OutboxSender(background, RightsNotices(background), gather={})
    bot, telegram = recording_bot()
    assert await outbox.send_due(bot) == 2  # both deliveries; the reminders wait
    assert [text.splitlines()[1] for text in telegram.sent_texts()] == [
        "Your code: <code>CODE00001</code>", "Your code: <code>CODE00002</code>",
    ]  # fmt: skip
    async with session_pool() as session, session.begin():
        service = fulfilment(session, clock)
        assert (await service.mark_used(GROUP, "CODE00001"))[0] == "used"
        assert (await service.mark_used(GROUP, "CODE00001"))[0] == "already"
        assert (await service.mark_used(GROUP, "NOPE"))[0] == "unknown"
    clock.set(NOW + timedelta(days=27, minutes=1))  # 3 days before they expire
    assert await outbox.send_due(bot) == 1  # the used one is not reminded of
    reminder = telegram.sent_texts()[-1]
    assert reminder.startswith("⏰ Your <b>Coffee</b> from Fans expires on 2027-01-01.")
    assert "CODE00002" in reminder
    assert first.private
    assert second.private


def test_a_draw_and_a_campaign_name_the_reward_they_hand_out() -> None:
    from datetime import date

    from services.campaigns import CampaignInputError, parse_campaign
    from services.draw_specs import DrawInputError, parse_draw

    draw = parse_draw("Coffee reward=3", NOW, SHANGHAI, DEFAULT_TIERS)
    assert (draw.prize, draw.reward_id) == ("Coffee", 3)
    with pytest.raises(DrawInputError):
        parse_draw("Coffee reward=0", NOW, SHANGHAI, DEFAULT_TIERS)
    today = date(2026, 12, 2)
    campaign = parse_campaign("Double 2026-12-02 2026-12-03 x2 coupon=4 Enjoy the weekend!", today)
    assert (campaign.greeting, campaign.coupon_reward_id) == ("Enjoy the weekend!", 4)
    assert parse_campaign("Double 2026-12-02 2026-12-03 x2", today).coupon_reward_id is None
    for bad in ("coupon=", "coupon=x", "coupon=-1"):
        with pytest.raises(CampaignInputError, match="coupon"):
            parse_campaign(f"Double 2026-12-02 2026-12-03 x2 {bad}", today)


async def test_the_shop_figures_the_redemption_rate_and_the_export_leave_codes_out(
    session_pool, chat
) -> None:
    import csv
    import io

    from services.exports import ENCODING, ExportKind, write_csv

    coffee = await new_reward(session_pool, RewardSpec("Coffee", 30, valid_days=7), codes=5)
    for user in (FAN, 43, 44):
        await grant(session_pool, user, 40)
    await redeem(session_pool, coffee, "a")
    await redeem(session_pool, coffee, "b", user=43)
    async with session_pool() as session:
        service = shop(session, FrozenClock(NOW))
        day = timedelta(days=1)
        figures = await service.figures(GROUP, NOW - day, NOW + day)
        assert (figures.redemptions, figures.redeemers, figures.spent) == (2, 2, 60)
        assert (await service.figures(GROUP, NOW + day, NOW + 2 * day)).redemptions == 0
        assert await service.could_redeem(GROUP) == 1  # 44 still holds 40 points
        out = io.TextIOWrapper(io.BytesIO(), encoding=ENCODING, newline="")
        assert await write_csv(session, out, ExportKind.REDEMPTIONS, GROUP, SHANGHAI) == 2
        out.flush()
        data = out.buffer.getvalue().decode(ENCODING)
    rows = list(csv.DictReader(io.StringIO(data)))
    assert [(row["user_id"], row["reward"], row["price"], row["status"]) for row in rows] == [
        (str(FAN), "Coffee", "30", "issued"), ("43", "Coffee", "30", "issued"),
    ]  # fmt: skip
    assert rows[0]["expires"] == "2026-12-09 12:00:00"
    assert "CODE" not in data


async def test_a_gifts_winner_leaves_a_note_privately_and_hears_when_it_is_sent(
    session_pool, chat
) -> None:
    hoodie = await new_reward(session_pool, RewardSpec("Hoodie", 20, kind="gift", stock=5))
    await grant(session_pool, FAN, 50)
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        await ChatService(session, clock, SHANGHAI).ensure(FAN, "private", "Fan")
    done = await redeem(session_pool, hoodie, "g", clock=clock)
    background = Background(session_pool, ServiceFactory(clock, SHANGHAI), create_i18n("en"))
    outbox = OutboxSender(background, RightsNotices(background), gather={})
    bot, telegram = recording_bot()
    assert await outbox.send_due(bot) == 1
    asked = telegram.requests[-1]
    assert "Reply to this message with your size" in asked.text  # type: ignore[attr-defined]
    async with session_pool() as session, session.begin():
        service = fulfilment(session, clock)
        (waiting,) = await service.gifts_to_send(GROUP)
        message_id = waiting[0].asked_message_id
        assert message_id is not None
        assert await service.leave_note(43, message_id, "not mine") is None
        noted = await service.leave_note(FAN, message_id, "XL · Shanghai, 021-5555")
        assert noted is not None
        (waiting,) = await service.gifts_to_send(GROUP)
        assert (waiting[0].note, waiting[1].name) == ("XL · Shanghai, 021-5555", "Hoodie")
        assert await service.gift_sent(GROUP, 999) is None
        assert await service.gift_sent(GROUP, done.redemption.id) is not None
        assert await service.gift_sent(GROUP, done.redemption.id) is None  # sent already
        assert await service.gifts_to_send(GROUP) == []
    assert await outbox.send_due(bot) == 1
    assert telegram.sent_texts()[-1] == "📦 Your <b>Hoodie</b> from Fans is on its way."


async def test_a_member_who_skips_tiers_gets_each_tiers_entry_reward_once(
    session_pool, chat
) -> None:
    from services.tiers import TierService

    clock = FrozenClock(NOW)
    welcome = await new_reward(session_pool, RewardSpec("Welcome pack", 0, kind="perk"))
    coffee = await new_reward(session_pool, RewardSpec("Coffee", 500), codes=2)
    async with session_pool() as session, session.begin():
        tiers = TierService(session)
        await tiers.set(GROUP, "铜牌", 100, f"Bronze badge entry_reward={welcome}")
        await tiers.set(GROUP, "银牌", 500, f"Silver perks discount=5% entry_reward={coffee}")
    await grant(session_pool, FAN, 700)  # Member → Silver at once: Bronze's and Silver's
    await grant(session_pool, FAN, 50)  # no new tier: nothing more
    async with session_pool() as session:
        received = await shop(session, clock).received(GROUP, FAN)
        assert sorted((r.source, reward.name, r.price) for r, reward, _code in received) == [
            ("tier", "Coffee", 0), ("tier", "Welcome pack", 0),
        ]  # fmt: skip
        assert (await PointsService(session, clock).balance(GROUP, FAN)).points == 750
        silver = next(t for t in await TierService(session).ladder(GROUP) if t.key == "silver")
        assert (silver.discount, silver.entry_reward) == (5, coffee)
        assert await audit_shop(session) == []


def test_tiers_show_their_machine_read_perks_in_words() -> None:
    from handlers.tiers import perks_in_words
    from services.tiers import Tier

    with create_i18n("en").context():
        gold = Tier("gold", 2000, None, "金牌会员专享9折 discount=10% entry_reward=4")
        assert perks_in_words(gold, "en") == (
            "金牌会员专享9折 · 10% off in the /shop · a shop reward on reaching it"
        )
        assert perks_in_words(Tier("vip", 10, "VIP", "discount=5%"), "en") == "5% off in the /shop"
        boosted = Tier("vip", 10, "VIP", "multiplier=1.25 VIP lounge")
        assert perks_in_words(boosted, "en") == "VIP lounge · points ×1.25"


async def test_a_tiers_multiplier_raises_what_its_members_earn_but_not_admin_grants(
    session_pool, chat
) -> None:
    from services.points import Award
    from services.tiers import TierService

    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        await TierService(session).set(GROUP, "银牌", 500, "Silver multiplier=1.5")
    await grant(session_pool, FAN, 600)  # an admin's grant: as given, and now Silver
    async with session_pool() as session, session.begin():
        points = PointsService(session, clock)
        signed = await points.change(GROUP, FAN, 10, reason="checkin", key="checkin:1")
        assert signed.paid == 15
        paid = await points.award_many(
            [Award(GROUP, FAN, 2, "message", "msg:1"), Award(GROUP, 43, 2, "message", "msg:2")],
            {GROUP: SHANGHAI},
        )
        assert paid.paid == {"msg:1": 3, "msg:2": 2}  # Fan is Silver; 43 is not
        assert (await points.balance(GROUP, FAN)).points == 618
        assert await audit(session) == []


async def test_a_member_redeeming_in_two_groups_at_once_pays_each_group_once(
    session_pool, chat
) -> None:
    other = GROUP - 1
    async with session_pool() as session, session.begin():
        await ChatService(session, FrozenClock(NOW), SHANGHAI).ensure(other, "supergroup", "B")
        service = shop(session, FrozenClock(NOW))
        here = await service.add(GROUP, ADMIN, RewardSpec("Mug", 30, kind="gift", stock=1))
        there = await service.add(other, ADMIN, RewardSpec("Cap", 30, kind="gift", stock=1))
        points = PointsService(session, FrozenClock(NOW))
        for chat_id in (GROUP, other):
            await points.change(chat_id, FAN, 40, reason="admin", key=f"g:{chat_id}")

    async def press(chat_id: int, reward_id: int, key: str) -> str:
        async with session_pool() as session, session.begin():
            try:
                await redemptions(session, FrozenClock(NOW)).redeem(
                    chat_id, FAN, reward_id, key=key, ladder=DEFAULT_TIERS, timezone=SHANGHAI
                )
            except Refused as refused:
                return refused.reason
            return "ok"

    outcomes = await asyncio.gather(
        press(GROUP, here.id, "a"), press(other, there.id, "b"),
        press(GROUP, here.id, "c"), press(other, there.id, "d"),
    )  # fmt: skip
    assert sorted(outcomes) == ["ok", "ok", "sold_out", "sold_out"]
    async with session_pool() as session:
        points = PointsService(session, FrozenClock(NOW))
        assert [(await points.balance(c, FAN)).points for c in (GROUP, other)] == [10, 10]
        assert await audit(session) == []
        assert await audit_shop(session) == []


async def test_a_note_that_outruns_the_record_of_its_question_still_finds_its_gift(
    session_pool, chat
) -> None:
    hoodie = await new_reward(session_pool, RewardSpec("Hoodie", 20, kind="gift", stock=5))
    cap = await new_reward(session_pool, RewardSpec("Cap", 20, kind="gift", stock=5))
    await grant(session_pool, FAN, 100)
    clock = FrozenClock(NOW)
    await redeem(session_pool, hoodie, "h", clock=clock)  # asked, its message id not yet kept
    async with session_pool() as session, session.begin():
        noted = await fulfilment(session, clock).leave_note(FAN, 4242, "M, Beijing")
        assert noted is not None
        assert noted.note == "M, Beijing"
    await redeem(session_pool, cap, "c", clock=clock)
    await redeem(session_pool, hoodie, "h2", clock=clock)
    async with session_pool() as session, session.begin():  # two gifts asked about: which?
        assert await fulfilment(session, clock).leave_note(FAN, 4343, "L") is None


async def test_redeem_buttons_sent_before_each_step_had_its_own_class_still_work(
    database_url: str, session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    """Redeem, Confirm and Cancel keep their wire format (`redeem:<id>:<owner>:<nonce>:<step>`),
    so buttons in old messages reach their step's handler, and only their asker's presses do."""
    mug = await new_reward(session_pool, RewardSpec("Mug", 30, kind="perk"))
    await grant(session_pool, FAN, 100)
    engine = create_engine(database_url)
    services = Resources(load_settings(bot_token=TOKEN, database_url=database_url), engine,
                        create_session_pool(engine))  # fmt: skip
    app = create_dispatcher(services)
    bot, telegram = recording_bot()
    fan, other = person(FAN, "en"), person(FAN + 1, "en")
    window = message_update(group(GROUP), fan, "/shop").message
    packed = RedeemAsk(id=mug, owner=FAN, nonce="0a1b2c3d").pack()
    assert packed == f"redeem:{mug}:{FAN}:0a1b2c3d:ask"

    async def press(user: User, step: str) -> tuple[str | None, str]:
        """What the press's toast said, and the first line the window was edited to."""
        before = len(telegram.requests)
        data = f"redeem:{mug}:{FAN}:0a1b2c3d:{step}"
        query = CallbackQuery(id="1", from_user=user, chat_instance="1", message=window, data=data)
        await app.feed_update(bot, Update(update_id=next(UPDATES), callback_query=query.as_(bot)))
        sent = telegram.requests[before:]
        (toast,) = [r.text for r in sent if r.__api_method__ == "answerCallbackQuery"]  # type: ignore[attr-defined]
        edits = [r.text for r in sent if r.__api_method__ == "editMessageText"]  # type: ignore[attr-defined]
        return toast, edits[0].splitlines()[0] if edits else ""

    try:
        someone_else = "This is someone else's shop window: send /shop for your own."
        assert await press(other, "confirm") == (someone_else, "")
        assert await press(fan, "ask") == (None, "Redeem <b>Mug</b> for 30 points?")
        shop_page = "🛍 <b>Points shop</b> — press an item to see it and redeem."
        assert await press(fan, "cancel") == ("Cancelled.", shop_page)
        done = "✅ Redeemed: Mug · -30 points, balance 70."
        assert await press(fan, "confirm") == ("✅ Redeemed!", done)
        assert await press(fan, "forged") == ("This button no longer works.", "")
    finally:
        await services.close()
    assert await count(session_pool, Redemption) == 1
