"""Members moving in from another tool: a member list read (Chinese headers, GBK), its dry run,
applying it, and a second run that adds nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infrastructure.background import Background
from infrastructure.i18n import create_i18n
from models import Chat, LedgerEntry, Member
from services.chats import ChatService
from services.clock import Clock, FrozenClock
from services.factory import ServiceFactory
from services.member_files import MemberFileError, MemberLine, RefusedMember, read_members
from services.member_import import CHUNK
from services.points_audit import audit
from tests.unit.conftest import GROUP
from views.member_import import plan_text
from workflows.member_import import MemberImport

NOW = datetime(2026, 12, 7, 4, tzinfo=UTC)
CHINESE = (
    "用户ID,用户名,积分,累计积分,等级,加入时间,连续签到\n"
    "1001,,300,900,银牌,2025-03-01,12\n"
    ",@xiaoming,50,,,,\n"
    ",@nobody,10,,,,\n"
    "1002,,abc,,,,\n"
    "1003,,2000000,,,,\n"
    "1001,,5,,,,\n"
    "1004,,80,,黑铁,,\n"
)


def importer(session_pool: async_sessionmaker[AsyncSession]) -> MemberImport:
    factory = ServiceFactory(FrozenClock(NOW))
    return MemberImport(Background(session_pool, factory, create_i18n("en")))


async def seen(session_pool: async_sessionmaker[AsyncSession], user_id: int, name: str) -> None:
    async with session_pool() as session, session.begin():
        session.add(Member(chat_id=GROUP, user_id=user_id, username=name, points=20,
                           lifetime_points=20))  # fmt: skip
        session.add(LedgerEntry(chat_id=GROUP, user_id=user_id, delta=20, reason="checkin",
                                idempotency_key=f"seed:{user_id}", created_at=NOW))  # fmt: skip


def test_a_member_list_in_gbk_with_chinese_headers_is_read_with_its_refusals_by_line() -> None:
    read = list(read_members(CHINESE.encode("gbk")))
    members = [r for r in read if isinstance(r, MemberLine)]
    refused = [(r.line, r.reason) for r in read if isinstance(r, RefusedMember)]
    first = members[0]
    assert (first.user_id, first.points, first.lifetime, first.tier, first.streak) == (
        1001, 300, 900, "银牌", 12,
    )  # fmt: skip
    assert first.joined is not None
    assert first.joined.isoformat() == "2025-03-01"
    assert (members[1].username, members[1].points) == ("xiaoming", 50)
    assert refused == [(5, "points"), (6, "out of range")]


def test_a_file_without_a_points_column_is_refused_whole() -> None:
    with pytest.raises(MemberFileError) as error:
        read_members(b"\xef\xbb\xbfusername,level\n@a,3\n")
    assert error.value.missing == ("points",)


async def test_the_dry_run_says_what_would_change_and_writes_nothing(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    await seen(session_pool, 2001, "XiaoMing")
    plan = await importer(session_pool).plan(chat, CHINESE.encode("gbk"))
    assert (plan.rows, plan.matched, plan.new, plan.points) == (7, 1, 1, 350)
    assert [(r.line, r.reason) for r in plan.refused] == [
        (4, "unknown username"), (5, "points"), (6, "out of range"), (7, "twice"), (8, "tier"),
    ]  # fmt: skip
    async with session_pool() as session:
        assert (
            await session.scalar(select(LedgerEntry).where(LedgerEntry.reason == "import")) is None
        )


async def test_applied_each_member_gets_one_ledger_row_and_a_second_run_adds_nothing(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    await seen(session_pool, 2001, "xiaoming")
    data = CHINESE.encode("gbk")
    first = await importer(session_pool).apply(chat, "Asia/Shanghai", data)
    again = await importer(session_pool).apply(chat, "Asia/Shanghai", data)
    assert (first.applied, again.applied, again.points, again.unchanged) == (2, 0, 0, 2)
    async with session_pool() as session:
        rows = list(
            await session.scalars(select(LedgerEntry).where(LedgerEntry.reason == "import"))
        )
        assert sorted((r.user_id, r.delta, r.lifetime_delta) for r in rows) == [
            (1001, 300, 900), (2001, 50, 50),
        ]  # fmt: skip
        new = await session.get(Member, (chat, 1001))
        assert new is not None
        assert (new.points, new.lifetime_points, new.tier, new.streak) == (300, 900, "silver", 12)
        assert new.last_checkin_day is not None
        assert new.joined_at is not None
        known = await session.get(Member, (chat, 2001))
        assert known is not None
        assert (known.points, known.lifetime_points) == (70, 70)
        assert await audit(session) == []


async def test_an_updated_file_adds_only_the_difference_and_never_takes_points(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    run = importer(session_pool)
    await run.apply(chat, "UTC", b"user_id,points\n1001,100\n1002,100\n")
    later = await run.apply(chat, "UTC", b"user_id,points\n1001,150\n1002,40\n")
    assert (later.applied, later.points) == (1, 50)
    async with session_pool() as session:
        balances = dict(
            (await session.execute(select(Member.user_id, Member.points).where(
                Member.chat_id == chat))).all()
        )  # fmt: skip
        assert balances == {1001: 150, 1002: 100}
        tiers = dict(
            (await session.execute(select(Member.user_id, Member.tier).where(
                Member.chat_id == chat))).all()
        )  # fmt: skip
        assert tiers == {1001: "bronze", 1002: "bronze"}  # by lifetime: bronze is 100
        assert await audit(session) == []


async def test_a_big_file_goes_in_chunks(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    rows = "".join(f"{10_000 + n},{n % 50 + 1}\n" for n in range(CHUNK * 2 + 3))
    plan = await importer(session_pool).apply(chat, "UTC", ("user_id,points\n" + rows).encode())
    assert (plan.new, plan.applied) == (CHUNK * 2 + 3, CHUNK * 2 + 3)
    async with session_pool() as session:
        assert await audit(session) == []


def test_an_id_no_telegram_account_has_is_refused_by_line() -> None:
    data = b"user_id,points\n99999999999999999999,5\n0,5\n42,5\n"
    read = list(read_members(data))
    assert [(r.line, r.reason) for r in read if isinstance(r, RefusedMember)] == [
        (2, "member"),
        (3, "member"),
    ]


async def test_in_a_group_of_a_program_the_accounts_are_the_programs(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    joined = -100_2
    async with session_pool() as session, session.begin():
        await ChatService(session, Clock(), "UTC").ensure(joined, "supergroup", "South")
        await session.execute(update(Chat).where(Chat.id == joined).values(program_id=chat))
        session.add(Member(chat_id=joined, user_id=3001, username="south_fan"))
    plan = await importer(session_pool).apply(joined, "UTC", b"username,points\nsouth_fan,40\n")
    assert (plan.matched, plan.new, plan.applied) == (0, 1, 1)  # no account in the program yet
    async with session_pool() as session:
        account = await session.get(Member, (chat, 3001))
        assert account is not None
        assert (account.points, account.left_at is not None) == (40, True)  # not in the founder
        assert await audit(session) == []


async def test_the_dry_run_is_said_in_chinese_and_english(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    await seen(session_pool, 2001, "xiaoming")
    plan = await importer(session_pool).plan(chat, CHINESE.encode("gbk"))
    i18n = create_i18n("en")
    said = {}
    with i18n.context():
        for language in ("en", "zh"):
            with i18n.use_locale(language):
                said[language] = plan_text(plan, applied=False).splitlines()
    assert said["en"][:4] == [
        "<b>Dry run: nothing changed yet</b> (7 rows)",
        "👤 1 member matched, 1 new by id",
        "💰 350 points to add",
        "⚠️ 5 lines refused:",
    ]
    assert said["zh"][:4] == [
        "<b>试运行：尚未做任何改动</b> （7 行）",
        "👤 匹配到 1 名成员，按ID新增 1 名",
        "💰 将增加 350 积分",
        "⚠️ 未导入 5 行：",
    ]
    assert said["zh"][4] == "第 4 行：未知的@用户名（本群从未见过）"
