"""The games' background look on a real database, with a recording Telegram: the daily quiz
is posted once a day at its time (and not in the quiet hours), closes itself when its time is
up (stopPoll, then the winners), and a challenge nobody took is called off, its stake back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.enums import ParseMode
from aiogram.methods import TelegramMethod
from aiogram.types import Chat, Dice, Message, Poll, PollOption
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infrastructure.background import Background
from infrastructure.i18n import create_i18n
from services.chat_settings import update_section
from services.clock import FrozenClock
from services.factory import ServiceFactory
from services.game_rules import GameRules
from services.games import audit_games
from services.points_audit import audit
from tests.support.telegram import TOKEN, RecordingSession
from tests.unit.conftest import GROUP
from tests.unit.test_games import QUESTIONS, ZONE, balances, give, seen
from workflows.games import GameChecks, post_quiz

NOW = datetime(2026, 12, 2, 12, 30, tzinfo=UTC)  # 20:30 in Shanghai
ANN = 11


class GameTelegram(RecordingSession):
    """Answers sendPoll, stopPoll and sendDice as Telegram does."""

    async def make_request(
        self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None
    ) -> Any:
        name = method.__api_method__
        if name == "sendPoll":
            self.requests.append(method)
            poll = Poll(
                id=f"poll-{len(self.requests)}", question=method.question,  # type: ignore[attr-defined]
                options=[PollOption(text=o.text, voter_count=0, persistent_id=str(i))
                         for i, o in enumerate(method.options)],  # type: ignore[attr-defined]
                total_voter_count=0, is_closed=False, is_anonymous=False, type="quiz",
                allows_multiple_answers=False, allows_revoting=False, members_only=False,
            )  # fmt: skip
            return Message(
                message_id=len(self.requests), date=NOW, chat=Chat(id=GROUP, type="supergroup"),
                poll=poll,
            )  # fmt: skip
        if name == "sendDice":
            self.requests.append(method)
            return Message(
                message_id=len(self.requests), date=NOW, chat=Chat(id=GROUP, type="supergroup"),
                dice=Dice(emoji="🎲", value=3),
            )  # fmt: skip
        return await super().make_request(bot, method, timeout)

    def called(self, name: str) -> list[Any]:
        return [m for m in self.requests if m.__api_method__ == name]


async def test_the_daily_quiz_is_posted_once_and_closes_itself(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    await seen(session_pool, ANN)
    async with session_pool() as session, session.begin():
        await ServiceFactory(clock).quiz(session).import_questions(GROUP, QUESTIONS)
        await update_section(session, GROUP, "games", {"quiz_at": "20:00"})
    checks = GameChecks(Background(session_pool, ServiceFactory(clock, ZONE), create_i18n("en")))
    telegram = GameTelegram()
    bot = Bot(TOKEN, session=telegram)
    await checks.look(bot)
    await checks.look(bot)  # the day's quiz is claimed: one poll
    (poll,) = telegram.called("sendPoll")
    assert poll.question == "最早的茶叶产自哪里?"
    assert (poll.type, poll.is_anonymous, poll.correct_option_ids) == ("quiz", False, [0])
    async with session_pool() as session, session.begin():
        paid = await ServiceFactory(clock).quiz(session).answer("poll-1", ANN, [0], admin=False)
        assert paid is not None
        assert paid.points == GameRules().quiz_first

    clock.set(NOW + timedelta(minutes=11))
    await checks.look(bot)
    (stopped,) = telegram.called("stopPoll")
    assert stopped.message_id == 1
    (result,) = [t for t in telegram.sent_texts() if t.startswith("🧠")]
    assert result.splitlines()[:2] == ["🧠 Quiz closed: 最早的茶叶产自哪里?", "✅ Answer: 云南"]
    await checks.look(bot)
    assert len(telegram.called("stopPoll")) == 1  # closed once
    assert len(telegram.called("sendPoll")) == 1  # and no second quiz that day


async def test_no_daily_quiz_in_the_quiet_hours_and_a_duel_nobody_took_is_called_off(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    await give(session_pool, ANN, 100)
    async with session_pool() as session, session.begin():
        await ServiceFactory(clock).quiz(session).import_questions(GROUP, QUESTIONS)
        await update_section(session, GROUP, "games", {"quiz_at": "20:00", "dice": True})
        await update_section(session, GROUP, "moderation", {"night": ["20:00", "07:00"]})
        await (
            ServiceFactory(clock)
            .dice(session)
            .challenge(GROUP, GROUP, ZONE, GameRules(dice=True), ANN, 30)
        )
    assert await balances(session_pool, ANN) == [(70, 100)]
    checks = GameChecks(Background(session_pool, ServiceFactory(clock, ZONE), create_i18n("en")))
    telegram = GameTelegram()
    bot = Bot(TOKEN, session=telegram)
    await checks.look(bot)
    assert telegram.called("sendPoll") == []  # 20:30 is in the night
    clock.set(NOW + timedelta(minutes=11))
    await checks.look(bot)
    assert telegram.sent_texts() == ["🎲 Nobody took the duel in time; the 30 points went back."]
    assert await balances(session_pool, ANN) == [(100, 100)]
    async with session_pool() as session:
        assert await audit(session) == []
        assert await audit_games(session) == []


async def test_a_quiz_is_sent_as_plain_text_and_takes_all_its_correct_answers(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    telegram = GameTelegram()
    bot = Bot(TOKEN, session=telegram, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    file = "question,options,answer,explanation\n3 < 5? Pick both,a < b|b|c,A|B,1 < 2\n"
    async with session_pool() as session:  # post_quiz commits before it calls
        quiz = ServiceFactory(clock).quiz(session)
        await quiz.import_questions(GROUP, file.encode())
        opened = await quiz.open_round(GROUP, GROUP, ZONE, GameRules(), started_by=None)
        assert opened is not None
        i18n = create_i18n("en")
        with i18n.context(), i18n.use_locale("en"):
            assert await post_quiz(bot, session, quiz, GROUP, *opened, GameRules())
        await session.commit()
    (poll,) = telegram.called("sendPoll")
    assert (poll.correct_option_ids, poll.allows_multiple_answers) == ([0, 1], True)
    # None, not the bot's default HTML: "3 < 5?" would not parse.
    assert (poll.question_parse_mode, poll.explanation_parse_mode) == (None, None)
    assert [option.text_parse_mode for option in poll.options] == [None, None, None]
    assert poll.protect_content is True  # a forwarded copy would be open to anyone


async def test_a_duel_whose_dice_never_came_back_is_called_off_as_such(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    await give(session_pool, ANN, 100)
    async with session_pool() as session, session.begin():
        dice = ServiceFactory(clock).dice(session)
        duel = await dice.challenge(GROUP, GROUP, ZONE, GameRules(dice=True), ANN, 30, vs_bot=True)
        await dice.thrown(duel.id, ANN, 4)  # the bot's die was refused
    checks = GameChecks(Background(session_pool, ServiceFactory(clock, ZONE), create_i18n("en")))
    telegram = GameTelegram()
    bot = Bot(TOKEN, session=telegram)
    clock.set(NOW + timedelta(minutes=3))
    await checks.look(bot)
    assert telegram.sent_texts() == [
        "🎲 The dice never came back; the duel is off and each stake of 30 points went back."
    ]
    assert await balances(session_pool, ANN) == [(100, 100)]
    async with session_pool() as session:
        assert await audit_games(session) == []


async def test_the_daily_quiz_waits_for_an_admins_quiz_to_close(
    session_pool: async_sessionmaker[AsyncSession], chat: int
) -> None:
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        quiz = ServiceFactory(clock).quiz(session)
        await quiz.import_questions(GROUP, QUESTIONS)
        await update_section(session, GROUP, "games", {"quiz_at": "20:00"})
        opened = await quiz.open_round(GROUP, GROUP, ZONE, GameRules(), started_by=1)
        assert opened is not None
        await quiz.posted(opened[0], "by-hand", 50)
    checks = GameChecks(Background(session_pool, ServiceFactory(clock, ZONE), create_i18n("en")))
    telegram = GameTelegram()
    bot = Bot(TOKEN, session=telegram)
    await checks.look(bot)
    assert telegram.called("sendPoll") == []  # the admin's quiz is still open
    clock.set(NOW + timedelta(minutes=11))
    await checks.look(bot)  # it closes; the day's quiz comes next
    assert len(telegram.called("sendPoll")) == 1
