"""Dice duels at their edges, on a real database: a named challenge nobody accepted gives back
only the challenger's stake; an Accept counts only in the duel's own group and before its time;
the background call-off leaves alone a duel an Accept just gave more time; a named opponent's
room is not shrunk by the duel they are asked to accept; a game's prize leaves room for the
stakes a member has at play; a guess comes in only while its round is open."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from services.clock import FrozenClock
from services.dice import DiceRefused
from services.factory import ServiceFactory
from services.game_rules import GameRules
from services.games import audit_games
from services.guess import GuessClosed
from services.points_audit import audit
from tests.unit.conftest import GROUP
from tests.unit.test_games import ANN, BOB, NOW, RULES, ZONE, balances, give

LATER = NOW + timedelta(minutes=11)  # past an unanswered challenge's ten minutes


async def test_a_named_challenge_called_off_gives_back_only_the_challengers_stake(
    session_pool, chat
) -> None:
    await give(session_pool, ANN, 100)
    async with session_pool() as session, session.begin():
        dice = ServiceFactory(FrozenClock(NOW)).dice(session)
        duel = await dice.challenge(GROUP, GROUP, ZONE, RULES, ANN, 50, opponent=BOB)
    async with session_pool() as session, session.begin():
        dice = ServiceFactory(FrozenClock(LATER)).dice(session)
        assert await dice.due() == [duel.id]
        called_off = await dice.call_off(duel.id)
        assert called_off is not None
        assert called_off.status == "cancelled"
    # Bob never put up a stake: he gets nothing back.
    assert await balances(session_pool, ANN, BOB) == [(100, 100), (0, 0)]
    async with session_pool() as session:
        assert await audit(session) == []
        assert await audit_games(session) == []


async def test_an_accept_counts_only_in_the_duels_group_and_before_its_time(
    session_pool, chat
) -> None:
    await give(session_pool, ANN, 100)
    await give(session_pool, BOB, 100)
    async with session_pool() as session, session.begin():
        dice = ServiceFactory(FrozenClock(NOW)).dice(session)
        duel = await dice.challenge(GROUP, GROUP, ZONE, RULES, ANN, 30)
        with pytest.raises(DiceRefused) as elsewhere:  # a forged button in another group
            await dice.accept(duel.id, GROUP - 1, GROUP - 1, ZONE, RULES, BOB)
        assert elsewhere.value.reason == "gone"
    async with session_pool() as session, session.begin():
        dice = ServiceFactory(FrozenClock(LATER)).dice(session)
        with pytest.raises(DiceRefused) as late:  # the check has not called it off yet
            await dice.accept(duel.id, GROUP, GROUP, ZONE, RULES, BOB)
        assert late.value.reason == "gone"
    assert await balances(session_pool, BOB) == [(100, 100)]


async def test_the_call_off_leaves_a_duel_just_accepted(session_pool, chat) -> None:
    await give(session_pool, ANN, 100)
    await give(session_pool, BOB, 100)
    almost = NOW + timedelta(minutes=9, seconds=59)
    async with session_pool() as session, session.begin():
        dice = ServiceFactory(FrozenClock(NOW)).dice(session)
        duel = await dice.challenge(GROUP, GROUP, ZONE, RULES, ANN, 30)
    async with session_pool() as session:
        listed = await ServiceFactory(FrozenClock(LATER)).dice(session).due()
        assert listed == [duel.id]
    async with session_pool() as session, session.begin():  # Bob presses just in time
        await (
            ServiceFactory(FrozenClock(almost))
            .dice(session)
            .accept(duel.id, GROUP, GROUP, ZONE, RULES, BOB)
        )
    async with session_pool() as session, session.begin():  # the check acts on what it listed
        assert await ServiceFactory(FrozenClock(LATER)).dice(session).call_off(duel.id) is None
    assert await balances(session_pool, ANN, BOB) == [(70, 100), (70, 100)]
    async with session_pool() as session:
        assert await audit_games(session) == []


async def test_a_named_opponent_may_accept_a_stake_over_half_the_cap(session_pool, chat) -> None:
    rules = GameRules(dice=True, cap=100, dice_max=100)
    await give(session_pool, ANN, 100)
    await give(session_pool, BOB, 100)
    async with session_pool() as session, session.begin():
        dice = ServiceFactory(FrozenClock(NOW)).dice(session)
        duel = await dice.challenge(GROUP, GROUP, ZONE, rules, ANN, 60, opponent=BOB)
        # Naming Bob holds nothing of his: his room is whole.
        assert await dice.book.room_today(GROUP, BOB, ZONE, rules.cap) == 100
        accepted = await dice.accept(duel.id, GROUP, GROUP, ZONE, rules, BOB)
        assert accepted.status == "rolling"
        assert await dice.book.room_today(GROUP, BOB, ZONE, rules.cap) == 40
    assert await balances(session_pool, ANN, BOB) == [(40, 100), (40, 100)]


async def test_a_prize_leaves_room_for_the_stakes_at_play(session_pool, chat) -> None:
    await give(session_pool, ANN, 100)
    async with session_pool() as session, session.begin():
        dice = ServiceFactory(FrozenClock(NOW)).dice(session)
        await dice.challenge(GROUP, GROUP, ZONE, RULES, ANN, 50)
        await dice.challenge(GROUP, GROUP, ZONE, RULES, ANN, 40)
        paid = await dice.book.pay(
            GROUP, GROUP, ANN, 20, timezone=ZONE, cap=RULES.cap, reason="quiz",
            key="prize", ref="quiz:1",
        )  # fmt: skip
        assert paid == 10  # cap 100, 90 at stake


async def test_a_guess_comes_in_only_while_its_round_is_open(session_pool, chat) -> None:
    async with session_pool() as session, session.begin():
        guess = ServiceFactory(FrozenClock(NOW)).guess(session)
        round_ = await guess.start(
            GROUP, GROUP, ZONE, GameRules(), started_by=1, title="Tea set", price=19900,
            photo=None,
        )  # fmt: skip
        assert await guess.guess(round_.id, ANN, 20000) is None
    async with session_pool() as session, session.begin():  # its time is up, not yet closed
        guess = ServiceFactory(FrozenClock(NOW + timedelta(minutes=31))).guess(session)
        with pytest.raises(GuessClosed):
            await guess.guess(round_.id, BOB, 19900)
        assert await guess.close(round_.id) is not None
    async with session_pool() as session, session.begin():
        guess = ServiceFactory(FrozenClock(NOW)).guess(session)
        with pytest.raises(GuessClosed):
            await guess.guess(round_.id, BOB, 19900)
    assert await balances(session_pool, ANN, BOB) == [(GameRules().guess_points,) * 2, (0, 0)]


async def test_two_stakes_at_once_stay_under_the_cap(session_pool, chat) -> None:
    rules = GameRules(dice=True, cap=100, dice_max=100)
    await give(session_pool, ANN, 500)

    async def stake() -> str:
        try:
            async with session_pool() as session, session.begin():
                dice = ServiceFactory(FrozenClock(NOW)).dice(session)
                await dice.challenge(GROUP, GROUP, ZONE, rules, ANN, 60)
        except DiceRefused as refused:
            return refused.reason
        return "made"

    made = await asyncio.gather(stake(), stake())  # the day's row is locked: one after the other
    assert sorted(made) == ["cap", "made"]
    assert await balances(session_pool, ANN) == [(440, 500)]
