"""/settings through the production Dispatcher: each feature's section takes its own words,
and what it saves is what /settings shows."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from aiogram import Dispatcher
from aiogram.methods import EditMessageText
from aiogram.types import CallbackQuery, Chat, Message, Update, User

from bot.app import Resources, create_dispatcher
from handlers.settings import SECTIONS
from infrastructure.config import load_settings
from infrastructure.settings_sections import section_named
from models import create_engine, create_session_pool
from tests.support.telegram import (
    TOKEN,
    RecordingSession,
    group,
    message_update,
    person,
    recording_bot,
)
from views.settings import SettingsButton

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
    assert words_of("points expire 365d") == ("points expire",)
    assert words_of("Points purchase 2") == ("points",)  # a phrase is matched as typed
    assert words_of("FLOOD on") == words_of("moderation")
    assert words_of("timezone Europe/Paris") == ("timezone", "language")  # the group's own


async def test_each_section_saves_its_change_and_settings_shows_it(dispatcher) -> None:
    bot, telegram = recording_bot()
    chat, owner = group(), person(OWNER, "en")
    changes = {
        "/settings points purchase 2": "✅ Orders now earn 2 points per yuan paid.",
        "/settings points message 5": "✅ Points setting <code>message</code> is now 5.",
        "/settings points expire 365d": (
            "✅ Points now expire 365 days after they are earned, oldest first; members are "
            "warned privately 30 and 7 days before."
        ),
        "/settings points expire 5d": "<code>expire</code> must be between 30 and 3,650.",
        "/settings referral 50": (
            "✅ A friend who joins through a member's link now earns them 50 points."
        ),
        "/settings boosts 30": (
            "✅ A member's boost now earns 30 points (taken back if the boost is removed)."
        ),
        "/settings reactions 2 cap=5": (
            "✅ A reaction from another member now earns a message's author 2 points, up to 5 "
            "reactions a day."
        ),
        "/settings orders return_days 3": "✅ Purchase points now count 3 days after payment.",
        "/settings cadence digest off": "✅ The evening digest is off.",
        "/settings daily_topic on": (
            "✅ The morning post now opens the next queued topic (see /topic queue)."
        ),
        "/settings checkin base 99999": "<code>base</code> must be between 0 and 10,000.",
        "/settings tags on": (
            "✅ The tag beside each member's name now shows their tier (every tier but the "
            "first, which everyone holds).\n• I can't set members' tags, so tiers don't show "
            "beside their names. Give me the “Manage tags” right."
        ),
    }
    for command in changes:
        await dispatcher.feed_update(bot, message_update(chat, owner, command))
    assert telegram.sent_texts() == list(changes.values())
    await dispatcher.feed_update(bot, message_update(chat, owner, "/settings"))
    shown = telegram.sent_texts()[-1].splitlines()
    assert shown[3:14] == [
        "Message points: 5 per message, at most one every 60 s, up to 30 a day",
        "Points expire 365 days after they are earned, oldest first",
        "Sign-in: 5 points, +1 a day up to +7; make-up 20 points",
        "Referral reward: 50 points per friend who stays a day and talks",
        "Boosts: 30 points for each member's boost, taken back if it is removed",
        "Reactions: 2 points to the author for each member's reaction, up to 5 reactions a day",
        "Daily posts: morning 09:00, sign-in reminder 20:00, digest off",
        "Daily topic from the queue: on",
        "Orders: 2 points per yuan, counted 3 days after payment; tiers by lifetime points",
        "Tiers as tags beside names: on",
        "Moderation: join verification off · anti-flood off · 0 word filters",
    ]


def press(chat: Chat, user: User, window: Message, data: str) -> Update:
    query = CallbackQuery(
        id=str(next(_presses)), from_user=user, chat_instance="1", message=window, data=data
    )
    return Update(update_id=next(_presses), callback_query=query)


_presses = itertools.count(50_000)


def answers(telegram: RecordingSession) -> list[str | None]:
    return [m.text for m in telegram.requests if m.__api_method__ == "answerCallbackQuery"]  # type: ignore[attr-defined]


def edits(telegram: RecordingSession) -> list[EditMessageText]:
    return [m for m in telegram.requests if isinstance(m, EditMessageText)]


@pytest.mark.parametrize("language", ["en", "zh"])
async def test_a_bare_settings_is_an_overview_with_a_button_per_section(
    dispatcher: Dispatcher, language: str
) -> None:
    bot, telegram = recording_bot()
    chat, owner = group(title="Fans"), person(OWNER, language)
    await dispatcher.feed_update(bot, message_update(chat, owner, "/settings"))
    (sent,) = [m for m in telegram.requests if m.__api_method__ == "sendMessage"]
    lines = sent.text.splitlines()  # type: ignore[attr-defined]
    assert len(lines) <= len(SECTIONS) + 4  # a heading, a line a section, no usage wall
    assert "|" not in sent.text  # type: ignore[attr-defined]
    keyboard = sent.reply_markup.inline_keyboard  # type: ignore[attr-defined]
    titles = [button.text for row in keyboard for button in row]
    assert len(titles) == len(SECTIONS)
    expected = {"en": "Sign-in", "zh": "签到"}[language]
    assert expected in titles


async def test_a_section_button_opens_its_page_and_back_returns(dispatcher: Dispatcher) -> None:
    bot, telegram = recording_bot()
    chat, owner = group(title="Fans"), person(OWNER, "zh")
    await dispatcher.feed_update(bot, message_update(chat, owner, "/settings"))
    (sent,) = [m for m in telegram.requests if m.__api_method__ == "sendMessage"]
    window = Message(message_id=1000, date=datetime.now(UTC), chat=chat, text=sent.text)  # type: ignore[attr-defined]
    buttons = {b.text: b.callback_data for row in sent.reply_markup.inline_keyboard for b in row}  # type: ignore[attr-defined]
    await dispatcher.feed_update(bot, press(chat, owner, window, buttons["群管理"]))
    (page,) = edits(telegram)
    text = page.text or ""
    assert text.splitlines()[0] == "<b>Fans · 群管理</b>"
    assert "入群验证：已关闭" in text
    assert "修改方法：" in text
    assert "<code>/settings log_channel &lt;频道 ID&gt;|off</code>" in text
    (back,) = [b for row in page.reply_markup.inline_keyboard for b in row]  # type: ignore[union-attr]
    assert back.text == "⬅️ 全部设置"
    await dispatcher.feed_update(bot, press(chat, owner, window, back.callback_data or ""))
    assert edits(telegram)[-1].text == sent.text  # type: ignore[attr-defined]
    assert answers(telegram) == [None, None]


async def test_a_members_press_gets_a_toast_and_a_forged_one_is_refused(
    dispatcher: Dispatcher,
) -> None:
    bot, telegram = recording_bot()
    chat, member = group(), person(3, "en")
    window = Message(message_id=1000, date=datetime.now(UTC), chat=chat, text="settings")
    page = SettingsButton(section="checkin").pack()
    await dispatcher.feed_update(bot, press(chat, member, window, page))
    owner = person(OWNER, "en")
    forged = SettingsButton(section="nosuchsection").pack()
    await dispatcher.feed_update(bot, press(chat, owner, window, forged))
    await dispatcher.feed_update(bot, press(chat, owner, window, "settings:" + "x" * 70))
    assert answers(telegram) == [
        "Only the group's admins can open the settings.",
        "This button no longer works.",
        "This button no longer works.",
    ]
    assert edits(telegram) == []


async def test_a_section_named_alone_answers_with_its_page(dispatcher: Dispatcher) -> None:
    bot, telegram = recording_bot()
    chat, owner = group(title="Fans"), person(OWNER, "en")
    await dispatcher.feed_update(bot, message_update(chat, owner, "/settings checkin"))
    await dispatcher.feed_update(bot, message_update(chat, owner, "/settings timezone"))
    page, usage = [m for m in telegram.requests if m.__api_method__ == "sendMessage"]
    assert page.text.splitlines()[:2] == [  # type: ignore[attr-defined]
        "<b>Fans · Sign-in</b>",
        "Sign-in: 5 points, +1 a day up to +7, milestones 7:20, 30:100, 100:500; words: "
        "<code>签到</code>, <code>打卡</code>, <code>checkin</code>; make-up 20 points, "
        "3 days back, 2 a month",
    ]
    assert "<code>/settings checkin keywords &lt;a,b&gt;</code>" in page.text  # type: ignore[attr-defined]
    assert page.reply_markup is not None  # type: ignore[attr-defined]  # the way back
    assert usage.text.startswith("Usage: <code>/settings timezone")  # type: ignore[attr-defined]
