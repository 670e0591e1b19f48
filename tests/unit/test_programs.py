"""A brand's program on a real database: two groups' accounts joined through the ledger, every
figure kept, the audit clean; a group in another's program earns and reads there."""

from __future__ import annotations

import asyncio
import csv
import io
import time
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import migrations
from models import (
    BuyerBinding,
    Chat,
    LedgerEntry,
    Member,
    Order,
    Program,
    ProgramMerge,
    Reward,
    RewardCode,
)
from models import create_engine as make_engine
from services.chats import ChatService
from services.clock import FrozenClock
from services.console import ConsoleService, MemberQuery
from services.export_columns import ExportKind
from services.exports import write_csv
from services.factory import ServiceFactory
from services.members import Sighting, record_sightings
from services.message_rules import MessageRules
from services.message_tally import MessageTally
from services.messages import ChatMessage, fingerprint
from services.points import PointsService
from services.points_audit import audit
from services.program_merge import CannotJoin
from services.programs import ProgramMap
from services.reward_specs import parse_reward
from tests.unit.conftest import GROUP

SECOND = -100_2  # a second group of the same brand
BOTH, ONLY_SECOND, ONLY_FIRST = 11, 12, 13
CLOCK = FrozenClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
FACTORY = ServiceFactory(CLOCK, "Asia/Shanghai")


async def two_groups(pool: async_sessionmaker[AsyncSession]) -> None:
    """Fans (GROUP) and Fans South (SECOND), each a program of its own with members."""
    async with pool() as session:
        chats = ChatService(session, CLOCK, "Asia/Shanghai")
        await chats.ensure(GROUP, "supergroup", "Fans")
        await chats.ensure(SECOND, "supergroup", "Fans South")
        points = PointsService(session, CLOCK)
        for chat_id, user_id, earned, spent in (
            (GROUP, BOTH, 150, 50), (SECOND, BOTH, 60, 20), (SECOND, ONLY_SECOND, 30, 0),
            (GROUP, ONLY_FIRST, 5, 0),
        ):  # fmt: skip
            await points.change(
                chat_id, user_id, earned, reason="admin", key=f"e:{chat_id}:{user_id}"
            )
            if spent:
                await points.change(
                    chat_id, user_id, -spent, reason="redeem", key=f"s:{chat_id}:{user_id}"
                )
        for chat_id, user_id in ((GROUP, BOTH), (SECOND, BOTH), (SECOND, ONLY_SECOND)):
            member = await session.get(Member, (chat_id, user_id))
            assert member is not None
            member.spent_fen, member.orders_paid = 10_000, 1
        first, second = (
            await session.get(Member, (GROUP, BOTH)),
            await session.get(Member, (SECOND, BOTH)),
        )
        assert first is not None
        assert second is not None
        first.streak, first.last_checkin_day, first.best_streak = 3, date(2026, 11, 20), 9
        second.streak, second.last_checkin_day, second.best_streak = 5, date(2026, 11, 23), 5
        await session.commit()


async def join(pool: async_sessionmaker[AsyncSession]) -> None:
    async with pool() as session:
        await FACTORY.program_join(session).join(GROUP, SECOND, by=1)
        await session.commit()
    FACTORY.program_map.forget()


async def test_joining_two_programs_adds_up_each_account_through_the_ledger(session_pool) -> None:
    await two_groups(session_pool)
    await join(session_pool)
    async with session_pool() as session:
        both = await session.get(Member, (GROUP, BOTH))
        newcomer = await session.get(Member, (GROUP, ONLY_SECOND))
        left_behind = await session.get(Member, (SECOND, BOTH))
        assert both is not None
        assert newcomer is not None
        assert left_behind is not None
        assert (both.points, both.lifetime_points, both.spent_fen, both.orders_paid) == (
            140, 210, 20_000, 2,
        )  # fmt: skip
        assert (newcomer.points, newcomer.lifetime_points) == (30, 30)
        assert newcomer.left_at is not None  # an account here, not a member of Fans itself
        assert (left_behind.points, left_behind.lifetime_points, left_behind.spent_fen) == (0, 0, 0)
        # The streak still running is the one signed in last; the best stays the best.
        assert (both.streak, both.last_checkin_day, both.best_streak) == (5, date(2026, 11, 23), 9)
        merges = list(
            await session.scalars(
                select(LedgerEntry).where(LedgerEntry.reason == "merge").order_by(LedgerEntry.id)
            )
        )
        assert sorted((m.chat_id, m.user_id, m.delta, m.lifetime_delta) for m in merges) == sorted([
            (SECOND, BOTH, -40, -60), (GROUP, BOTH, 40, 60),
            (SECOND, ONLY_SECOND, -30, -30), (GROUP, ONLY_SECOND, 30, 30),
        ])  # fmt: skip
        assert await audit(session) == []
        chat = await session.get(Chat, SECOND)
        assert chat is not None
        assert chat.program_id == GROUP
        (merge,) = await session.scalars(select(ProgramMerge))
        assert (merge.program_id, merge.merged_id, merge.members, merge.points) == (
            GROUP,
            SECOND,
            2,
            70,
        )
        program = await session.get(Program, GROUP)
        assert program is not None
        assert program.name == "Fans"


async def test_after_the_join_the_second_group_earns_and_reads_in_the_program(session_pool) -> None:
    await two_groups(session_pool)
    await join(session_pool)
    async with session_pool() as session:
        points = FACTORY.points(session)
        paid = await points.change(SECOND, ONLY_SECOND, 5, reason="checkin", key="c:1")
        await session.commit()
        assert (paid.points, paid.applied) == (35, True)
        assert (await points.balance(SECOND, ONLY_SECOND)).points == 35
        assert (await points.balance(GROUP, ONLY_SECOND)).points == 35
        assert [line.entry.reason for line in await points.history(SECOND, ONLY_SECOND)][:2] == [
            "checkin", "merge",
        ]  # fmt: skip
        assert await audit(session) == []


async def test_tiers_are_recomputed_on_the_ladder_of_the_program_that_stays(session_pool) -> None:
    await two_groups(session_pool)
    async with session_pool() as session:
        tiers = FACTORY.tiers(session)
        await tiers.set(GROUP, "Gold", 200, None)
        await session.commit()
    await join(session_pool)
    async with session_pool() as session:
        both = await session.get(Member, (GROUP, BOTH))
        newcomer = await session.get(Member, (GROUP, ONLY_SECOND))
        assert both is not None
        assert newcomer is not None
        assert both.tier == "gold"
        assert newcomer.tier != "gold"


async def test_orders_bindings_and_the_shop_move_and_clashes_are_reported(session_pool) -> None:
    await two_groups(session_pool)
    async with session_pool() as session:
        now = CLOCK.now()
        for chat_id, order_id in ((GROUP, "T1"), (SECOND, "T1"), (SECOND, "T2")):
            await session.execute(
                insert(Order).values(
                    chat_id=chat_id, order_id=order_id, buyer="小明", buyer_key="小明",
                    amount_fen=100, refunded_fen=0, status="paid", paid_at=now, source="import",
                    points=1, points_state="waiting", clawed_back=0, created_at=now, updated_at=now,
                )
            )  # fmt: skip
        for chat_id, key, user_id in (
            (GROUP, "小明", BOTH),
            (SECOND, "小明", ONLY_SECOND),
            (SECOND, "阿花", BOTH),
        ):
            session.add(BuyerBinding(chat_id=chat_id, buyer_key=key, buyer=key, user_id=user_id,
                                     bound_by=user_id, created_at=now, proof="admin"))  # fmt: skip
        shop = FACTORY.shop(session)
        mug = await shop.add(SECOND, 1, parse_reward("Mug price=10 kind=coupon", []))
        cup = await shop.add(GROUP, 1, parse_reward("Cup price=10 kind=coupon", []))
        for chat_id, reward, code in ((SECOND, mug, "TEA-1"), (SECOND, mug, "TEA-2"),
                                      (GROUP, cup, "TEA-1")):  # fmt: skip
            session.add(RewardCode(chat_id=chat_id, reward_id=reward.id, code=code,
                                   status="free", added_at=now))  # fmt: skip
        await session.commit()
    async with session_pool() as session:
        report = await FACTORY.program_join(session).join(GROUP, SECOND, by=1)
        await session.commit()
    assert report.duplicate_orders == ["T1"]
    assert report.duplicate_bindings == [{"nickname": "小明", "member": ONLY_SECOND, "other": BOTH}]
    assert report.moved["orders"] == 1
    assert report.moved["bindings"] == 1
    async with session_pool() as session:
        orders = {(o.chat_id, o.order_id) for o in await session.scalars(select(Order))}
        assert orders == {(GROUP, "T1"), (SECOND, "T1"), (GROUP, "T2")}  # nothing deleted
        bindings = {(b.chat_id, b.buyer_key) for b in await session.scalars(select(BuyerBinding))}
        assert bindings == {(GROUP, "小明"), (SECOND, "小明"), (GROUP, "阿花")}
        assert {r.chat_id for r in await session.scalars(select(Reward))} == {GROUP}
        codes = {(c.chat_id, c.code) for c in await session.scalars(select(RewardCode))}
        assert codes == {(GROUP, "TEA-1"), (GROUP, "TEA-2"), (SECOND, "TEA-1")}  # one kept apart
    assert report.kept_codes == 1


async def test_a_program_cannot_join_itself_nor_a_group_that_is_no_program_any_more(
    session_pool,
) -> None:
    """A second press of Join, or a forged one naming a group that joined a program, is
    refused and moves nothing."""
    await two_groups(session_pool)
    await join(session_pool)
    async with session_pool() as session:
        joiner = FACTORY.program_join(session)
        with pytest.raises(CannotJoin, match="same"):
            await joiner.preview(GROUP, GROUP)
        with pytest.raises(CannotJoin, match="moved"):
            await joiner.join(GROUP, SECOND, by=1)  # Fans South is in Fans' program now
        with pytest.raises(CannotJoin, match="moved"):
            await joiner.join(SECOND, GROUP, by=1)
        both = await session.get(Member, (GROUP, BOTH))
        assert both is not None
        assert both.points == 140
        assert await audit(session) == []


async def test_the_preview_counts_what_would_move(session_pool) -> None:
    await two_groups(session_pool)
    async with session_pool() as session:
        preview = await FACTORY.program_join(session).preview(GROUP, SECOND)
    assert (preview.accounts, preview.shared, preview.points, preview.groups) == (2, 1, 70, 2)


async def test_migrating_a_populated_database_makes_each_group_its_own_program(
    empty_database_url: str,
) -> None:
    """0024 on a database with members: each group becomes a program of its own, named after
    it, and every member's figures stay as they were."""
    await asyncio.to_thread(migrations.upgrade, empty_database_url, "0023_raids")
    engine = make_engine(empty_database_url)
    now = CLOCK.now()
    try:
        async with engine.begin() as connection:
            for chat_id, title in ((GROUP, "茶友群"), (SECOND, "Tea South")):
                await connection.execute(
                    insert(Chat).values(
                        id=chat_id, title=title, type="supergroup", settings={}, active=True,
                        created_at=now,
                    )
                )  # fmt: skip
            for user_id in range(1, 6):
                await connection.execute(
                    insert(Member).values(
                        chat_id=GROUP, user_id=user_id, display_name=f"fan {user_id}",
                        points=user_id * 10, lifetime_points=user_id * 15, streak=user_id,
                        message_count=0, best_streak=user_id, last_message_id=0,
                        message_points_today=0, active_days=0, replies_received=0,
                        points_owed=0, spent_fen=0, orders_paid=0, pushes_off=False,
                    )
                )  # fmt: skip
            before = (await connection.execute(select(Member.__table__))).all()
        await asyncio.to_thread(migrations.upgrade, empty_database_url)
        async with engine.connect() as connection:
            after = (await connection.execute(select(*Member.__table__.columns))).all()
            programs = (await connection.execute(select(Program.id, Program.name))).all()
            joined = (await connection.execute(select(Chat.program_id))).scalars().all()
        assert sorted(after) == sorted(before)
        assert sorted(programs) == sorted([(GROUP, "茶友群"), (SECOND, "Tea South")])
        assert joined == [None, None]
    finally:
        await engine.dispose()


async def writing_in_both(pool: async_sessionmaker[AsyncSession]) -> MessageTally:
    """A member seen in both groups (their account made as a sighting makes it), and a tally."""
    async with pool() as session:
        await record_sightings(session, [
            Sighting(GROUP, ONLY_FIRST, None, "fan", CLOCK.now()),
            Sighting(SECOND, ONLY_FIRST, None, "fan", CLOCK.now(), program_id=GROUP),
        ])  # fmt: skip
        await session.commit()
    return MessageTally(pool, CLOCK, FACTORY.points)


def said(chat_id: int, message_id: int, points: int) -> ChatMessage:
    """A paying message of that member's, in either group, under a cap of 10 a day."""
    return ChatMessage(
        chat_id=chat_id, user_id=ONLY_FIRST, message_id=message_id,
        sent_at=CLOCK.now(), fingerprint=fingerprint(f"message {message_id}", None),
        earns=True, username=None, display_name="fan", timezone="Asia/Shanghai",
        rules=MessageRules(points=points, cooldown=0, daily_cap=10),
        program_id=GROUP if chat_id == SECOND else None,
    )  # fmt: skip


async def test_message_points_keep_each_groups_rules_but_the_programs_daily_cap(
    session_pool,
) -> None:
    """Fans pays 5 a message, Fans South 3; the cap of 10 a day is the program's: two paid
    messages in Fans reach it, and a third in Fans South pays nothing."""
    await two_groups(session_pool)
    await join(session_pool)
    tally = await writing_in_both(session_pool)

    paid = [
        (await tally.record(said(SECOND, 1, 3))).points,  # South's rule: 3
        (await tally.record(said(GROUP, 2, 5))).points,  # Fans' rule: 5
        (await tally.record(said(GROUP, 3, 5))).points,  # 2 left of the program's 10
        (await tally.record(said(SECOND, 4, 3))).points,  # the cap is reached
    ]
    assert paid == [3, 5, 2, 0]
    async with session_pool() as session:
        account = await session.get(Member, (GROUP, ONLY_FIRST))
        here = await session.get(Member, (SECOND, ONLY_FIRST))
        assert account is not None
        assert here is not None
        assert (account.points, here.points, here.message_count) == (5 + 10, 0, 2)
        assert await audit(session) == []


async def test_what_a_stale_worker_paid_into_the_old_program_is_swept_in(session_pool) -> None:
    """A worker that had not heard of the join pays into Fans South's old accounts: the sweep
    moves it in, through the ledger, once."""
    await two_groups(session_pool)
    await join(session_pool)
    async with session_pool() as session:
        stale = PointsService(session, CLOCK, programs=ProgramMap())
        stale.programs._programs[SECOND] = (time.monotonic(), SECOND)  # read before the join
        await stale.change(SECOND, BOTH, 7, reason="checkin", key="late:1")
        await session.commit()
    for _ in range(2):  # the next check finds nothing more
        async with session_pool() as session:
            await FACTORY.program_join(session).sweep()
            await session.commit()
    async with session_pool() as session:
        both = await session.get(Member, (GROUP, BOTH))
        left = await session.get(Member, (SECOND, BOTH))
        assert both is not None
        assert left is not None
        assert (both.points, left.points) == (147, 0)
        assert await audit(session) == []


async def test_a_program_follows_its_groups_when_they_become_supergroups(session_pool) -> None:
    """Telegram moves a group to a new id: the founding group takes the program along (its
    groups, accounts and labels), a joined group stays in its program."""
    await two_groups(session_pool)
    await join(session_pool)
    async with session_pool() as session:
        await FACTORY.labels(session).add(GROUP, BOTH, ["高潜"], added_by=1)
        chats = ChatService(session, CLOCK, "Asia/Shanghai")
        assert await chats.migrate(GROUP, -100_9)  # the founding group
        assert await chats.migrate(SECOND, -100_8)  # the joined one
        await session.commit()
    async with session_pool() as session:
        founding = await session.get(Chat, -100_9)
        joined = await session.get(Chat, -100_8)
        assert founding is not None
        assert joined is not None
        assert (founding.program_id, joined.program_id) == (None, -100_9)
        assert (await session.get(Program, -100_9)) is not None
        account = await session.get(Member, (-100_9, BOTH))
        assert account is not None
        assert account.points == 140
        assert await FACTORY.labels(session).of_member(-100_9, BOTH) == ["高潜"]
        assert await audit(session) == []


async def test_the_console_and_exports_of_a_joined_group_show_the_accounts(session_pool) -> None:
    """Fans South's pages and files after the join: its members, with their accounts' points;
    a member's history and the ledger are the program's."""
    await two_groups(session_pool)
    await join(session_pool)
    async with session_pool() as session:
        console = ConsoleService(session, CLOCK)
        page = await console.members(SECOND, MemberQuery(), "Asia/Shanghai", [], GROUP)
        shown = {m.user_id: page.account(m).points for m in page.members}
        assert shown == {BOTH: 140, ONLY_SECOND: 30}
        assert [m.user_id for m in page.members] == [BOTH, ONLY_SECOND]  # by the account's points
        history = await console.member(SECOND, BOTH, GROUP)
        assert history is not None
        assert history.account.points == 140
        assert {entry.reason for entry in history.ledger} == {"admin", "redeem", "merge"}
        out = io.StringIO()
        await write_csv(session, out, ExportKind.MEMBERS, SECOND, "Asia/Shanghai")
        rows = list(csv.reader(io.StringIO(out.getvalue().lstrip("\ufeff"))))
        points = rows[0].index("points")
        assert sorted(int(row[points]) for row in rows[1:]) == [30, 140]
        out = io.StringIO()
        await write_csv(session, out, ExportKind.LEDGER, SECOND, "Asia/Shanghai")
        assert "merge" in out.getvalue()
