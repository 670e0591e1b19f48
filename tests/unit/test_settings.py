"""/settings through the production Dispatcher: each feature's section takes its own words,
and what it saves is what /settings shows."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Dispatcher

from bot.app import Resources, create_dispatcher
from handlers.settings import SECTIONS
from infrastructure.config import load_settings
from infrastructure.settings_sections import section_named
from models import create_engine, create_session_pool
from tests.support.telegram import TOKEN, group, message_update, person, recording_bot

OWNER = 7


@pytest.fixture
async def dispatcher(database_url: str) -> AsyncIterator[Dispatcher]:
    settings = load_settings(bot_token=TOKEN, database_url=database_url, owner_ids=str(OWNER))
    engine = create_engine(database_url)
    services = Resources(settings, engine, create_session_pool(engine))
    yield create_dispatcher(services)
    await services.close()


def test_a_phrase_names_its_section_over_its_first_word() -> None:
    def words_of(text: str) -> tuple[str, ...] | None:
        section = section_named(SECTIONS, text.split())
        return section.words if section else None

    assert words_of("points purchase 2") == ("orders", "tiers", "points purchase")
    assert words_of("points message 2") == ("points",)
    assert words_of("Points purchase 2") == ("points",)  # a phrase is matched as typed
    assert words_of("FLOOD on") == words_of("moderation")
    assert words_of("timezone Europe/Paris") is None  # the group's own: the /settings handler


async def test_each_section_saves_its_change_and_settings_shows_it(dispatcher) -> None:
    bot, telegram = recording_bot()
    chat, owner = group(), person(OWNER, "en")
    changes = {
        "/settings points purchase 2": "✅ Orders now earn 2 points per yuan paid.",
        "/settings points message 5": "✅ Points setting message is now 5.",
        "/settings referral 50": (
            "✅ A friend who joins through a member's link now earns them 50 points."
        ),
        "/settings orders return_days 3": "✅ Purchase points now count 3 days after payment.",
        "/settings cadence digest off": "✅ The evening digest is off.",
        "/settings daily_topic on": (
            "✅ The morning post now opens the next queued topic (see /topic queue)."
        ),
        "/settings checkin base 99999": "base must be between 0 and 10000.",
    }
    for command in changes:
        await dispatcher.feed_update(bot, message_update(chat, owner, command))
    assert telegram.sent_texts() == list(changes.values())
    await dispatcher.feed_update(bot, message_update(chat, owner, "/settings"))
    shown = telegram.sent_texts()[-1].splitlines()
    assert shown[3:10] == [
        "Message points: 5 per message, at most one every 60 s, up to 30 a day",
        "Sign-in: 5 points, +1 a day up to +7, milestones 7:20, 30:100, 100:500; "
        "words: 签到, 打卡, checkin; make-up 20 points, 3 days back, 2 a month",
        "Quiet sign-ins (messages deleted after a minute): automatic (over 200 members)",
        "Referral reward: 50 points per friend who stays a day and talks",
        "Daily posts: morning 09:00, sign-in reminder 20:00, digest off",
        "Daily topic from the queue: on",
        "Orders: 2 points per yuan, counted 3 days after payment; tiers by lifetime points",
    ]
