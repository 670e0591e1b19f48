"""Lucky draws: the verifiable selection, the input, requirements, entry costs and refunds."""

from __future__ import annotations

import asyncio
import hashlib
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import Member
from services.clock import FrozenClock
from services.draw_entries import JoinOutcome, JoinRequest
from services.draw_fairness import choose_winners, commitment_of
from services.draw_specs import DrawInputError, DrawSpec, parse_draw
from services.draws import DrawClosed, DrawService, JoinGroupCommit, RerollRefused
from services.points import Award, PointsService
from services.points_audit import audit
from services.tiers import DEFAULT_TIERS
from tests.unit.conftest import GROUP

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SEED = "11" * 32


def test_the_same_seed_and_entrants_give_the_same_winners_in_any_order() -> None:
    entrants = list(range(100, 200))
    first, counter = choose_winners(SEED, entrants, 10)
    again, _ = choose_winners(SEED, list(reversed(entrants)), 10)
    assert first == again
    assert len(set(first)) == 10
    assert set(first) <= set(entrants)
    assert counter >= 10
    other, _ = choose_winners("22" * 32, entrants, 10)
    assert other != first


def test_more_winners_than_entrants_makes_everyone_win() -> None:
    winners, _ = choose_winners(SEED, [3, 1, 2], 10)
    assert sorted(winners) == [1, 2, 3]
    assert choose_winners(SEED, [], 3) == ([], 0)


def test_a_reroll_goes_on_from_the_counter_and_never_repeats_a_winner() -> None:
    entrants = list(range(1, 21))
    first, counter = choose_winners(SEED, entrants, 3)
    more, _ = choose_winners(SEED, entrants, 2, counter, exclude=first)
    assert not set(more) & set(first)
    # the same as drawing five at once: one sequence, still verifiable
    five, _ = choose_winners(SEED, entrants, 5)
    assert first + more == five


def test_every_entrant_is_equally_likely() -> None:
    """Chi-square over 6,000 seeds, 6 entrants, one winner each: no entrant is favoured."""
    seeds = [hashlib.sha256(str(n).encode()).hexdigest() for n in range(6000)]
    wins = Counter(choose_winners(seed, [10, 20, 30, 40, 50, 60], 1)[0][0] for seed in seeds)
    expected = len(seeds) / 6
    chi_square = sum((wins[user] - expected) ** 2 / expected for user in (10, 20, 30, 40, 50, 60))
    assert chi_square < 20.52  # p = 0.001 with 5 degrees of freedom


def test_the_commitment_is_the_sha256_of_the_seed_bytes() -> None:
    assert commitment_of(SEED) == hashlib.sha256(bytes.fromhex(SEED)).hexdigest()


def test_parse_a_full_draw() -> None:
    spec = parse_draw(
        "Hoodie size M winners=3 ends=2026-12-01 20:00 min_tier=银牌 min_points=100 cost=10 "
        "joined_before=7d min_messages=5",
        NOW,
        "Asia/Shanghai",
        DEFAULT_TIERS,
    )
    assert spec.prize == "Hoodie size M"
    assert spec.winners == 3
    assert spec.ends_at == datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert spec.min_tier is not None
    assert spec.min_tier.threshold == 500
    assert (spec.min_points, spec.cost, spec.min_member_days, spec.min_messages) == (100, 10, 7, 5)
    short = parse_draw("T-shirt ends=30m", NOW, "UTC", DEFAULT_TIERS)
    assert (short.winners, short.ends_at) == (1, NOW + timedelta(minutes=30))


@pytest.mark.parametrize(
    "args",
    [
        "🎧 耳机 AirPods Pro（限量）winners=2 ends=2m",
        "🎧 耳机 AirPods Pro（限量）winners＝2\u3000ends=2m",
        "🎧 耳机 AirPods Pro（限量） winners=2 ends=2m",
    ],
)
def test_options_glued_to_full_width_text_are_still_read(args: str) -> None:
    spec = parse_draw(args, NOW, "UTC", DEFAULT_TIERS)
    assert (spec.prize, spec.winners) == ("🎧 耳机 AirPods Pro（限量）", 2)
    assert spec.ends_at == NOW + timedelta(minutes=2)


def test_an_option_glued_to_latin_letters_stays_part_of_the_prize() -> None:
    assert parse_draw("Boxwinners=2", NOW, "UTC", DEFAULT_TIERS).prize == "Boxwinners=2"


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ("", "prize"),
        ("x" * 201, "prize"),
        ("Mug winners=0", "winners"),
        ("Mug winners=101", "winners"),
        ("Mug winners=two", "winners"),
        ("Mug ends=2026-11-01 10:00", "ends"),  # in the past
        ("Mug ends=91d", "ends"),
        ("Mug ends=soon", "ends"),
        ("Mug min_tier=Platinum", "min_tier"),
        ("Mug cost=-5", "cost"),
        ("Mug joined_before=7h", "joined_before"),
        ("Mug winners=2 Cup", "prize"),
        ("Mug winners=2 winners=3", "winners"),
    ],
)
def test_bad_draw_input_names_what_is_wrong(args: str, field: str) -> None:
    with pytest.raises(DrawInputError) as error:
        parse_draw(args, NOW, "UTC", DEFAULT_TIERS)
    assert str(error.value) == field


async def open_draw(
    pool: async_sessionmaker[AsyncSession], clock: FrozenClock, **requirements: int
) -> int:
    spec = DrawSpec("Hoodie", 2, clock.now() + timedelta(hours=1), **requirements)  # type: ignore[arg-type]
    async with pool() as session, session.begin():
        draw = await DrawService(session, clock, PointsService(session, clock)).create(
            GROUP, 1, spec
        )
        return draw.id


async def give(
    pool: async_sessionmaker[AsyncSession], clock: FrozenClock, user: int, points: int
) -> None:
    async with pool() as session, session.begin():
        await PointsService(session, clock).change(
            GROUP, user, points, reason="admin", key=f"gift:{user}"
        )


async def test_entries_pay_once_and_check_requirements(session_pool, chat) -> None:
    clock = FrozenClock(NOW)
    draw_id = await open_draw(session_pool, clock, cost=10, min_messages=0)
    await give(session_pool, clock, 1, 25)
    group_commit = JoinGroupCommit(session_pool, clock)
    results = await asyncio.gather(
        *(group_commit.join(JoinRequest(draw_id, GROUP, user)) for user in (1, 1, 1, 2))
    )
    assert [r.outcome for r in results] == [
        JoinOutcome.JOINED, JoinOutcome.ALREADY, JoinOutcome.ALREADY, JoinOutcome.COST,
    ]  # fmt: skip
    assert results[0].balance == 15
    forged = await group_commit.join(
        JoinRequest(draw_id, -999, 1)
    )  # a button copied to another chat
    assert forged.outcome == JoinOutcome.UNKNOWN
    async with session_pool() as session:
        assert await audit(session) == []
        assert (await PointsService(session, clock).balance(GROUP, 1)).points == 15


async def test_tier_points_age_and_message_requirements(session_pool, chat) -> None:
    clock = FrozenClock(NOW)
    tier = DEFAULT_TIERS[1]
    spec = DrawSpec("Cap", 1, NOW + timedelta(hours=1), tier, min_member_days=7, min_messages=3)
    async with session_pool() as session, session.begin():
        draw_id = (
            await DrawService(session, clock, PointsService(session, clock)).create(GROUP, 1, spec)
        ).id
    group_commit = JoinGroupCommit(session_pool, clock)
    assert (await group_commit.join(JoinRequest(draw_id, GROUP, 5))).outcome == JoinOutcome.TIER
    await give(session_pool, clock, 5, tier.threshold)
    assert (
        await group_commit.join(JoinRequest(draw_id, GROUP, 5))
    ).outcome == JoinOutcome.NEW_MEMBER
    async with session_pool() as session, session.begin():
        await session.execute(
            update(Member).where(Member.user_id == 5).values(joined_at=NOW - timedelta(days=8))
        )
    assert (await group_commit.join(JoinRequest(draw_id, GROUP, 5))).outcome == JoinOutcome.MESSAGES
    async with session_pool() as session, session.begin():
        await session.execute(update(Member).where(Member.user_id == 5).values(message_count=3))
    assert (await group_commit.join(JoinRequest(draw_id, GROUP, 5))).outcome == JoinOutcome.JOINED
    clock.set(NOW + timedelta(hours=1))
    assert (await group_commit.join(JoinRequest(draw_id, GROUP, 6))).outcome == JoinOutcome.ENDED


async def test_a_burst_of_presses_enters_each_member_once(session_pool, chat) -> None:
    clock = FrozenClock(NOW)
    draw_id = await open_draw(session_pool, clock, cost=2)
    members = [1000 + n for n in range(600)]
    async with session_pool() as session, session.begin():
        gifts = [Award(GROUP, user, 5, "admin", f"gift:{user}") for user in members]
        await PointsService(session, clock).award_many(gifts, {GROUP: "UTC"})
    desks = [JoinGroupCommit(session_pool, clock, max_batch=200) for _ in range(2)]  # two workers
    presses = [
        desks[n % 2].join(JoinRequest(draw_id, GROUP, members[n % 600])) for n in range(1000)
    ]
    results = await asyncio.gather(*presses)
    assert Counter(r.outcome for r in results) == {
        JoinOutcome.JOINED: 600, JoinOutcome.ALREADY: 400,
    }  # fmt: skip
    async with session_pool() as session:
        service = DrawService(session, clock, PointsService(session, clock))
        assert len(await service.entrants(draw_id)) == 600
        assert (await service.get(GROUP, draw_id)).entrants == 600
        balances = await session.scalars(select(Member.points).where(Member.chat_id == GROUP))
        assert set(balances) == {3}  # each entry cost paid once
        assert await audit(session) == []


async def test_ending_picks_verifiable_winners_once(session_pool, chat) -> None:
    clock = FrozenClock(NOW)
    draw_id = await open_draw(session_pool, clock)
    group_commit = JoinGroupCommit(session_pool, clock)
    for user in (30, 10, 20):
        await group_commit.join(JoinRequest(draw_id, GROUP, user))
    async with session_pool() as session, session.begin():
        ended = await DrawService(session, clock, PointsService(session, clock)).end(GROUP, draw_id)
    assert ended.entrants == 3
    assert ended.draw.winner_ids == choose_winners(ended.draw.seed, [10, 20, 30], 2)[0]
    async with session_pool() as session, session.begin():
        service = DrawService(session, clock, PointsService(session, clock))
        with pytest.raises(DrawClosed):
            await service.end(GROUP, draw_id)
        check = await service.verify(GROUP, draw_id)
    assert check.ok
    assert check.draw.commitment == commitment_of(check.draw.seed)


async def test_cancelling_refunds_every_entry_cost_once(session_pool, chat) -> None:
    clock = FrozenClock(NOW)
    draw_id = await open_draw(session_pool, clock, cost=10)
    for user in (1, 2):
        await give(session_pool, clock, user, 30)
    group_commit = JoinGroupCommit(session_pool, clock)
    for user in (1, 2):
        assert (await group_commit.join(JoinRequest(draw_id, GROUP, user))).balance == 20
    async with session_pool() as session, session.begin():
        service = DrawService(session, clock, PointsService(session, clock))
        draw, refunds = await service.cancel(GROUP, draw_id)
    assert (draw.status, refunds) == ("cancelled", 2)
    async with session_pool() as session, session.begin():
        service = DrawService(session, clock, PointsService(session, clock))
        with pytest.raises(DrawClosed):
            await service.cancel(GROUP, draw_id)  # a second cancel refunds nothing
        balance = await PointsService(session, clock).balance(GROUP, 1)
        assert (balance.points, balance.lifetime_points) == (30, 30)  # a refund is not earned
        assert await audit(session) == []
    assert (await group_commit.join(JoinRequest(draw_id, GROUP, 3))).outcome == JoinOutcome.ENDED


async def ended_draw(
    pool: async_sessionmaker[AsyncSession], clock: FrozenClock, entrants: list[int], winners: int
) -> int:
    spec = DrawSpec("Hoodie", winners, clock.now() + timedelta(hours=1))
    async with pool() as session, session.begin():
        draw_id = (
            await DrawService(session, clock, PointsService(session, clock)).create(GROUP, 1, spec)
        ).id
    group_commit = JoinGroupCommit(pool, clock)
    await asyncio.gather(
        *(group_commit.join(JoinRequest(draw_id, GROUP, user)) for user in entrants)
    )
    async with pool() as session, session.begin():
        await DrawService(session, clock, PointsService(session, clock)).end(GROUP, draw_id)
    return draw_id


async def test_rerolls_replace_unclaimed_or_named_winners_and_stay_verifiable(
    session_pool, chat
) -> None:
    clock = FrozenClock(NOW)
    entrants = list(range(1, 8))
    draw_id = await ended_draw(session_pool, clock, entrants, 3)
    async with session_pool() as session, session.begin():
        service = DrawService(session, clock, PointsService(session, clock))
        draw = await service.get(GROUP, draw_id)
        first = list(draw.winner_ids)
        _, claimed = await service.claim(GROUP, draw_id, first[0])
        _, again = await service.claim(GROUP, draw_id, first[0])
        _, stranger = await service.claim(GROUP, draw_id, 99)
        assert (claimed, again, stranger) == ("claimed", "already", "not_winner")
        unclaimed = await service.reroll(GROUP, draw_id)  # everyone who has not claimed
        assert unclaimed.replaced == first[1:]
        named = await service.reroll(GROUP, draw_id, user_id=first[0])
        assert named.replaced == [first[0]]
        current = named.draw.winner_ids
    ever = set(first) | set(unclaimed.picked) | set(named.picked)
    assert len(ever) == 6  # nobody won twice
    assert current == [named.picked[0], *unclaimed.picked]
    async with session_pool() as session, session.begin():
        service = DrawService(session, clock, PointsService(session, clock))
        assert (await service.verify(GROUP, draw_id)).ok
        await service.reroll(GROUP, draw_id, count=1)  # the seventh and last entrant
        with pytest.raises(RerollRefused, match="no_entrants"):
            await service.reroll(GROUP, draw_id, count=1)
        with pytest.raises(RerollRefused, match="not_winner"):
            await service.reroll(GROUP, draw_id, user_id=12345)
        assert (await service.verify(GROUP, draw_id)).ok


async def test_an_open_draw_cannot_be_rerolled_or_claimed(session_pool, chat) -> None:
    clock = FrozenClock(NOW)
    draw_id = await open_draw(session_pool, clock)
    async with session_pool() as session, session.begin():
        service = DrawService(session, clock, PointsService(session, clock))
        with pytest.raises(DrawClosed):
            await service.reroll(GROUP, draw_id)
        with pytest.raises(DrawClosed):
            await service.claim(GROUP, draw_id, 1)
