"""Analytics on a real database: the daily roll-ups as events happen, reports, segments, CSV."""

from __future__ import annotations

import asyncio
import csv
import io
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import DailyStats, LedgerEntry, Member, Referral
from services.checkin_rules import CheckinRules
from services.checkins import CheckinService
from services.clock import FrozenClock
from services.daystats import count_today
from services.draw_entries import JoinRequest
from services.draw_specs import DrawSpec
from services.draws import DrawService
from services.exports import ENCODING, ExportKind, write_csv
from services.members import member_joined, member_left
from services.message_rules import MessageRules
from services.message_tally import MessageTally
from services.messages import ChatMessage, fingerprint
from services.points import Award, PointsService
from services.points_audit import audit
from services.stats import (
    BadRange,
    Segment,
    SegmentService,
    StatsService,
    active_days_in_window,
    change_pct,
    parse_range,
)
from services.tiers import DEFAULT_TIERS
from tests.unit.conftest import GROUP
from views.charts import labels_for, render_png

SHANGHAI = "Asia/Shanghai"
MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
TODAY = date(2026, 11, 23)


def said(message_id: int, user: int, at: datetime, text: str = "hello there fans", *,
         replied_to: int | None = None) -> ChatMessage:  # fmt: skip
    return ChatMessage(
        chat_id=GROUP, user_id=user, message_id=message_id, sent_at=at,
        fingerprint=fingerprint(f"{text} {message_id}", None), earns=len(text) >= 3,
        username=None, display_name=f"Fan {user}", timezone=SHANGHAI,
        rules=MessageRules(), replied_to=replied_to,
    )  # fmt: skip


async def day_row(pool: async_sessionmaker[AsyncSession], day: date = TODAY) -> DailyStats:
    async with pool() as session:
        row = await session.get(DailyStats, (GROUP, day))
        assert row is not None, f"no roll-up for {day}"
        return row


async def test_messages_and_active_members_are_counted_once_across_workers_and_redelivery(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(MONDAY)
    first, second = MessageTally(session_pool, clock), MessageTally(session_pool, clock)
    at = MONDAY
    for message_id in range(1, 6):  # fan 1 writes five times, fan 2 once
        await first.record(said(message_id, 1, at + timedelta(seconds=message_id)))
    await second.record(said(6, 2, at, "hi", replied_to=1))
    await second.record(said(7, 1, at + timedelta(seconds=10)))  # the same fan, other worker
    await first.record(said(3, 1, at + timedelta(seconds=3)))  # delivered again
    await second.record(said(6, 2, at, "hi", replied_to=1))  # delivered again
    await first.flush()
    await second.flush()
    row = await day_row(session_pool)
    assert (row.messages, row.active_members) == (7, 2)
    assert row.points_issued == 1  # fan 1's first message; the rest fell in the cooldown
    # The next local day (Shanghai's midnight is 16:00 UTC) starts a new count.
    tomorrow = datetime(2026, 11, 23, 16, 30, tzinfo=UTC)
    await first.record(said(20, 1, tomorrow))
    await first.flush()
    assert ((await day_row(session_pool, TODAY + timedelta(days=1))).active_members) == 1
    async with session_pool() as session:
        fan = await session.get(Member, (GROUP, 1))
        assert fan is not None
        assert (fan.last_active_day, fan.active_days & 0b11, fan.replies_received) == (
            TODAY + timedelta(days=1), 0b11, 1,
        )  # fmt: skip


def test_days_active_in_a_window_come_from_the_bitmask() -> None:
    wrote = 0b1011  # the last day, two and three days before it
    assert active_days_in_window(TODAY, wrote, TODAY, 7) == 3
    assert active_days_in_window(TODAY, wrote, TODAY + timedelta(days=5), 7) == 2  # one aged out
    assert active_days_in_window(TODAY, wrote, TODAY + timedelta(days=7), 7) == 0


async def test_joins_and_leaves_count_once_however_often_telegram_tells(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    async with session_pool() as session, session.begin():
        # The chat_member update and the "joined" service message of one join:
        assert await member_joined(session, GROUP, 5, MONDAY, SHANGHAI)
        assert not await member_joined(session, GROUP, 5, MONDAY, SHANGHAI)
        assert await member_left(session, GROUP, 5, MONDAY, SHANGHAI)
        assert not await member_left(session, GROUP, 5, MONDAY, SHANGHAI)
        assert await member_joined(session, GROUP, 5, MONDAY, SHANGHAI)  # came back
        assert await member_left(session, GROUP, 6, MONDAY, SHANGHAI)  # was here before us
    row = await day_row(session_pool)
    assert (row.joins, row.leaves) == (2, 2)


async def test_sign_ins_draw_entries_and_points_roll_up_on_the_local_day(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(MONDAY)
    async with session_pool() as session, session.begin():
        points = PointsService(session, clock, SHANGHAI)
        checkins = CheckinService(session, clock, points)
        for user in (1, 2, 3):
            await checkins.check_in(GROUP, user, SHANGHAI, CheckinRules())
        await checkins.check_in(GROUP, 1, SHANGHAI, CheckinRules())  # twice: signed in once
        for user in (1, 2):
            await points.change(GROUP, user, 100, reason="admin", key=f"grant:{user}")
        draws = DrawService(session, clock, points)
        spec = DrawSpec(prize="T-shirt", winners=1, ends_at=MONDAY + timedelta(hours=2), cost=10)
        draw = await draws.create(GROUP, 99, spec)
        for user in (1, 2, 1):
            await draws.join_many([JoinRequest(draw.id, GROUP, user)])
        await points.change(GROUP, 2, 7, reason="refund", key="refund:2")
    row = await day_row(session_pool)
    assert row.checkins == 3
    assert row.draw_entries == 2
    assert row.points_issued == 3 * 5 + 200  # the sign-ins' 5 each and the grants
    assert row.points_spent == 2 * 10 - 7  # two entries, less what was given back
    async with session_pool() as session:
        deltas = list(await session.scalars(select(LedgerEntry.delta)))
        assert sum(d for d in deltas if d > 0) - 7 == row.points_issued
        assert await audit(session) == []


async def test_a_report_compares_the_period_with_the_one_before(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(MONDAY)
    async with session_pool() as session:
        assert await StatsService(session, clock).report(GROUP, SHANGHAI, 7, 100) is None
    async with session_pool() as session, session.begin():
        for offset, (messages, joins, leaves, checkins) in enumerate(
            [(50, 4, 1, 10), (30, 2, 0, 20)]  # today, and 7 days before
        ):
            session.add(
                DailyStats(
                    chat_id=GROUP, day=TODAY - timedelta(days=7 * offset), messages=messages,
                    active_members=10, joins=joins, leaves=leaves, checkins=checkins,
                    draw_entries=0, topic_replies=0, referral_joins=0, points_issued=0,
                    points_spent=0,
                )
            )  # fmt: skip
        session.add(DailyStats(chat_id=GROUP, day=TODAY - timedelta(days=30), messages=999))
    async with session_pool() as session:
        report = await StatsService(session, clock).report(GROUP, SHANGHAI, 7, 100)
    assert report is not None
    assert (report.first_day, report.last_day) == (TODAY - timedelta(days=6), TODAY)
    assert (report.current["messages"], report.previous["messages"]) == (50, 30)
    assert (report.current.net_growth, report.members_before) == (3, 97)
    assert [point.messages for point in report.series] == [0] * 6 + [50]
    assert change_pct(report.current["messages"], report.previous["messages"]) == pytest.approx(
        66.67, abs=0.01
    )
    now_rate, before_rate = report.rates
    assert (now_rate, before_rate) == pytest.approx((10 / 7 / 100, 20 / 7 / 97))
    assert change_pct(5, 0) is None


def test_date_ranges_are_checked() -> None:
    assert parse_range([], TODAY) == (None, None)
    assert parse_range(["2026-11-01"], TODAY) == (date(2026, 11, 1), TODAY)
    assert parse_range(["2025-11-24", "2026-11-23"], TODAY) == (date(2025, 11, 24), TODAY)
    for bad, reason in [
        (["2026-11-30", "2026-11-01"], "reversed"),
        (["2025-01-01", "2026-11-23"], "too long"),
        (["2026-13-01"], "dates"),
        (["yesterday"], "dates"),
        (["2026-11-01", "2026-11-02", "2026-11-03"], "dates"),
    ]:
        with pytest.raises(BadRange, match=reason):
            parse_range(bad, TODAY)


async def test_segments_are_recounted_from_the_members(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(MONDAY - timedelta(days=30))
    tally = MessageTally(session_pool, clock)
    async with session_pool() as session, session.begin():
        for user in range(1, 8):
            await member_joined(session, GROUP, user, clock.now(), SHANGHAI)
    message_id = 0
    for days_ago, writers in [(6, (1, 2)), (4, (1, 2)), (1, (1,)), (0, (1, 3))]:
        for user in writers:
            message_id += 1
            at = MONDAY - timedelta(days=days_ago)
            clock.set(at)
            await tally.record(said(message_id, user, at, replied_to=4))
    await tally.flush()
    clock.set(MONDAY)
    async with session_pool() as session, session.begin():
        await member_joined(session, GROUP, 8, MONDAY - timedelta(days=2), SHANGHAI)  # new
        await member_left(session, GROUP, 7, MONDAY, SHANGHAI)  # gone: in no segment
        await session.execute(
            update(Member).where(Member.chat_id == GROUP, Member.user_id == 5)
            .values(lifetime_points=2500)
        )  # fmt: skip
        session.add_all(
            Referral(chat_id=GROUP, invitee_id=100 + n, inviter_id=6, link="l", status="confirmed",
                     joined_at=MONDAY)
            for n in range(2)
        )  # fmt: skip
        counted = await SegmentService(session, clock).recount(GROUP, SHANGHAI, DEFAULT_TIERS)
    assert counted.counts == {
        "new": 1, "active": 1, "silent": 3, "core": 1, "kol": 1, "paying": 0, "lapsed": 0,
    }  # fmt: skip
    async with session_pool() as session:
        service = SegmentService(session, clock)
        active = await service.top(GROUP, Segment.ACTIVE)
        assert [(row.user_id, row.score // 1_000_000) for row in active] == [(1, 4)]
        assert [row.user_id for row in await service.top(GROUP, Segment.KOL)] == [6]  # 2 × 5
        assert [row.user_id for row in await service.top(GROUP, Segment.SILENT)] == [5, 4, 6]
        assert [row.user_id for row in await service.top(GROUP, Segment.NEW)] == [8]
        assert await service.due([(GROUP, SHANGHAI)]) == []
        clock.set(MONDAY + timedelta(days=1))
        assert await service.due([(GROUP, SHANGHAI)]) == [(GROUP, SHANGHAI)]


async def test_the_ledger_export_streams_every_row_with_a_bom(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(MONDAY - timedelta(days=3))
    async with session_pool() as session, session.begin():
        points = PointsService(session, clock, SHANGHAI)
        for first, last in [(0, 2_000), (2_000, 2_500)]:  # more than one fetch in all
            awards = [
                Award(GROUP, n % 7 + 1, n % 5 + 1, "admin", f"k{n}") for n in range(first, last)
            ]
            await points.award_many(awards, {GROUP: SHANGHAI})
            clock.set(MONDAY)
        await session.execute(update(Member).values(display_name="小明"))
    buffer = io.BytesIO()
    out = io.TextIOWrapper(buffer, encoding=ENCODING, newline="")
    progress: list[int] = []
    async with session_pool() as session:
        written = await write_csv(
            session, out, ExportKind.LEDGER, GROUP, SHANGHAI, progress=progress.append
        )
        recent = io.TextIOWrapper(io.BytesIO(), encoding=ENCODING, newline="")
        assert await write_csv(session, recent, ExportKind.LEDGER, GROUP, SHANGHAI, TODAY) == 500
        ids = list(await session.scalars(select(LedgerEntry.id).order_by(LedgerEntry.id)))
    out.flush()
    data = buffer.getvalue()
    assert data.startswith(b"\xef\xbb\xbf")
    assert (written, progress[-1]) == (2_500, 2_500)
    rows = list(csv.DictReader(io.StringIO(data.decode(ENCODING))))
    assert [int(row["id"]) for row in rows] == ids
    assert (rows[0]["name"], rows[0]["time"]) == ("小明", "2026-11-20 10:00:00")


def test_the_chart_speaks_chinese_only_with_a_font_that_can() -> None:
    with_font = labels_for("zh", "粉丝群", 7, "Noto Sans CJK SC")
    assert (with_font.messages, with_font.title) == ("消息", "粉丝群 · 近 7 天")
    without = labels_for("zh", "粉丝群", 7, None)
    assert (without.messages, without.font) == ("Messages", None)
    assert "粉" not in without.title  # no boxes in place of characters


@pytest.mark.parametrize("font", [None, "Noto Sans CJK SC"])
def test_the_chart_is_a_png(font: str | None) -> None:
    from services.stats import DayPoint
    from views.charts import cjk_font

    if font is not None and cjk_font() is None:
        pytest.skip("no CJK font installed (make test installs fonts-noto-cjk)")
    series = [DayPoint(TODAY - timedelta(days=6 - n), 10 * n, n, n % 3) for n in range(7)]
    png = render_png(series, replace(labels_for("zh", "粉丝群", 7, font)))
    assert png.startswith(b"\x89PNG")
    assert len(png) > 5_000


async def test_a_rolled_back_transaction_counts_nothing(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    async with session_pool() as session:
        async with session.begin():
            count_today(session, GROUP, MONDAY, SHANGHAI, messages=5)
            await session.rollback()
        async with session.begin():
            count_today(session, GROUP, MONDAY, SHANGHAI, joins=1)
    row = await day_row(session_pool)
    assert (row.messages, row.joins) == (0, 1)


async def test_the_days_row_is_the_last_lock_a_transaction_takes(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    """A topic reply counted before its member's row was taken, while a message batch holds
    that row and then adds to the day: on PostgreSQL that was a deadlock."""
    if session_pool.kw["bind"].dialect.name == "sqlite":
        pytest.skip("SQLite has one writer at a time: nothing to interleave")
    async with session_pool() as session, session.begin():
        await member_joined(session, GROUP, 1, MONDAY, SHANGHAI)
    async with session_pool() as batch:
        await batch.begin()
        await batch.execute(
            select(Member).where(Member.chat_id == GROUP, Member.user_id == 1).with_for_update()
        )

        async def topic_reply() -> None:
            async with session_pool() as session, session.begin():
                count_today(session, GROUP, MONDAY, SHANGHAI, topic_replies=1)
                await session.execute(
                    update(Member).where(Member.chat_id == GROUP, Member.user_id == 1)
                    .values(message_count=Member.message_count + 1)
                )  # fmt: skip

        reply = asyncio.create_task(topic_reply())
        await asyncio.sleep(0.3)  # let it wait for the member's row
        count_today(batch, GROUP, MONDAY, SHANGHAI, messages=1)
        await batch.commit()
    await asyncio.wait_for(reply, 30)
    row = await day_row(session_pool)
    assert (row.messages, row.topic_replies, row.joins) == (1, 1, 1)
