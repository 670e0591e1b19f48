"""Game commands through the production dispatcher: a number that only looks like one ("²")
gets the usage line, not the error handler; `/settings games quiz points` writes both figures
or neither."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Dispatcher
from sqlalchemy import select

from bot.app import Resources, create_dispatcher
from infrastructure.config import load_settings
from models import Chat, create_engine, create_session_pool
from services.game_rules import GameRules
from tests.support.telegram import TOKEN, group, message_update, person, recording_bot

ADMIN, MEMBER = 1, 2
CHAT = -1009


@pytest.fixture
async def app(database_url: str) -> AsyncIterator[tuple[Dispatcher, Resources]]:
    settings = load_settings(bot_token=TOKEN, database_url=database_url)
    engine = create_engine(database_url)
    services = Resources(settings, engine, create_session_pool(engine))
    yield create_dispatcher(services), services
    await services.close()


@pytest.mark.parametrize(
    "text", ["/dice ²", "/settings games cap ²", "/settings games dice max ³", "/dice ١٠"]
)
async def test_a_digit_that_is_no_number_gets_the_usage(
    app: tuple[Dispatcher, Resources], text: str
) -> None:
    dispatcher, _ = app
    bot, telegram = recording_bot()
    telegram.admins[CHAT] = [ADMIN]
    sender = ADMIN if text.startswith("/settings") else MEMBER
    await dispatcher.feed_update(bot, message_update(group(CHAT), person(sender), text))
    (reply,) = telegram.sent_texts()
    assert "/dice" in reply or "/settings games" in reply, reply


async def test_quiz_points_are_written_both_or_neither(app: tuple[Dispatcher, Resources]) -> None:
    dispatcher, services = app
    bot, telegram = recording_bot()
    telegram.admins[CHAT] = [ADMIN]
    update = message_update(group(CHAT), person(ADMIN), "/settings games quiz points 50 20000")
    await dispatcher.feed_update(bot, update)
    async with services.session_pool() as session:
        stored = await session.scalar(select(Chat.settings).where(Chat.id == CHAT))
    rules = GameRules.from_settings(stored or {})
    assert (rules.quiz_first, rules.quiz_next) == (GameRules().quiz_first, GameRules().quiz_next)
    assert len(telegram.sent_texts()) == 1  # the figure's range
