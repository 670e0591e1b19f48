"""Games on a real database: a dice duel holds both stakes, settles once (a second settle, a
late call-off, a pressed-again accept pay nothing) and moves no lifetime; the daily cap bounds
stakes and prizes; a quiz pays its first correct answers (the first more) once each, nothing
to admins; a question file is read line by line, its refusals named; the audit stays clean."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import LedgerEntry, Member
from services.chats import ChatProfile
from services.clock import FrozenClock
from services.dice import BOT, DiceRefused
from services.factory import ServiceFactory
from services.game_rules import GameRules
from services.games import audit_games
from services.guards import ModerationRules, NightMode
from services.members import Sighting, record_sightings
from services.points_audit import audit
from services.quiz import QuizFileError, QuizOpen, read_questions
from tests.unit.conftest import GROUP
from workflows.games import quiet_hours

NOW = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)
ZONE = "Asia/Shanghai"
RULES = GameRules(dice=True, cap=100, dice_max=50)
ANN, BOB = 11, 12


async def give(pool: async_sessionmaker[AsyncSession], user: int, points: int) -> None:
    async with pool() as session, session.begin():
        await (
            ServiceFactory(FrozenClock(NOW))
            .points(session)
            .change(GROUP, user, points, reason="admin", key=f"give:{user}:{points}")
        )


async def seen(pool: async_sessionmaker[AsyncSession], *users: int) -> None:
    """Members the bot has seen in the group (a quiz pays only those)."""
    async with pool() as session, session.begin():
        await record_sightings(
            session, [Sighting(GROUP, user, None, f"User {user}", NOW) for user in users]
        )


async def balances(pool: async_sessionmaker[AsyncSession], *users: int) -> list[tuple[int, int]]:
    async with pool() as session:
        points = ServiceFactory(FrozenClock(NOW)).points(session)
        found = [await points.balance(GROUP, user) for user in users]
    return [(b.points, b.lifetime_points) for b in found]


async def test_a_duel_holds_both_stakes_and_settles_once(session_pool, chat) -> None:
    await give(session_pool, ANN, 100)
    await give(session_pool, BOB, 100)
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        dice = ServiceFactory(clock).dice(session)
        duel = await dice.challenge(GROUP, GROUP, ZONE, RULES, ANN, 30)
        assert duel.status == "open"
    assert await balances(session_pool, ANN, BOB) == [(70, 100), (100, 100)]
    async with session_pool() as session, session.begin():
        dice = ServiceFactory(clock).dice(session)
        with pytest.raises(DiceRefused) as own:
            await dice.accept(duel.id, GROUP, GROUP, ZONE, RULES, ANN)
        assert own.value.reason == "own"
        accepted = await dice.accept(duel.id, GROUP, GROUP, ZONE, RULES, BOB)
        assert accepted.status == "rolling"
    async with session_pool() as session, session.begin():
        dice = ServiceFactory(clock).dice(session)
        with pytest.raises(DiceRefused) as again:  # a second press
            await dice.accept(duel.id, GROUP, GROUP, ZONE, RULES, BOB)
        assert again.value.reason == "gone"
        await dice.thrown(duel.id, ANN, 5)
        await dice.thrown(duel.id, BOB, 2)
        await dice.thrown(duel.id, BOB, 6)  # a value comes once
        settled = await dice.settle(duel.id)
        assert settled is not None
        assert settled.winner == ANN
    async with session_pool() as session, session.begin():
        dice = ServiceFactory(clock).dice(session)
        assert await dice.settle(duel.id) is None
        assert await dice.call_off(duel.id) is None
    # Ann won Bob's 30; lifetime is untouched by a duel.
    assert await balances(session_pool, ANN, BOB) == [(130, 100), (70, 100)]
    async with session_pool() as session:
        assert await audit(session) == []
        assert await audit_games(session) == []
        book = ServiceFactory(clock).dice(session).book
        assert await book.won_today(GROUP, ANN, ZONE) == 30


async def test_a_tie_gives_each_stake_back_and_the_bot_has_no_edge(session_pool, chat) -> None:
    await give(session_pool, ANN, 100)
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        dice = ServiceFactory(clock).dice(session)
        duel = await dice.challenge(GROUP, GROUP, ZONE, RULES, ANN, 20, vs_bot=True)
        await dice.thrown(duel.id, ANN, 3)
        await dice.thrown(duel.id, BOT, 3)
        tie = await dice.settle(duel.id)
        assert tie is not None
        assert tie.winner is None
        won = await dice.challenge(GROUP, GROUP, ZONE, RULES, ANN, 20, vs_bot=True)
        await dice.thrown(won.id, ANN, 6)
        await dice.thrown(won.id, BOT, 1)
        assert (await dice.settle(won.id)).winner == ANN  # type: ignore[union-attr]
        lost = await dice.challenge(GROUP, GROUP, ZONE, RULES, ANN, 20, vs_bot=True)
        await dice.thrown(lost.id, ANN, 1)
        await dice.thrown(lost.id, BOT, 4)
        assert (await dice.settle(lost.id)).winner == BOT  # type: ignore[union-attr]
    assert await balances(session_pool, ANN) == [(100, 100)]  # +20 then -20
    async with session_pool() as session:
        assert await audit(session) == []
        assert await audit_games(session) == []


async def test_stakes_are_capped_by_the_day_and_by_what_a_member_has(session_pool, chat) -> None:
    await give(session_pool, ANN, 500)
    await give(session_pool, BOB, 10)
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        dice = ServiceFactory(clock).dice(session)
        with pytest.raises(DiceRefused) as over:
            await dice.challenge(GROUP, GROUP, ZONE, RULES, ANN, 60)
        assert (over.value.reason, over.value.limit) == ("max", 50)
        first = await dice.challenge(GROUP, GROUP, ZONE, RULES, ANN, 50)
        await dice.challenge(GROUP, GROUP, ZONE, RULES, ANN, 50)
        with pytest.raises(DiceRefused) as capped:  # 100 already at stake today
            await dice.challenge(GROUP, GROUP, ZONE, RULES, ANN, 1)
        assert (capped.value.reason, capped.value.limit) == ("cap", 0)
        with pytest.raises(DiceRefused) as poor:
            await dice.accept(first.id, GROUP, GROUP, ZONE, RULES, BOB)
        assert (poor.value.reason, poor.value.limit) == ("points", 10)
    later = FrozenClock(NOW + timedelta(minutes=11))
    async with session_pool() as session, session.begin():
        dice = ServiceFactory(later).dice(session)
        due = await dice.due()
        assert len(due) == 2
        for duel_id in due:
            assert (await dice.call_off(duel_id)).status == "cancelled"  # type: ignore[union-attr]
            assert await dice.call_off(duel_id) is None
    assert await balances(session_pool, ANN, BOB) == [(500, 500), (10, 10)]
    async with session_pool() as session:
        assert await audit(session) == []
        assert await audit_games(session) == []


QUESTIONS = (
    "question,options,answer,explanation\n"
    "最早的茶叶产自哪里?,云南|福建|浙江,1,茶树原产于云南\n"
    "Pick the even ones,1|2|3|4,B|D,\n"
    "No options,,1,\n"
    "Out of range,a|b,3,\n"
    "最早的茶叶产自哪里?,云南|福建,1,\n"
).encode()


async def test_a_quiz_pays_the_first_correct_answers_once_and_admins_nothing(
    session_pool, chat
) -> None:
    clock = FrozenClock(NOW)
    await seen(session_pool, 1, 3, ANN, BOB)
    async with session_pool() as session, session.begin():
        quiz = ServiceFactory(clock).quiz(session)
        imported = await quiz.import_questions(GROUP, QUESTIONS)
        assert imported.added == 2
        assert imported.refused == [(4, "options"), (5, "answer"), (6, "twice")]
        opened = await quiz.open_round(GROUP, GROUP, ZONE, GameRules(), started_by=None)
        assert opened is not None
        round_id, question = opened
        assert question.options == ["云南", "福建", "浙江"]
        assert question.correct == [0]
        await quiz.posted(round_id, "poll-1", 77)
    rules = GameRules()
    async with session_pool() as session, session.begin():
        quiz = ServiceFactory(clock).quiz(session)
        admin = await quiz.answer("poll-1", 1, [0], admin=True)
        assert admin is not None
        assert (admin.rank, admin.points) == (None, 0)
        wrong = await quiz.answer("poll-1", 3, [1], admin=False)
        assert wrong is not None
        assert not wrong.correct
        first = await quiz.answer("poll-1", ANN, [0], admin=False)
        second = await quiz.answer("poll-1", BOB, [0], admin=False)
        assert first is not None
        assert (first.rank, first.points) == (1, rules.quiz_first)
        assert second is not None
        assert (second.rank, second.points) == (2, rules.quiz_next)
        assert await quiz.answer("poll-1", ANN, [0], admin=False) is None  # redelivered
    async with session_pool() as session, session.begin():
        quiz = ServiceFactory(clock).quiz(session)
        result = await quiz.close(round_id)
        assert result is not None
        assert (result.answered, result.right, result.answer) == (4, 3, "云南")
        assert [points for _name, points in result.winners] == [20, 10]
        assert await quiz.close(round_id) is None
        assert await quiz.answer("poll-1", 5, [0], admin=False) is None  # closed
        league = await quiz.league(GROUP, ZONE)
        assert [points for _name, points in league] == [20, 10]
        rows = await session.scalars(select(LedgerEntry.reason).where(LedgerEntry.delta > 0))
        assert sorted(rows) == ["quiz", "quiz"]
        assert await audit(session) == []
        assert await audit_games(session) == []


async def test_quiz_prizes_stop_at_the_daily_cap(session_pool, chat) -> None:
    clock = FrozenClock(NOW)
    rules = GameRules(cap=25)
    await seen(session_pool, ANN)
    async with session_pool() as session, session.begin():
        quiz = ServiceFactory(clock).quiz(session)
        await quiz.import_questions(GROUP, QUESTIONS)
        paid = []
        for poll in ("p1", "p2"):
            opened = await quiz.open_round(GROUP, GROUP, ZONE, rules, started_by=None)
            assert opened is not None
            await quiz.posted(opened[0], poll, 1)
            correct = list(opened[1].correct)
            answer = await quiz.answer(poll, ANN, correct, admin=False)
            assert answer is not None
            paid.append(answer.points)
            with pytest.raises(QuizOpen):  # one quiz at a time
                await quiz.open_round(GROUP, GROUP, ZONE, rules, started_by=None, key="daily")
            await quiz.close(opened[0])
        assert paid == [20, 5]


def test_a_question_file_without_its_columns_is_refused_as_a_whole() -> None:
    with pytest.raises(QuizFileError) as refused:
        list(read_questions(b"question,choices\nA?,x|y\n"))
    assert refused.value.missing == ("options", "answer")


def test_games_rest_in_the_groups_quiet_hours() -> None:
    night = ModerationRules(night=NightMode("23:00", "07:00"))
    profile = ChatProfile(GROUP, "supergroup", "Fans", ZONE, None, True, moderation=night)
    late = datetime(2026, 12, 2, 16, 30, tzinfo=UTC)  # 00:30 in Shanghai
    assert quiet_hours(profile, late) == ("23:00", "07:00")
    assert quiet_hours(profile, NOW) is None  # noon in Shanghai
    plain = ChatProfile(GROUP, "supergroup", "Fans", ZONE, None, True)
    assert quiet_hours(plain, late) is None


async def test_the_closest_guess_wins_and_a_tie_goes_to_the_earlier(session_pool, chat) -> None:
    clock = FrozenClock(NOW)
    async with session_pool() as session, session.begin():
        guess = ServiceFactory(clock).guess(session)
        round_ = await guess.start(
            GROUP, GROUP, ZONE, GameRules(guess_points=50), started_by=1, title="Tea set",
            price=19900, photo=None,
        )  # fmt: skip
        assert await guess.guess(round_.id, ANN, 21000) is None
        assert await guess.guess(round_.id, BOB, 18800) is None
        assert await guess.guess(round_.id, BOB, 19900) == 18800  # one guess each
        assert await guess.guess(round_.id, 13, 30000) is None
    later = FrozenClock(NOW + timedelta(minutes=31))
    async with session_pool() as session, session.begin():
        guess = ServiceFactory(later).guess(session)
        assert await guess.due() == [round_.id]
        result = await guess.close(round_.id)
        assert result is not None
        assert [fen for _name, fen in result.guesses] == [21000, 18800, 30000]  # Ann first
        assert result.points == 50
        assert await guess.close(round_.id) is None
    assert await balances(session_pool, ANN, BOB) == [(50, 50), (0, 0)]
    async with session_pool() as session:
        assert await audit(session) == []
        assert await audit_games(session) == []


async def test_the_audit_names_a_game_row_with_no_round(session_pool, chat) -> None:
    async with session_pool() as session, session.begin():
        points = ServiceFactory(FrozenClock(NOW)).points(session)
        await points.change(GROUP, ANN, 10, reason="quiz", key="forged", ref="quiz:999")
    async with session_pool() as session:
        assert await audit_games(session) == ["ledger row quiz quiz:999: no such quiz round"]


async def test_a_forwarded_quiz_pays_no_one_outside_the_group(session_pool, chat) -> None:
    clock = FrozenClock(NOW)
    await seen(session_pool, ANN, BOB)
    async with session_pool() as session, session.begin():
        await session.execute(
            update(Member).where(Member.chat_id == GROUP, Member.user_id == BOB).values(left_at=NOW)
        )
        quiz = ServiceFactory(clock).quiz(session)
        await quiz.import_questions(GROUP, QUESTIONS)
        opened = await quiz.open_round(GROUP, GROUP, ZONE, GameRules(), started_by=None)
        assert opened is not None
        await quiz.posted(opened[0], "poll-1", 77)
        correct = list(opened[1].correct)
        assert await quiz.answer("poll-1", 99, correct, admin=False) is None  # never in it
        assert await quiz.answer("poll-1", BOB, correct, admin=False) is None  # left
        first = await quiz.answer("poll-1", ANN, correct, admin=False)
        assert first is not None
        assert first.rank == 1
    assert await balances(session_pool, 99, BOB) == [(0, 0), (0, 0)]
