"""The dispatcher's lane for plain chatter (`bot/dispatcher.py`): what it takes, what it leaves
to aiogram's handlers, and that it counts exactly as the long way does. A real database; only
Telegram is a recording double."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import F, Router
from aiogram.types import Message, MessageEntity

from bot.app import Resources, create_dispatcher
from bot.dispatcher import FanbotDispatcher
from infrastructure.config import load_settings
from models import Member, create_engine, create_session_pool
from tests.support.telegram import TOKEN, group, message_update, person, recording_bot


@pytest.fixture
async def app(database_url: str) -> AsyncIterator[tuple[FanbotDispatcher, Resources]]:
    settings = load_settings(bot_token=TOKEN, database_url=database_url)
    engine = create_engine(database_url)
    services = Resources(settings, engine, create_session_pool(engine))
    dispatcher = create_dispatcher(services)
    assert isinstance(dispatcher, FanbotDispatcher)
    yield dispatcher, services
    await services.close()


async def test_plain_chatter_takes_the_lane_and_is_counted_and_paid(app) -> None:
    dispatcher, services = app
    bot, telegram = recording_bot()
    chat, alice, bob = group(), person(1), person(2, name="Bob")
    first = message_update(chat, alice, "love the new colours")
    assert dispatcher.chatter(first) is None  # the chat is new: the long way, which learns it
    await dispatcher.feed_update(bot, first)
    later = message_update(chat, alice, "and the new logo too")
    assert dispatcher.chatter(later) is not None
    await dispatcher.feed_update(bot, later)
    await dispatcher.feed_update(bot, later)  # delivered again: counted once
    assert dispatcher.chatter(message_update(chat, bob, "me too, me too")) is None  # not seen yet
    await dispatcher.feed_update(bot, message_update(chat, bob, "me too, me too"))
    await dispatcher.feed_update(bot, message_update(chat, bob, "really, me too!"))
    await services.tally.flush()
    async with services.session_pool() as session:
        mine = await session.get(Member, (chat.id, alice.id))
        his = await session.get(Member, (chat.id, bob.id))
    assert mine is not None
    assert his is not None
    # The first message of each pays (a point, then the cooldown); every one is counted.
    assert (mine.points, mine.message_count) == (1, 2)
    assert (his.points, his.message_count) == (1, 2)
    assert telegram.sent_texts() == []


@pytest.mark.parametrize(
    ("text", "extra"),
    [
        ("/help", {}),
        ("签到", {}),  # a sign-in word
        ("is the sale on today?", {}),  # a question the FAQ may answer
        ("ask @fanbot about it", {}),
        ("see https://spam.example/win", {"entities": [MessageEntity(type="url", offset=4,
                                                                      length=24)]}),
        ("", {"new_chat_members": [person(9, name="Zed")]}),  # a service message
    ],
)  # fmt: skip
async def test_the_lane_leaves_to_the_handlers_what_may_be_theirs(app, text, extra) -> None:
    dispatcher, _ = app
    bot, _telegram = recording_bot()
    chat, alice = group(), person(1)
    await dispatcher.feed_update(bot, message_update(chat, alice, "hello everyone"))
    assert dispatcher.chatter(message_update(chat, alice, "all good here")) is not None
    assert dispatcher.chatter(message_update(chat, alice, text, **extra)) is None


async def test_a_reply_is_left_to_the_handlers(app) -> None:
    dispatcher, _ = app
    bot, _telegram = recording_bot()
    chat, alice = group(), person(1)
    opening = message_update(chat, alice, "hello everyone")
    await dispatcher.feed_update(bot, opening)
    reply = message_update(chat, alice, "me again", reply_to_message=opening.message)
    assert dispatcher.chatter(reply) is None


async def test_a_router_that_reads_plain_messages_closes_the_lane(app) -> None:
    dispatcher, services = app
    bot, _telegram = recording_bot()
    heard: list[str] = []
    listening = Router(name="listening")

    @listening.message(F.text)
    async def listen(message: Message) -> None:
        heard.append(message.text or "")

    dispatcher.include_router(listening)
    chat, alice = group(), person(1)
    await dispatcher.feed_update(bot, message_update(chat, alice, "hello everyone"))
    await dispatcher.feed_update(bot, message_update(chat, alice, "all good here"))
    assert heard == ["hello everyone", "all good here"]  # nothing counted past the handler
    await services.tally.flush()
    async with services.session_pool() as session:
        mine = await session.get(Member, (chat.id, alice.id))
    assert mine is not None
    assert mine.message_count == 2
