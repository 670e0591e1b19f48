"""Reports, locks and purges on a real database: a message reported once however many report
it (and however often the update comes), a member throttled at five an hour, the first admin's
button settling a report; locks turning permissions off and on without touching the others, and
a lock at night changing what the morning gives back; a purge queued once, 100 ids a call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import OutboxMessage, Report
from services.chats import ChatService
from services.clock import FrozenClock
from services.locks import LockRules, UnknownLock, change_locks, lock_names, permissions_with
from services.moderation_settings import set_night_closed
from services.purges import PurgeTooLong, queue_purge
from services.reports import REPORTS_AN_HOUR, Reported, ReportedMessage, ReportService

NOW = datetime(2026, 12, 7, 4, 0, tzinfo=UTC)
ADMINS = (1, 2, 3)  # 1 and 2 started the bot; 3 never did
SPAMMER = 77


async def started(session_pool: async_sessionmaker[AsyncSession], *user_ids: int) -> None:
    async with session_pool() as session, session.begin():
        for user_id in user_ids:
            await ChatService(session, FrozenClock(NOW), "UTC").ensure(user_id, "private", "Admin")


def spam(chat: int, message_id: int) -> ReportedMessage:
    return ReportedMessage(chat, message_id, SPAMMER, "Spammer", "加微信领红包")


async def outbox_rows(session: AsyncSession, kind: str) -> list[OutboxMessage]:
    return list(await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)))


async def test_a_message_is_told_to_the_admins_once_however_many_report_it(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    await started(session_pool, 1, 2)
    clock = FrozenClock(NOW)
    outcomes = []
    for reporter in (10, 11, 11, 12):  # 11 twice: a redelivered update, or a second /report
        async with session_pool() as session, session.begin():
            outcomes.append(
                await ReportService(session, clock).report(spam(chat, 5), reporter, ADMINS)
            )
    assert [(o.outcome, o.reporters) for o in outcomes] == [
        (Reported.NEW, 1), (Reported.ADDED, 2), (Reported.AGAIN, 2), (Reported.ADDED, 3),
    ]  # fmt: skip
    assert outcomes[0].told == 2
    async with session_pool() as session:
        notices = await outbox_rows(session, "report")
    assert sorted(row.chat_id for row in notices) == [1, 2]  # each admin who started the bot


async def test_a_crash_before_the_commit_tells_nobody_and_counts_nothing(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    await started(session_pool, 1)
    clock = FrozenClock(NOW)
    async with session_pool() as session:
        await session.begin()
        await ReportService(session, clock).report(spam(chat, 6), 10, ADMINS)
        await session.rollback()  # the process died before the update's commit
    async with session_pool() as session, session.begin():
        again = await ReportService(session, clock).report(spam(chat, 6), 10, ADMINS)
    assert (again.outcome, again.reporters, again.told) == (Reported.NEW, 1, 1)
    async with session_pool() as session:
        assert len(await outbox_rows(session, "report")) == 1


async def test_a_member_is_throttled_past_five_reports_an_hour(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    seen = []
    for message_id in range(100, 100 + REPORTS_AN_HOUR + 1):
        async with session_pool() as session, session.begin():
            outcome = await ReportService(session, clock).report(spam(chat, message_id), 10, ())
            seen.append(outcome.outcome)
    assert seen == [Reported.NEW] * REPORTS_AN_HOUR + [Reported.THROTTLED]
    clock.set(NOW + timedelta(hours=1, seconds=1))
    async with session_pool() as session, session.begin():
        later = await ReportService(session, clock).report(spam(chat, 200), 10, ())
    assert later.outcome is Reported.NEW


async def test_the_first_admins_button_settles_a_report_once(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        service = ReportService(session, clock)
        await service.report(spam(chat, 7), 10, ())
        report_id = await session.scalar(select(Report.id).where(Report.message_id == 7))
        assert report_id is not None
        first = await service.settle(report_id, 1, "deleted")
        second = await service.settle(report_id, 2, "banned")
    assert first is not None
    assert (first.state, first.handled_by) == ("deleted", 1)
    assert second is None


def test_lock_names_read_english_and_chinese_once_each() -> None:
    assert lock_names(["gifs", "贴纸，链接", "STICKERS"]) == ["stickers", "links"]
    with pytest.raises(UnknownLock, match="emoji"):
        lock_names(["emoji"])


def test_a_lock_turns_only_its_permissions_off_and_an_unlock_only_those_on() -> None:
    admin_set = {"can_send_messages": True, "can_send_polls": True,
                 "can_send_other_messages": True, "can_invite_users": False}  # fmt: skip
    locked = permissions_with(admin_set, frozenset(), frozenset({"stickers", "polls"}))
    assert locked == {**admin_set, "can_send_other_messages": False, "can_send_polls": False}
    unlocked = permissions_with(locked, frozenset({"stickers", "polls"}), frozenset({"polls"}))
    assert unlocked == {**admin_set, "can_send_polls": False}  # invite stays as the admin set it


async def test_a_lock_during_the_night_changes_what_the_morning_gives_back(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    evening = {"can_send_messages": True, "can_send_polls": True, "can_send_other_messages": True}
    async with session_pool() as session, session.begin():
        await set_night_closed(session, chat, True, evening)
        change = await change_locks(session, chat, ["polls"], lock=True)
    assert change.night_closed
    async with session_pool() as session, session.begin():
        morning = await set_night_closed(session, chat, False)
        profile = await ChatService(session, FrozenClock(NOW), "UTC").profile(chat)
    assert morning == {**evening, "can_send_polls": False}
    assert profile is not None
    assert profile.rules(LockRules).listed == ["polls"]


async def test_a_purge_is_queued_once_a_hundred_ids_a_call_a_second_apart(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    for _delivery in range(2):  # the same /purge delivered twice
        async with session_pool() as session, session.begin():
            count = await queue_purge(session, clock, chat, 1001, 1250, NOW - timedelta(hours=1))
    assert count == 250
    async with session_pool() as session:
        rows = sorted(await outbox_rows(session, "delete"), key=lambda row: row.due_at)
    assert [len(row.payload["message_ids"]) for row in rows] == [100, 100, 50]
    assert [row.payload["at_once"] for row in rows] == [True] * 3
    assert [row.due_at - NOW for row in rows] == [timedelta(seconds=s) for s in (0, 1, 2)]
    async with session_pool() as session, session.begin():
        with pytest.raises(PurgeTooLong, match="many"):
            await queue_purge(session, clock, chat, 1, 1002, NOW)
        with pytest.raises(PurgeTooLong, match="old"):
            await queue_purge(session, clock, chat, 1, 10, NOW - timedelta(hours=49))
    async with session_pool() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 3
