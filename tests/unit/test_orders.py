"""Reading order exports: Taobao's seller-centre CSV (GBK, its own column names, Excel-safe
order ids) and the plain file; every refused line named with its reason."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import migrations
from infrastructure.background import Background
from infrastructure.i18n import create_i18n
from models import BuyerBinding, Member, Order, OutboxMessage, Redemption, create_engine
from services.bindings import MAX_BIND_TRIES, BindingService, BindStatus, Bound, OrderProof
from services.campaigns import CampaignService, parse_campaign
from services.chats import ChatService
from services.clock import FrozenClock
from services.factory import ServiceFactory
from services.order_files import (
    MAX_ROWS,
    OrderFileError,
    OrderLine,
    OrderStatus,
    RefusedLine,
    amount_in_fen,
    posted_order,
    read_orders,
)
from services.order_messages import BindClaimed, OrderPoints, OrderRefunded
from services.order_rules import OrderRules, set_order_rule
from services.orders import CHUNK, MemberOrders, OrderService, Source, Tally
from services.points import Award, PointsService
from services.points_audit import audit
from services.redemptions import RedemptionService
from services.reward_codes import CodeFile
from services.reward_specs import parse_reward
from services.shop import ShopService
from services.shop_signature import signature, signed_in_time
from services.tiers import DEFAULT_TIERS
from tests.support.untranslated import untranslated
from tests.unit.conftest import GROUP
from views.orders import import_text
from workflows.orders import OrderIntake

SHANGHAI = "Asia/Shanghai"
TAOBAO = Path(__file__).parent.parent / "fixtures" / "taobao_orders.csv"


def test_a_taobao_export_in_gbk_is_read_with_its_refusals_by_line() -> None:
    read = list(read_orders(TAOBAO.read_bytes(), SHANGHAI))
    orders = [r for r in read if isinstance(r, OrderLine)]
    refused = [(r.line, r.reason) for r in read if isinstance(r, RefusedLine)]
    assert [(o.line, o.order_id, o.buyer, o.amount_fen, o.status) for o in orders] == [
        (2, "3012345678901234567", "小明爱喝茶", 19_900, OrderStatus.PAID),
        (3, "3012345678901234568", "tea_lover_88", 8_800, OrderStatus.PAID),
        (4, "3012345678901234569", "小红", 5_990, OrderStatus.REFUNDED),
        (5, "3012345678901234570", "路人甲", 12_000, OrderStatus.UNPAID),
        (6, "3012345678901234567", "小明爱喝茶", 19_900, OrderStatus.PAID),  # line 2 again
        (10, "3012345678901234568", "tea_lover_88", 9_800, OrderStatus.PAID),  # 3's, changed
    ]  # recording tells the two apart: the same order again, and an id with another amount
    assert orders[0].coupon == "FAN-7K3M-Q9XD"
    assert [o.title for o in orders[:3]] == ["秋冬限定礼盒", "单品茶包", "单品茶包"]  # 宝贝标题
    assert orders[0].paid_at == datetime(2026, 11, 28, 20, 1, 30, tzinfo=ZoneInfo(SHANGHAI))
    assert (orders[1].coupon, orders[3].paid_at) == (None, None)
    assert refused == [(7, "buyer"), (8, "amount"), (9, "status")]


def test_the_plain_file_reads_the_same_fields() -> None:
    plain = (
        "order_id,buyer,amount,paid_at,status,coupon\n"
        "A1,bob,¥1,299.5,2026-11-30T12:00:00+00:00,paid,\n"
    ).encode()
    with pytest.raises(OrderFileError):
        list(read_orders(b"order_id,buyer\nA1,bob\n", SHANGHAI))
    (line,) = read_orders(plain.replace(b"\xc2\xa51,299.5", b'"1,299.50"'), SHANGHAI)
    assert isinstance(line, OrderLine)
    assert (line.amount_fen, line.paid_at) == (129_950, datetime.fromisoformat("2026-11-30T12:00Z"))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"\n", "empty"),
        ("订单编号,买家会员名\n1,小明\n".encode("gbk"), "columns"),
        ("order_id\n".encode("utf-16"), "not text"),
        (b"x" * (20 * 1024 * 1024 + 1), "too big"),
    ],
)
def test_a_file_that_cannot_be_read_says_why(data: bytes, reason: str) -> None:
    with pytest.raises(OrderFileError) as bad:
        list(read_orders(data, SHANGHAI))
    assert bad.value.reason == reason
    if reason == "columns":
        assert bad.value.missing == ("amount",)


def test_a_header_only_file_has_no_orders_and_too_many_rows_stop_the_read() -> None:
    assert list(read_orders(b"order_id,buyer,amount\n", SHANGHAI)) == []
    rows = "".join(f"{n},b,1\n" for n in range(MAX_ROWS + 1))
    with pytest.raises(OrderFileError, match="too many rows"):
        list(read_orders(("order_id,buyer,amount\n" + rows).encode(), SHANGHAI))


@pytest.mark.parametrize(
    ("text", "fen"),
    [("199.00", 19_900), ("￥88", 8_800), ("0.5", 50), ("1,000,000", 100_000_000),
     ("1000000.01", None), ("-5", None), ("1e3", None), ("", None), ("12.345", None),
     ("１２", None)],
)  # fmt: skip
def test_amounts_are_read_exactly_in_fen(text: str, fen: int | None) -> None:
    assert amount_in_fen(text) == fen


# The order service on a real database: once per order id, purchase points pending then paid,
# refunds cancelling or taking back (never below zero: the rest is owed), bindings.

SHANGHAI = "Asia/Shanghai"
NOW = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)
FAN, OTHER, ADMIN = 42, 43, 7
RULES = OrderRules()


def sale(order_id: str, fen: int, *, buyer: str = "小明", refunded: int = 0,
         status: OrderStatus = OrderStatus.PAID, paid_at: datetime | None = NOW,
         coupon: str | None = None) -> OrderLine:  # fmt: skip
    return OrderLine(0, order_id, buyer, fen, status, paid_at, coupon, refunded)


async def record(
    pool: async_sessionmaker[AsyncSession], clock: FrozenClock, *lines: OrderLine, **kw: Any
) -> Tally:
    async with pool() as session, session.begin():
        orders = OrderService(session, clock, PointsService(session, clock))
        return await orders.record(
            GROUP, lines, source=kw.pop("source", Source.IMPORT), rules=kw.pop("rules", RULES),
            timezone=SHANGHAI, **kw,
        )  # fmt: skip


def bindings(session: AsyncSession, clock: FrozenClock) -> BindingService:
    return BindingService(
        session, clock, OrderService(session, clock, PointsService(session, clock))
    )


async def bind(
    pool: async_sessionmaker[AsyncSession], clock: FrozenClock, user: int, name: str,
    admin: bool = False, proof: OrderProof | None = None,
) -> Bound:  # fmt: skip
    async with pool() as session, session.begin():
        return await bindings(session, clock).bind(
            GROUP, user, name, by=ADMIN if admin else user, rules=RULES, timezone=SHANGHAI,
            admin=admin, proof=proof,
        )  # fmt: skip


async def confirm_due(pool: async_sessionmaker[AsyncSession], clock: FrozenClock) -> int:
    async with pool() as session, session.begin():
        return await OrderService(session, clock, PointsService(session, clock)).confirm_due()


async def standing_of(pool: async_sessionmaker[AsyncSession], user: int) -> MemberOrders:
    async with pool() as session:
        clock = FrozenClock(NOW)
        return await OrderService(session, clock, PointsService(session, clock)).of_member(
            GROUP, user
        )


async def balance(pool: async_sessionmaker[AsyncSession], user: int) -> tuple[int, int, int]:
    async with pool() as session:
        member = await session.get(Member, (GROUP, user))
        assert member is not None
        return member.points, member.lifetime_points, member.points_owed


async def test_an_order_waits_for_its_buyer_then_pays_after_the_return_window(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    tally = await record(session_pool, clock, sale("T1", 19_900), sale("T2", 5_050))
    assert (tally.new, tally.waiting, tally.credited) == (2, 2, 0)
    again = await record(session_pool, clock, sale("T1", 19_900), sale("T2", 5_050))
    assert (again.new, again.same, again.changes) == (0, 2, 0)

    async with session_pool() as session, session.begin():  # the fan started the bot
        await ChatService(session, clock, SHANGHAI).ensure(FAN, "private", "Fan")
    bound = await bind(session_pool, clock, FAN, " 小明 ", proof=OrderProof("T2", 5_050))
    assert (bound.status, bound.credited, bound.points) == (BindStatus.BOUND, 2, 199 + 50)
    async with session_pool() as session:  # told privately what each order earns, and when
        told = await session.scalars(
            select(OutboxMessage.chat_id).where(OutboxMessage.kind == OrderPoints.kind)
        )
        assert list(told) == [FAN, FAN]
    assert (await standing_of(session_pool, FAN)).pending_points == 249
    assert (await balance(session_pool, FAN))[0] == 0
    assert await confirm_due(session_pool, clock) == 0

    clock.set(NOW + timedelta(days=7))
    assert await confirm_due(session_pool, clock) == 2
    assert await confirm_due(session_pool, clock) == 0
    assert await balance(session_pool, FAN) == (249, 249, 0)
    mine = await standing_of(session_pool, FAN)
    assert (mine.orders, mine.spent_fen, mine.pending_points) == (2, 24_950, 0)
    async with session_pool() as session:
        assert await audit(session) == []


async def test_a_nickname_binds_to_one_member_and_an_admin_may_move_it(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    await record(session_pool, clock, sale("T8", 2_000, buyer="Xiao-Ming"))
    proof = OrderProof("T8", 2_000)
    assert (
        await bind(session_pool, clock, FAN, "Xiao-Ming", proof=proof)
    ).status is BindStatus.BOUND
    again = await bind(session_pool, clock, FAN, "ｘｉａｏ-ming", proof=proof)
    assert again.status is BindStatus.ALREADY
    taken = await bind(session_pool, clock, OTHER, "XIAO-MING", proof=proof)
    assert (taken.status, taken.holder, taken.holder_proof) == (BindStatus.TAKEN, FAN, "order")
    moved = await bind(session_pool, clock, OTHER, "xiao-ming", admin=True)
    assert (moved.status, moved.holder) == (BindStatus.MOVED, FAN)
    tally = await record(session_pool, clock, sale("T9", 1_000, buyer="Xiao-Ming"))
    assert tally.credited == 1
    assert (await standing_of(session_pool, OTHER)).pending_points == 10


async def test_a_member_binds_a_nickname_only_with_the_number_and_amount_of_one_of_its_orders(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    await record(session_pool, clock, sale("R1", 5_990, buyer="小红"), sale("M1", 19_900))
    for name, proof in (
        ("小红", None),  # a member's word alone (a squatter's /bind 小红)
        ("小红", OrderProof("R1", 5_900)),  # another amount
        ("小红", OrderProof("R2", 5_990)),  # another order number
        ("小红", OrderProof("M1", 19_900)),  # an order of another buyer
        ("路人乙", OrderProof("R1", 5_990)),  # a nickname with no order yet
    ):
        refused = await bind(session_pool, clock, OTHER, name, proof=proof)
        assert (refused.status, refused.credited) == (BindStatus.NO_MATCH, 0), (name, proof)
    assert (await standing_of(session_pool, OTHER)).orders == 0
    bound = await bind(session_pool, clock, FAN, "小红", proof=OrderProof("R1", 5_990))
    assert (bound.status, bound.credited) == (BindStatus.BOUND, 1)
    async with session_pool() as session:
        binding = await session.get(BuyerBinding, (GROUP, "小红"))
    assert binding is not None
    assert (binding.user_id, binding.proof, binding.proof_order) == (FAN, "order", "R1")
    # an admin needs no proof, even for a nickname without orders
    by_admin = await bind(session_pool, clock, OTHER, "路人乙", admin=True)
    assert by_admin.status is BindStatus.BOUND


async def test_an_order_an_admin_recorded_proves_no_nickname(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    # `/order @fan 88 A1` is said in the group, under the fan's display name: anyone could
    # repeat its number and amount to take that name as a shop nickname.
    clock = FrozenClock(NOW)
    await record(
        session_pool, clock, sale("A1", 8_800, buyer="Fan Wang"), source=Source.ADMIN, user_id=FAN
    )
    squat = await bind(session_pool, clock, OTHER, "Fan Wang", proof=OrderProof("A1", 8_800))
    assert squat.status is BindStatus.NO_MATCH


async def test_tries_at_a_proof_are_counted_per_member_and_day_across_sessions(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    today, tomorrow = NOW.date(), NOW.date() + timedelta(days=1)

    async def count(user: int, day: date) -> int:
        async with session_pool() as session, session.begin():  # a session each: a worker each
            return await bindings(session, clock).count_try(user, day)

    assert [await count(FAN, today) for _ in range(MAX_BIND_TRIES + 1)] == [1, 2, 3, 4, 5, 6]
    assert await count(OTHER, today) == 1
    assert await count(FAN, tomorrow) == 1
    assert await count(FAN, tomorrow) == 2


async def test_a_binding_made_before_proof_stays_its_holders_marked_unproven(
    empty_database_url: str,
) -> None:
    await asyncio.to_thread(migrations.upgrade, empty_database_url, "0017")
    engine = create_engine(empty_database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text("INSERT INTO buyer_bindings (chat_id, buyer_key, buyer, user_id, bound_by, "
                     "created_at) VALUES (-1, '小红', '小红', 42, 42, '2026-12-01 00:00:00')")
            )  # fmt: skip
        await asyncio.to_thread(migrations.upgrade, empty_database_url)
        async with engine.connect() as connection:
            row = (
                await connection.execute(
                    text("SELECT user_id, proof, proof_order FROM buyer_bindings")
                )
            ).one()
    finally:
        await engine.dispose()
    assert tuple(row) == (42, "unproven", None)


async def test_a_proven_claim_on_a_held_nickname_goes_to_the_admins_never_the_group(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    await record(session_pool, clock, sale("T7", 1_000))
    await bind(session_pool, clock, FAN, "小明", admin=True)
    taken = await bind(session_pool, clock, OTHER, "小明", proof=OrderProof("T7", 1_000))
    assert (taken.status, taken.holder_proof) == (BindStatus.TAKEN, "admin")
    async with session_pool() as session, session.begin():
        await ChatService(session, clock, SHANGHAI).ensure(ADMIN, "private", "Ada")
    another_admin = 8  # never started the bot: cannot be told privately

    async def tell(log_channel: int | None) -> list[tuple[int, dict[str, Any]]]:
        async with session_pool() as session, session.begin():
            await bindings(session, clock).tell_claimed(
                taken, OTHER, admins={ADMIN, another_admin}, log_channel=log_channel
            )
        async with session_pool() as session:
            rows = await session.execute(
                select(OutboxMessage.chat_id, OutboxMessage.payload)
                .where(OutboxMessage.kind == BindClaimed.kind)
                .order_by(OutboxMessage.id)
            )
            return [(chat_id, payload) for chat_id, payload in rows]

    told = await tell(None)
    assert [chat_id for chat_id, _ in told] == [ADMIN]
    assert told[0][1] == {"group": GROUP, "holder": FAN, "claimant": OTHER, "buyer": "小明",
                          "holder_proof": "admin"}  # fmt: skip
    assert [chat_id for chat_id, _ in await tell(None)] == [ADMIN]  # once per claimant
    async with session_pool() as session, session.begin():
        await session.execute(delete(OutboxMessage))
    assert [chat_id for chat_id, _ in await tell(-100_999)] == [GROUP]  # the log channel's row
    async with session_pool() as session, session.begin():
        assert not await bindings(session, clock).tell_claimed(
            taken, OTHER, admins={8}, log_channel=None
        )


async def test_a_refund_tells_the_member_of_points_they_heard_of_once_per_refund(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW - timedelta(days=10))
    async with session_pool() as session, session.begin():  # the fan started the bot
        await ChatService(session, clock, SHANGHAI).ensure(FAN, "private", "Fan")
    await bind(session_pool, clock, FAN, "小明", admin=True)
    await record(session_pool, clock, sale("P", 10_000, paid_at=clock.now()))  # paid later
    clock.set(NOW)
    await confirm_due(session_pool, clock)
    await record(session_pool, clock, sale("Q", 20_000), sale("N", 5_000))  # pending, noted

    async def refunds() -> list[dict[str, Any]]:
        async with session_pool() as session:
            rows = await session.scalars(
                select(OutboxMessage.payload)
                .where(OutboxMessage.kind == OrderRefunded.kind)
                .order_by(OutboxMessage.id)
            )
            return list(rows)

    # N's note is not out yet: it will say what is left, nothing more is sent
    await record(session_pool, clock, sale("N", 5_000, status=OrderStatus.REFUNDED))
    assert await refunds() == []
    async with session_pool() as session, session.begin():  # Q's note went out
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.kind == OrderPoints.kind)
            .values(status="sent", payload={"order_id": 0, "language": "zh"})
        )
    quarter = sale("Q", 20_000, refunded=5_000)
    await record(session_pool, clock, quarter)
    await record(session_pool, clock, quarter)  # the same refund again: told once
    await record(session_pool, clock, sale("P", 10_000, status=OrderStatus.REFUNDED))
    told = [(r["refunded_fen"], r["points"], r["paid"], r["language"]) for r in await refunds()]
    assert told == [(5_000, 50, False, "zh"), (10_000, 100, True, "zh")]


async def test_a_refund_in_the_window_cancels_the_points_and_after_it_takes_them_back(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    await bind(session_pool, clock, FAN, "小明", admin=True)
    await record(session_pool, clock, sale("A", 10_000), sale("B", 20_000))
    # A is refunded in the window: nothing is paid for it
    tally = await record(session_pool, clock, sale("A", 10_000, status=OrderStatus.REFUNDED))
    assert tally.refunds == 1
    assert (await standing_of(session_pool, FAN)).pending_points == 200
    clock.set(NOW + timedelta(days=8))
    await confirm_due(session_pool, clock)
    assert await balance(session_pool, FAN) == (200, 200, 0)
    # B: a quarter refunded after it was paid, then the rest; each share taken back once
    quarter = sale("B", 20_000, refunded=5_000)
    assert (await record(session_pool, clock, quarter)).refunds == 1
    assert (await record(session_pool, clock, quarter)).same == 1
    assert await balance(session_pool, FAN) == (150, 150, 0)
    await record(session_pool, clock, sale("B", 20_000, status=OrderStatus.REFUNDED))
    assert await balance(session_pool, FAN) == (0, 0, 0)
    mine = await standing_of(session_pool, FAN)
    assert (mine.orders, mine.spent_fen) == (0, 0)  # both refunded in full
    async with session_pool() as session:
        assert await audit(session) == []


async def test_a_refund_the_balance_cannot_pay_is_owed_and_taken_from_the_next_earnings(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW - timedelta(days=10))
    await bind(session_pool, clock, FAN, "小明", admin=True)
    await record(session_pool, clock, sale("C", 30_000, paid_at=clock.now()))
    clock.set(NOW)
    await confirm_due(session_pool, clock)
    async with session_pool() as session, session.begin():
        points = PointsService(session, clock)
        await points.change(GROUP, FAN, -250, reason="redeem", key="spent")
    assert (await balance(session_pool, FAN))[0] == 50
    await record(session_pool, clock, sale("C", 30_000, status=OrderStatus.REFUNDED))
    assert await balance(session_pool, FAN) == (0, 250, 250)  # 50 taken, 250 owed
    async with session_pool() as session, session.begin():
        points = PointsService(session, clock)
        await points.change(GROUP, FAN, 100, reason="checkin", key="c1")
        await points.award_many(
            [Award(GROUP, FAN, 200, "message", "m1")], {GROUP: SHANGHAI}, members_exist=True
        )
    assert await balance(session_pool, FAN) == (50, 300, 0)  # 300 earned, 250 repaid
    async with session_pool() as session:
        assert await audit(session) == []


async def test_an_id_with_another_amount_is_refused_and_unpaid_orders_are_skipped(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    await record(session_pool, clock, sale("D", 1_000))
    tally = await record(
        session_pool, clock, replace(sale("D", 9_999), line=7),
        sale("E", 500, status=OrderStatus.UNPAID),
    )  # fmt: skip
    assert (tally.conflicts, tally.unpaid, tally.new) == ([7], 1, 0)


async def test_purchase_points_take_the_tier_and_the_campaign_of_the_moment_paid(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        campaigns = CampaignService(session, clock)
        spec = parse_campaign("Double 2026-12-02 2026-12-03 x2", NOW.date())
        await campaigns.create(GROUP, ADMIN, spec, SHANGHAI)
    tally = await record(
        session_pool, clock, sale("F", 10_000), sale("G", 10_000, paid_at=NOW - timedelta(days=8)),
        user_id=FAN, rules=OrderRules(purchase=2),
    )  # fmt: skip
    assert tally.points == 400 + 200  # the campaign doubles F only; G paid at once (old)
    assert await balance(session_pool, FAN) == (200, 200, 0)


async def test_tiers_by_spend_move_with_orders_and_refunds(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        await set_order_rule(session, GROUP, "tier_basis", "spend")
        await PointsService(session, clock).change(GROUP, FAN, 5_000, reason="admin", key="big")
    async with session_pool() as session:
        member = await session.get(Member, (GROUP, FAN))
        assert member is not None
        assert member.tier is None
    silver = DEFAULT_TIERS[1]
    await record(session_pool, clock, sale("S", silver.threshold * 100), user_id=FAN)
    async with session_pool() as session:
        member = await session.get(Member, (GROUP, FAN))
        assert member is not None
        assert member.tier == silver.key
    await record(
        session_pool, clock, sale("S", silver.threshold * 100, status=OrderStatus.REFUNDED)
    )
    async with session_pool() as session:
        member = await session.get(Member, (GROUP, FAN))
        assert member is not None
        assert member.tier == DEFAULT_TIERS[0].key


async def test_an_order_with_a_fanbot_coupon_marks_it_used_and_names_its_campaign(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        points = PointsService(session, clock)
        shop = ShopService(session, clock, points)
        spec = parse_reward("¥10 off price=0 kind=coupon", DEFAULT_TIERS)
        reward = await shop.add(GROUP, ADMIN, spec)
        await shop.add_codes(GROUP, reward.id, CodeFile([(1, "SAVE10-A")]))
        given = await RedemptionService(session, clock, points).redeem(
            GROUP, FAN, reward.id, key="campaign:5:42", ladder=DEFAULT_TIERS,
            timezone=SHANGHAI, source="campaign", campaign_id=5,
        )  # fmt: skip
    await record(session_pool, clock, sale("H", 8_800, coupon="SAVE10-A"))
    async with session_pool() as session:
        order = await session.scalar(select(Order).where(Order.order_id == "H"))
        redemption = await session.get(Redemption, given.redemption.id)
    assert order is not None
    assert redemption is not None
    assert (order.coupon_source, order.campaign_id, order.redemption_id) == (
        "campaign", 5, redemption.id,
    )  # fmt: skip
    assert redemption.status == "used"


async def test_an_id_twice_in_one_batch_is_the_same_order_or_a_conflict(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    tally = await record(
        session_pool, clock, sale("X", 1_000), replace(sale("X", 2_000), line=3),
        sale("Y", 1_000), sale("Y", 1_000, refunded=400),
    )  # fmt: skip
    assert (tally.new, tally.repeated, tally.same, tally.conflicts) == (2, 1, 0, [3])
    async with session_pool() as session:
        refunded = await session.scalar(select(Order.refunded_fen).where(Order.order_id == "Y"))
    assert refunded == 400  # refunded further down the file


async def test_an_order_keeps_its_item_title_and_one_recorded_without_gains_it_when_imported_again(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    await record(
        session_pool, clock, replace(sale("T1", 1_000), title="秋冬限定礼盒"), sale("T2", 500)
    )
    await record(
        session_pool, clock, replace(sale("T1", 1_000), title="改过的标题"),
        replace(sale("T2", 500), title="单品茶包"),
    )  # fmt: skip
    async with session_pool() as session:
        titles = dict((await session.execute(select(Order.order_id, Order.title))).all())
    assert titles == {"T1": "秋冬限定礼盒", "T2": "单品茶包"}  # a title once kept stays


REFUSED = {
    "en": ["line 7: no buyer nickname", "line 8: the amount is not a sum of money",
           "line 9: unknown status", "line 10: the same order id with another amount"],
    "zh": ["第 7 行：缺少买家昵称", "第 8 行：金额不是有效数字", "第 9 行：未知订单状态",
           "第 10 行：同一订单编号但金额不同"],
}  # fmt: skip


async def test_an_import_says_what_happened_to_each_line_in_the_groups_language(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    """The GBK fixture: two new paid orders, one closed (交易关闭) recorded without points,
    line 6 repeating line 2, one unpaid, four refused; imported again, nothing is new."""
    i18n = create_i18n("en")
    intake = OrderIntake(Background(session_pool, ServiceFactory(FrozenClock(NOW)), i18n))
    first = await intake.import_file(GROUP, TAOBAO.read_bytes())
    again = await intake.import_file(GROUP, TAOBAO.read_bytes())
    said: dict[str, list[list[str]]] = {}
    with i18n.context():
        for language in ("en", "zh"):
            with i18n.use_locale(language):
                said[language] = [import_text(first).splitlines(), import_text(again).splitlines()]
    assert said["en"][0] == [
        "<b>Orders imported</b> (9 rows)",
        "🧾 2 new paid orders",
        "👤 0 credited to members, 2 waiting for /bind",
        "🚫 1 closed or refunded order recorded, without points",
        "📑 1 line repeats an order of this file: counted once",
        "⏳ 1 order not paid yet: skipped",
        "⚠️ 4 lines refused:",
        *REFUSED["en"],
    ]
    assert said["en"][1][1:4] == [
        "🧾 No new paid orders",
        "🔁 3 orders already imported before: unchanged",  # the closed one too; not line 6
        "📑 1 line repeats an order of this file: counted once",
    ]
    assert said["zh"][0] == [
        "<b>订单导入完成</b>（共 9 行）",
        "🧾 新的已付款订单 2 个",
        "👤 已计入成员 0 个，等待 /bind 绑定 2 个",
        "🚫 已关闭或已退款的订单 1 个：已记录，不计积分",
        "📑 本文件内重复的订单行 1 行：只计一次",
        "⏳ 未付款的订单 1 个：已跳过",
        "⚠️ 未导入 4 行：",
        *REFUSED["zh"],
    ]
    assert said["zh"][1][1:3] == ["🧾 没有新的已付款订单", "🔁 之前已导入的订单 3 个：无变化"]
    for line in said["zh"][0] + said["zh"][1]:
        assert untranslated(line) == [], line
    async with session_pool() as session:
        closed = await session.scalar(select(Order).where(Order.buyer == "小红"))
    assert closed is not None
    assert (closed.status, closed.points, closed.title) == ("refunded", 0, "单品茶包")


async def test_a_line_repeated_in_another_chunk_of_the_file_is_a_repeat_not_an_old_order(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    rows = "".join(f"R{n},b{n},1.00\n" for n in range(CHUNK)) + "R0,b0,1.00\n"
    intake = OrderIntake(
        Background(session_pool, ServiceFactory(FrozenClock(NOW)), create_i18n("en"))
    )
    report = await intake.import_file(GROUP, ("order_id,buyer,amount\n" + rows).encode())
    assert (report.tally.new, report.tally.same, report.tally.repeated) == (CHUNK, 0, 1)


def test_a_posted_order_is_signed_over_its_timestamp_and_body_and_read_field_by_field() -> None:
    body, stamp = b'{"group": -1001}', "1796200000"
    good = signature("s" * 16, stamp, body)
    assert signed_in_time("s" * 16, stamp, good, body, now=1796200000 + 299)
    assert not signed_in_time("s" * 16, stamp, good, body, now=1796200000 + 301)  # stale
    assert not signed_in_time("s" * 16, stamp, good, body + b" ", now=1796200000)  # changed
    assert not signed_in_time("t" * 16, stamp, good, body, now=1796200000)  # another secret
    assert not signed_in_time("s" * 16, None, good, body, now=1796200000)  # unsigned
    group, line = posted_order(
        {"group": -1001, "order_id": "W1", "buyer": "bob", "amount": "88.00",
         "status": "refunded", "refunded": "8.00", "title": " 茶包\n 两盒 "}, SHANGHAI,
    )  # fmt: skip
    assert (group, line.order_id, line.amount_fen, line.refunded) == (-1001, "W1", 8_800, 800)
    assert line.title == "茶包 两盒"  # one line, as a page shows it
    for bad, field in (
        ({"order_id": "W1"}, "group"),
        ({"group": True}, "group"),
        ({"group": 1, "order_id": "W1", "buyer": "b", "amount": "-1"}, "amount"),
        ({"group": 1, "order_id": "W1", "buyer": "b", "amount": "1", "status": "?"}, "status"),
        ([1, 2], "body"),
    ):
        with pytest.raises(ValueError, match=field):
            posted_order(bad, SHANGHAI)
