"""The production Dispatcher with a real database; only Telegram is a recording double."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from aiogram import Dispatcher, F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message, Update, User
from aiogram.types import Chat as TgChat
from sqlalchemy import func, select

from bot.app import Resources, create_dispatcher
from infrastructure.config import load_settings
from models import Chat, Checkin, Member, create_engine, create_session_pool
from services.chats import ChatService
from services.checkins import CheckinService
from services.draws import DrawService
from services.factory import SERVICE_NAMES, UpdateServices
from tests.support.telegram import (
    TOKEN,
    RecordingSession,
    group,
    message_update,
    person,
    recording_bot,
)

OWNER = 7


@pytest.fixture
async def app(database_url: str) -> AsyncIterator[tuple[Dispatcher, Resources]]:
    settings = load_settings(bot_token=TOKEN, database_url=database_url, owner_ids=str(OWNER))
    engine = create_engine(database_url)
    services = Resources(settings, engine, create_session_pool(engine))
    dispatcher = create_dispatcher(services)

    failing = Router(name="failing")

    @failing.message(Command("explode"))
    async def explode(message: Message, chats: ChatService) -> None:
        await chats.set_language(message.chat.id, "en")
        raise RuntimeError("boom")

    @failing.message(F.text == "kaboom")
    async def explode_quietly(message: Message) -> None:
        raise RuntimeError("boom")

    dispatcher.include_router(failing)
    yield dispatcher, services
    await services.close()


async def chat_row(services: Resources, chat_id: int) -> Chat | None:
    async with services.session_pool() as session:
        return await session.get(Chat, chat_id)


async def test_a_failing_handler_rolls_its_writes_back_and_apologises(app) -> None:
    dispatcher, services = app
    bot, telegram = recording_bot()
    chat, alice = group(), person(1, "en")
    await dispatcher.feed_update(bot, message_update(chat, alice, "/start"))
    await dispatcher.feed_update(bot, message_update(chat, alice, "/explode"))
    row = await chat_row(services, chat.id)
    assert row is not None
    assert row.language is None
    assert telegram.sent_texts()[-1] == "Sorry, something went wrong. Please try again later."


async def test_plain_messages_are_counted_and_paid_once(app) -> None:
    dispatcher, services = app
    bot, telegram = recording_bot()
    chat, alice = group(), person(1, "en")
    first = message_update(chat, alice, "love the new colours")
    await dispatcher.feed_update(bot, first)
    await dispatcher.feed_update(bot, first)  # delivered again
    await dispatcher.feed_update(bot, message_update(chat, alice, "/help"))
    await dispatcher.feed_update(bot, message_update(chat, alice, "ok"))
    anonymous = message_update(chat, person(1087968824, None, "Group"), "from the admins",
                               sender_chat=chat)  # fmt: skip
    await dispatcher.feed_update(bot, anonymous)
    await services.tally.flush()
    async with services.session_pool() as session:
        member = await session.get(Member, (chat.id, alice.id))
        nobody = await session.get(Member, (chat.id, 1087968824))
    assert member is not None
    assert (member.points, member.message_count) == (1, 2)  # the repeat and /help not counted
    assert nobody is None or nobody.points == 0
    assert "Sorry" not in " ".join(telegram.sent_texts())


async def test_a_failure_on_plain_chatter_is_logged_without_a_reply(app, caplog) -> None:
    dispatcher, _ = app
    bot, telegram = recording_bot()
    await dispatcher.feed_update(bot, message_update(group(), person(1), "kaboom"))
    assert telegram.sent_texts() == []
    assert "failed: RuntimeError" in caplog.text


async def test_a_successful_update_commits_chat_and_member(app) -> None:
    dispatcher, services = app
    bot, telegram = recording_bot()
    telegram.admins[-1001] = [1]
    chat, alice = group(), person(1, "en")
    await dispatcher.feed_update(bot, message_update(chat, alice, "/settings language zh"))
    row = await chat_row(services, chat.id)
    assert row is not None
    assert row.language == "zh"
    async with services.session_pool() as session:
        member = await session.scalar(select(Member).where(Member.user_id == 1))
    assert member is not None
    assert member.display_name == "Alice"
    assert member.last_seen_at is not None


async def test_a_handler_gets_only_the_services_it_declares_sharing_one_ledger(app) -> None:
    dispatcher, _services = app
    handed: list[tuple[CheckinService, DrawService, UpdateServices]] = []
    probe = Router(name="probe")

    @probe.message(Command("probe"))
    async def take_two(
        message: Message, checkins: CheckinService, draws: DrawService,
        update_services: UpdateServices,
    ) -> None:  # fmt: skip
        handed.append((checkins, draws, update_services))

    dispatcher.include_router(probe)
    bot, _telegram = recording_bot()
    await dispatcher.feed_update(bot, message_update(group(), person(1, "en"), "/probe"))
    [(checkins, draws, update_services)] = handed
    assert checkins.points is draws.points  # one ledger for the update
    built = set(update_services.built)
    assert built <= set(SERVICE_NAMES)
    assert built <= {"checkins", "draws", "points", "chats", "moderation", "topics"}
    assert not built & {"shop", "orders", "bindings", "pushes", "posts", "campaigns"}


async def test_a_press_answered_too_late_is_no_error(
    app: tuple[Dispatcher, Resources], caplog: pytest.LogCaptureFixture
) -> None:
    """Telegram refuses an answer to a press older than ~15 s (a redelivered update, a slow
    turn): nothing to apologise for, and no error in the log."""
    dispatcher, _resources = app
    bot, telegram = recording_bot()
    telegram.stale_queries = True
    window = Message(message_id=1, date=datetime.now(UTC), chat=group(), text="")
    press = CallbackQuery(
        id="1", from_user=person(2), chat_instance="1", message=window, data="nothing:here"
    )
    with caplog.at_level(logging.INFO, logger="handlers.errors"):
        await dispatcher.feed_update(bot, Update(update_id=900, callback_query=press.as_(bot)))
    assert [r.levelno for r in caplog.records] == [logging.INFO]
    assert "query is too old" in caplog.records[0].getMessage()
    answers = [m for m in telegram.requests if m.__api_method__ == "answerCallbackQuery"]
    assert len(answers) == 1  # the refusal's answer only: no apology tried after it


@pytest.mark.parametrize(
    ("sender", "anonymous", "allowed"),
    [
        (person(1), False, True),  # the group's creator
        (person(2), False, True),  # an administrator
        (person(OWNER), False, True),  # in OWNER_IDS, not an admin here
        (person(3), False, False),  # a member
        (None, True, True),  # anonymous admin: sender_chat is the group
    ],
)
async def test_who_counts_as_an_admin(app, sender, anonymous: bool, allowed: bool) -> None:
    dispatcher, _ = app
    bot, telegram = recording_bot()
    chat = group(-1002)
    telegram.admins[chat.id] = [1, 2]
    extra = {"sender_chat": chat} if anonymous else {}
    from_user = sender if sender is not None else person(1087968824, None, "Group")
    await dispatcher.feed_update(bot, message_update(chat, from_user, "/settings", **extra))
    reply = telegram.sent_texts()[-1]
    refused = reply.startswith("Sorry, only the group's admins")
    assert refused is not allowed


async def test_a_linked_channel_is_not_an_anonymous_admin(app) -> None:
    dispatcher, _ = app
    bot, telegram = recording_bot()
    chat = group(-1003)
    telegram.admins[chat.id] = [1]
    channel = TgChat(id=-100777, type="channel", title="Brand channel")
    await dispatcher.feed_update(
        bot,
        message_update(chat, person(136817688, None, "Channel"), "/settings", sender_chat=channel),
    )
    assert telegram.sent_texts()[-1] == "抱歉，只有本群管理员可以使用这个命令。"  # no language: zh


async def test_admin_list_is_cached_and_refreshed_on_chat_member_updates(app) -> None:
    dispatcher, _ = app
    bot, telegram = recording_bot()
    chat = group(-1004)
    telegram.admins[chat.id] = [1]
    for _ in range(3):
        await dispatcher.feed_update(bot, message_update(chat, person(1), "/settings"))
    calls = [m for m in telegram.requests if m.__api_method__ == "getChatAdministrators"]
    assert len(calls) == 1


@pytest.mark.parametrize(
    ("user_language", "chat_language", "expected"),
    [
        ("en", None, "Hello"),
        ("zh-hans", None, "你好"),
        (None, None, "你好"),
        ("en", "zh", "你好"),
        ("zh", "en", "Hello"),
    ],
)
async def test_reply_language(app, user_language, chat_language, expected: str) -> None:
    dispatcher, services = app
    bot, telegram = recording_bot()
    chat = group(-1005)
    if chat_language:
        async with services.session_pool() as session:
            chats = ChatService(session, services.clock, "Asia/Shanghai")
            await chats.ensure(chat.id, "supergroup", "Fans")
            await chats.set_language(chat.id, chat_language)
            await session.commit()
    await dispatcher.feed_update(bot, message_update(chat, person(5, user_language), "/start"))
    assert expected in telegram.sent_texts()[-1]


async def test_command_flood_gets_one_polite_answer(app) -> None:
    dispatcher, _ = app
    bot, telegram = recording_bot()
    chat, spammer = group(-1006), person(9, "en")
    for _ in range(9):
        await dispatcher.feed_update(bot, message_update(chat, spammer, "/start"))
    texts = telegram.sent_texts()
    assert len(texts) == 6
    assert texts[-1] == "You're sending commands too fast. Please wait a few seconds."


async def test_admins_setting_a_group_up_are_not_slowed(app) -> None:
    dispatcher, _ = app
    bot, telegram = recording_bot()
    chat, admin = group(-1007), person(1, "en")
    telegram.admins[chat.id] = [1]
    for _ in range(9):
        await dispatcher.feed_update(bot, message_update(chat, admin, "/start"))
    assert len(telegram.sent_texts()) == 9
    assert "too fast" not in " ".join(telegram.sent_texts())


def test_session_double_records_requests() -> None:
    assert isinstance(recording_bot()[1], RecordingSession)


async def test_an_anonymous_admin_is_not_signed_in(app) -> None:
    dispatcher, services = app
    bot, telegram = recording_bot()
    chat = group(-1005)
    anonymous = User(id=1087968824, is_bot=True, first_name="Group", username="GroupAnonymousBot")
    await dispatcher.feed_update(bot, message_update(chat, anonymous, "签到", sender_chat=chat))
    assert telegram.sent_texts() == []  # the word is only a message from the admins
    await dispatcher.feed_update(bot, message_update(chat, anonymous, "/checkin", sender_chat=chat))
    assert telegram.sent_texts() == ["匿名管理员无法签到，请以本人身份发送。"]  # no language: zh
    async with services.session_pool() as session:
        assert await session.scalar(select(func.count()).select_from(Checkin)) == 0
