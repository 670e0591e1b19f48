"""Games that talk to Telegram mid-way, each step committed before the call: a quiz poll
posted (`sendPoll`) and closed (`stopPoll`, then its winners), a duel's dice thrown
(`sendDice`: Telegram draws the value, read from its answer) and settled; and the background
look (`GameChecks`) that closes quizzes due, calls off duels nobody took (stakes back), and
posts each group's daily quiz at its time, once a day (`game_rounds.key`)."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import InputPollOption, ReplyParameters
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from infrastructure.background import Background
from infrastructure.transactions import commit_so_far
from models import Chat
from services.chats import ChatProfile
from services.clock import local_day
from services.dice import BOT, DiceService, Duel
from services.game_rules import GameRules
from services.members import display_names
from services.quiz import Question, QuizOpen, QuizService
from views.games import (
    duel_called_off_text,
    duel_dice_lost_text,
    duel_result_text,
    guess_result_text,
    quiz_description,
    quiz_result_text,
)
from workflows.night_mode import is_night

logger = logging.getLogger(__name__)


def quiet_hours(profile: ChatProfile, now: datetime) -> tuple[str, str] | None:
    """The group's quiet hours (its night mode) when they are now: games rest then."""
    night = profile.moderation.night
    if night is not None and is_night(now, profile.timezone, night.start, night.end):
        return night.start, night.end
    return None


async def post_quiz(
    bot: Bot, session: AsyncSession, quiz: QuizService, chat_id: int, round_id: int,
    question: Question, rules: GameRules,
) -> bool:  # fmt: skip
    """Post the round's quiz poll (the round committed first): whether Telegram took it."""
    await commit_so_far(session)
    try:
        sent = await bot.send_poll(  # the CSV's text is plain: no parse mode (not the bot's HTML)
            chat_id,
            question.question,
            [InputPollOption(text=option, text_parse_mode=None) for option in question.options],
            question_parse_mode=None,
            is_anonymous=False,
            type="quiz",
            allows_multiple_answers=len(question.correct) > 1,  # all of them to be right
            correct_option_ids=question.correct,
            explanation=question.explanation or None,
            explanation_parse_mode=None,
            description=quiz_description(rules),
            protect_content=True,  # a forwarded copy would be the same poll, open to anyone
        )
    except TelegramAPIError as error:
        logger.info("chat %s: the quiz poll was refused: %s", chat_id, error)
        await quiz.not_posted(round_id)
        return False
    assert sent.poll is not None
    await quiz.posted(round_id, sent.poll.id, sent.message_id)
    return True


async def throw_dice(bot: Bot, session: AsyncSession, dice: DiceService, duel: Duel) -> Duel | None:
    """Throw the duel's two dice (Telegram draws each value) and settle it: the duel settled,
    or None when a throw was refused (the background check calls the duel off)."""
    seats = [duel.challenger, BOT if duel.vs_bot else (duel.opponent or 0)]
    for seat in seats:
        if seat in duel.values:
            continue
        await commit_so_far(session)
        try:
            sent = await bot.send_dice(
                duel.chat_id,
                emoji="🎲",
                reply_parameters=ReplyParameters(
                    message_id=duel.message_id or 0, allow_sending_without_reply=True
                )
                if duel.message_id
                else None,
            )
        except TelegramAPIError as error:
            logger.info("chat %s: duel %s's dice refused: %s", duel.chat_id, duel.id, error)
            return None
        assert sent.dice is not None
        await dice.thrown(duel.id, seat, sent.dice.value)
    return await dice.settle(duel.id)


async def duel_names(session: AsyncSession, duel: Duel) -> dict[int, str]:
    seats = [seat for seat in (duel.challenger, duel.opponent) if seat]
    return await display_names(session, duel.chat_id, seats)


class GameChecks:
    def __init__(self, background: Background) -> None:
        self.background = background

    async def look(self, bot: Bot) -> None:
        await self.close_quizzes(bot)
        await self.close_guesses(bot)
        await self.call_off_duels(bot)
        await self.post_daily_quizzes(bot)

    async def close_quizzes(self, bot: Bot) -> None:
        async with self.background.session_pool() as session:
            due = await self.background.services.quiz(session).due()
        for round_id in due:
            async with self.background.session_pool() as session, session.begin():
                result = await self.background.services.quiz(session).close(round_id)
                profile = await self.background.services.chats(session).profile(
                    result.chat_id if result else 0
                )
            if result is None:
                continue
            if result.message_id:
                try:
                    await bot.stop_poll(result.chat_id, result.message_id)
                except TelegramAPIError as error:  # closed or deleted by hand: answers stopped
                    logger.info("chat %s: stopPoll: %s", result.chat_id, error)
            with self.background.speaking(profile):
                text = quiz_result_text(result)
            await self._say(bot, result.chat_id, text, result.message_id)

    async def close_guesses(self, bot: Bot) -> None:
        async with self.background.session_pool() as session:
            due = await self.background.services.guess(session).due()
        for round_id in due:
            async with self.background.session_pool() as session, session.begin():
                result = await self.background.services.guess(session).close(round_id)
                profile = await self.background.services.chats(session).profile(
                    result.chat_id if result else 0
                )
            if result is None:
                continue
            with self.background.speaking(profile):
                text = guess_result_text(
                    result.title, result.price, result.winner, result.points, result.guesses
                )
            await self._say(bot, result.chat_id, text, result.message_id)

    async def call_off_duels(self, bot: Bot) -> None:
        async with self.background.session_pool() as session:
            due = await self.background.services.dice(session).due()
        for duel_id in due:
            async with self.background.session_pool() as session, session.begin():
                duel = await self.background.services.dice(session).call_off(duel_id)
                profile = await self.background.services.chats(session).profile(
                    duel.chat_id if duel else 0
                )
                names = await duel_names(session, duel) if duel else {}
            if duel is None:
                continue
            with self.background.speaking(profile):
                if duel.status == "cancelled" and duel.rolled:
                    text = duel_dice_lost_text(duel.stake)
                elif duel.status == "cancelled":
                    text = duel_called_off_text(duel.stake)
                else:
                    text = duel_result_text(duel, names)
            await self._say(bot, duel.chat_id, text, duel.message_id)

    async def post_daily_quizzes(self, bot: Bot) -> None:
        now = self.background.clock.now()
        async with self.background.session_pool() as session:
            rows = (
                await session.execute(
                    select(Chat.id).where(
                        Chat.active.is_(True),
                        Chat.type.in_(("group", "supergroup")),
                        Chat.settings[("games", "quiz_at")].as_string().is_not(None),
                    )
                )
            ).all()
        for (chat_id,) in rows:  # post_quiz commits before it calls: no `begin()` block
            async with self.background.session_pool() as session:
                profile = await self.background.services.chats(session).profile(chat_id)
                if profile is None:
                    continue
                rules = profile.rules(GameRules)
                local = now.astimezone(ZoneInfo(profile.timezone)).strftime("%H:%M")
                if not rules.quiz or rules.quiz_at is None or local < rules.quiz_at:
                    continue
                if quiet_hours(profile, now) is not None:
                    continue
                quiz = self.background.services.quiz(session)
                day = local_day(now, profile.timezone)
                try:
                    opened = await quiz.open_round(
                        chat_id, profile.program_id, profile.timezone, rules, started_by=None,
                        key=f"quiz:{chat_id}:{day.isoformat()}",
                    )  # fmt: skip
                except QuizOpen:  # an admin's /quiz runs: the day's comes after it closes
                    continue
                if opened is None:
                    continue
                with self.background.speaking(profile):
                    await post_quiz(bot, session, quiz, chat_id, *opened, rules)
                await session.commit()

    async def _say(self, bot: Bot, chat_id: int, text: str, reply_to: int | None) -> None:
        try:
            await bot.send_message(
                chat_id,
                text,
                reply_parameters=ReplyParameters(
                    message_id=reply_to, allow_sending_without_reply=True
                )
                if reply_to
                else None,
            )
        except TelegramAPIError as error:
            logger.info("chat %s: a game's post was refused: %s", chat_id, error)
