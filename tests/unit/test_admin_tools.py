"""Reports, locks and purges on a real database: a message reported once however many report
it (and however often the update comes), a member throttled at five an hour, the first admin's
button settling a report; locks turning permissions off and on without touching the others, and
a lock at night changing what the morning gives back; a purge queued once, 100 ids a call, and
a batch Telegram refuses as a whole deleted one by one, each deletable message once, a 429
half-way included; in a forum topic, a command that is no reply has nothing to act on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import Chat, ForumTopicCreated, Message, User
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infrastructure.background import Background
from infrastructure.filters import addressed
from infrastructure.i18n import create_i18n
from infrastructure.replies import replied_message, replied_sender
from models import OutboxMessage, Report
from services.chats import ChatService
from services.clock import FrozenClock
from services.factory import ServiceFactory
from services.locks import LockRules, UnknownLock, change_locks, lock_names, permissions_with
from services.moderation_settings import set_night_closed
from services.purges import PurgeTooLong, queue_purge
from services.reports import REPORTS_AN_HOUR, Reported, ReportedMessage, ReportService
from tests.support.telegram import TOKEN, RecordingSession
from workflows.outbox import OutboxSender
from workflows.rights import RightsNotices

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


class Telegram(RecordingSession):
    """Deletes as Telegram does: a deleteMessages call holding a message that can't be deleted
    (a topic's opening message) is refused whole; ids gone already are skipped by it and
    "not found" one by one; `busy_at` answers deleteMessage of that id with a 429, once."""

    def __init__(self, undeletable: set[int]) -> None:
        super().__init__()
        self.undeletable = undeletable
        self.gone: list[int] = []  # in the order deleted
        self.busy_at: int | None = None

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        name = method.__api_method__
        if name == "deleteMessages":
            ids: list[int] = method.message_ids  # type: ignore[attr-defined]
            self.requests.append(method)
            if self.undeletable & set(ids):
                raise TelegramBadRequest(method, "Bad Request: message can't be deleted")
            self.gone += [i for i in ids if i not in self.gone]
            return True  # type: ignore[return-value]
        if name == "deleteMessage":
            message_id: int = method.message_id  # type: ignore[attr-defined]
            self.requests.append(method)
            if message_id == self.busy_at:
                self.busy_at = None
                raise TelegramRetryAfter(method, "Too Many Requests: retry after 3", 3)
            if message_id in self.undeletable:
                raise TelegramBadRequest(method, "Bad Request: message can't be deleted")
            if message_id in self.gone:
                raise TelegramBadRequest(method, "Bad Request: message to delete not found")
            self.gone.append(message_id)
            return True  # type: ignore[return-value]
        return await super().make_request(bot, method, timeout)

    def calls(self) -> list[tuple[str, Any]]:
        return [
            (m.__api_method__, getattr(m, "message_ids", None) or getattr(m, "message_id", None))
            for m in self.requests
            if m.__api_method__.startswith("delete")
        ]


async def purge_rows(pool: async_sessionmaker[AsyncSession]) -> list[str]:
    async with pool() as session:
        rows = await outbox_rows(session, "delete")
        return sorted(row.status for row in rows)


def outbox_sender(pool: async_sessionmaker[AsyncSession], clock: FrozenClock) -> OutboxSender:
    background = Background(pool, ServiceFactory(clock, "UTC"), create_i18n("en"))
    return OutboxSender(background, RightsNotices(background), {})


async def test_a_purge_batch_telegram_refuses_whole_is_deleted_one_by_one_but_the_topic(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        await queue_purge(session, clock, chat, 40, 45, NOW - timedelta(minutes=5))
    telegram = Telegram(undeletable={42})  # 42 opened a forum topic: it can't be deleted
    bot = Bot(TOKEN, session=telegram)
    assert await outbox_sender(session_pool, clock).send_due(bot) == 1
    assert telegram.calls() == [
        ("deleteMessages", [40, 41, 42, 43, 44, 45]),
        *[("deleteMessage", message_id) for message_id in (40, 41, 42, 43, 44, 45)],
    ]
    assert telegram.gone == [40, 41, 43, 44, 45]  # all but the topic's opening message
    assert await purge_rows(session_pool) == ["sent"]


async def test_a_429_half_way_through_one_by_one_deletes_the_rest_later_each_once(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        await queue_purge(session, clock, chat, 40, 45, NOW - timedelta(minutes=5))
    telegram = Telegram(undeletable={42})
    bot = Bot(TOKEN, session=telegram)
    telegram.busy_at = 44  # a 429 that outlasted the pacing layer's retries
    sender = outbox_sender(session_pool, clock)
    assert await sender.send_due(bot) == 0
    assert telegram.gone == [40, 41, 43]
    assert await purge_rows(session_pool) == ["pending"]  # back, for its retry_after
    clock.set(NOW + timedelta(seconds=3))
    assert await sender.send_due(bot) == 1
    assert telegram.gone == [40, 41, 43, 44, 45]  # each once; none left
    assert await purge_rows(session_pool) == ["sent"]


def topic_message(text: str, replying_to: Message | None, thread: int | None = 70) -> Message:
    chat = Chat(id=-100123, type="supergroup", is_forum=True)
    return Message(
        message_id=90, date=NOW, chat=chat, from_user=User(id=5, is_bot=False, first_name="Ada"),
        text=text, reply_to_message=replying_to, message_thread_id=thread,
        is_topic_message=True if thread else None,
    )  # fmt: skip


def test_in_a_forum_topic_only_a_real_reply_is_a_reply() -> None:
    opener = User(id=6, is_bot=False, first_name="Ben")
    chat = Chat(id=-100123, type="supergroup", is_forum=True)
    opening = Message(
        message_id=70, date=NOW, chat=chat, from_user=opener, message_thread_id=70,
        forum_topic_created=ForumTopicCreated(name="Tea", icon_color=7322096),
    )  # fmt: skip
    bare = opening.model_copy(update={"forum_topic_created": None})  # as some servers send it
    answered = Message(message_id=80, date=NOW, chat=chat, from_user=opener, text="hi",
                       message_thread_id=70, is_topic_message=True)  # fmt: skip
    assert replied_message(topic_message("/purge", opening)) is None
    assert replied_message(topic_message("/report", bare)) is None
    assert replied_sender(topic_message("/warn", opening)) is None
    assert replied_message(topic_message("/purge", answered)) == answered
    assert replied_sender(topic_message("/warn", answered)) == opener
    assert replied_message(topic_message("/del", None)) is None
    assert not addressed(topic_message("nice tea", opening))  # chatter, for the chatter lane
    assert addressed(topic_message("nice tea", answered))
    # In an ordinary group a reply's thread is the message it answers: still a reply.
    plain = answered.model_copy(update={"message_id": 70, "is_topic_message": None})
    assert replied_message(topic_message("/del", plain, thread=None)) == plain
