"""A private /start through the production Dispatcher answers by who sends it: a member sees
their groups (and the Mini App, with an https WEB_URL), an admin the set-up, anyone else what
fanbot is (issue 34)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Dispatcher
from aiogram.methods import SendMessage
from aiogram.types import Chat

from bot.app import Resources, create_dispatcher
from infrastructure.config import load_settings
from models import create_engine, create_session_pool
from tests.support.telegram import (
    TOKEN,
    RecordingSession,
    group,
    message_update,
    person,
    recording_bot,
)

OWNER = 7  # in OWNER_IDS: the bot's operator, not any group's admin here
ADMIN, FAN, STRANGER = 21, 22, 23


@pytest.fixture
async def dispatcher(database_url: str) -> AsyncIterator[Dispatcher]:
    settings = load_settings(
        bot_token=TOKEN, database_url=database_url, owner_ids=str(OWNER),
        web_url="https://fans.example",
    )  # fmt: skip
    engine = create_engine(database_url)
    resources = Resources(settings, engine, create_session_pool(engine))
    yield create_dispatcher(resources)
    await resources.close()


def private(user_id: int) -> Chat:
    return Chat(id=user_id, type="private")


def last_private(telegram: RecordingSession, user_id: int) -> SendMessage:
    sent = [m for m in telegram.requests if isinstance(m, SendMessage) and m.chat_id == user_id]
    return sent[-1]


async def test_a_private_start_fits_who_sends_it(dispatcher: Dispatcher) -> None:
    bot, telegram = recording_bot()
    fans = group(title="Tea Fans")
    telegram.admins[fans.id] = [ADMIN]
    for user_id in (ADMIN, FAN):  # the bot knows them from the group
        await dispatcher.feed_update(bot, message_update(fans, person(user_id), "hello all"))
    for user_id in (ADMIN, FAN, STRANGER):
        await dispatcher.feed_update(
            bot, message_update(private(user_id), person(user_id), "/start")
        )

    admin = last_private(telegram, ADMIN)
    assert admin.text.startswith("👋 Hi Alice! You run <b>Tea Fans</b> with me.")
    assert "/console" in admin.text
    assert "1. ✅ I'm an admin there with the rights I need." in admin.text  # step 1 done

    telegram.bot_rights = {"can_invite_users": False}  # a right taken away since
    await dispatcher.feed_update(bot, message_update(private(ADMIN), person(ADMIN), "/start"))
    assert "1. Make me an admin there" in last_private(telegram, ADMIN).text

    member = last_private(telegram, FAN)
    assert member.text.splitlines()[:2] == [
        "👋 Hi Alice! Your groups:",
        "📍 <b>Tea Fans</b>: 1 point · Member",
    ]
    (button,) = [b for row in member.reply_markup.inline_keyboard for b in row]  # type: ignore[union-attr]
    assert button.web_app is not None
    assert button.web_app.url == "https://fans.example/app"

    stranger = last_private(telegram, STRANGER)
    assert "Add me to your group" in stranger.text
    (add,) = [b for row in stranger.reply_markup.inline_keyboard for b in row]  # type: ignore[union-attr]
    assert add.url == "https://t.me/fanbot_test_bot?startgroup=true"
