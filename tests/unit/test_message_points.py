"""Message points on a real database: counted once, paid within cooldown and cap, in batches."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import LedgerEntry, Member
from services.clock import FrozenClock
from services.factory import ServiceFactory
from services.members import Sighting, record_sightings
from services.message_rules import MessageRules
from services.message_tally import MessageTally
from services.messages import (
    RECENT,
    ChatMessage,
    Seen,
    fingerprint,
    shows_at_least,
    visible_length,
)
from services.points_audit import audit
from tests.unit.conftest import GROUP

CHAT, FAN, OTHER = GROUP, 42, 43
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 17:00 in Shanghai
CLOCK = FrozenClock(START)


def message(
    message_id: int,
    text: str = "love the new colours",
    *,
    at: datetime = START,
    user: int = FAN,
    rules: MessageRules | None = None,
) -> ChatMessage:
    return ChatMessage(
        chat_id=CHAT,
        user_id=user,
        message_id=message_id,
        sent_at=at,
        fingerprint=fingerprint(text, None),
        earns=visible_length(text) >= 3,
        username=None,
        display_name=f"Fan {user}",
        timezone="Asia/Shanghai",
        rules=rules or MessageRules(),
    )


async def member(pool: async_sessionmaker[AsyncSession], user: int = FAN) -> Member:
    async with pool() as session:
        found = await session.get(Member, (CHAT, user))
        assert found is not None
        return found


async def ledger_rows(pool: async_sessionmaker[AsyncSession]) -> int:
    async with pool() as session:
        return int(await session.scalar(select(func.count()).select_from(LedgerEntry)) or 0)


def test_visible_length_ignores_spaces_and_invisible_characters() -> None:
    assert visible_length(" a\u200b b ") == 2
    assert visible_length("好好好") == 3
    assert visible_length("👍👍👍") == 3
    for text in (" a\u200b b ", "好好好", "ok", "", "a b c d", "\u200b\u200b"):
        assert shows_at_least(text, 3) == (visible_length(text) >= 3)
    assert fingerprint("Hello  World", None) == fingerprint("hello world", None)
    assert fingerprint("", "photo-1") != fingerprint("", "photo-2")


async def test_a_counted_message_earns_and_a_redelivery_pays_nothing(session_pool, chat) -> None:
    tally = MessageTally(session_pool, CLOCK)
    first = await tally.record(message(1))
    again = await tally.record(message(1))
    assert (first.points, again.points) == (1, 0)
    fan = await member(session_pool)
    assert (fan.points, fan.lifetime_points, fan.message_count) == (1, 1, 1)
    assert await ledger_rows(session_pool) == 1


async def test_short_messages_and_repeats_are_counted_but_earn_nothing(session_pool, chat) -> None:
    tally = MessageTally(session_pool, CLOCK)
    later = START + timedelta(minutes=2)
    assert (await tally.record(message(1, "ok"))).points == 0
    assert (await tally.record(message(2, "love it"))).points == 1
    assert (await tally.record(message(3, "Love   it", at=later))).points == 0  # a repeat
    assert (await tally.record(message(4, "and the red one", at=later))).points == 1
    assert (await member(session_pool)).message_count == 4


async def test_fifty_concurrent_messages_in_one_cooldown_pay_once(session_pool, chat) -> None:
    tally = MessageTally(session_pool, CLOCK)
    results = await asyncio.gather(
        *(tally.record(message(n, f"message number {n}")) for n in range(1, 51))
    )
    assert sum(result.points for result in results) == 1
    fan = await member(session_pool)
    assert (fan.points, fan.message_count) == (1, 50)


async def test_two_workers_share_one_cooldown(session_pool, chat) -> None:
    workers = [MessageTally(session_pool, CLOCK), MessageTally(session_pool, CLOCK)]
    results = await asyncio.gather(
        *(workers[n % 2].record(message(n, f"text {n}")) for n in range(1, 21))
    )
    assert sum(result.points for result in results) == 1
    assert (await member(session_pool)).points == 1
    async with session_pool() as session:
        assert await audit(session) == []


async def test_cooldown_and_daily_cap_follow_the_chat_day(session_pool, chat) -> None:
    tally = MessageTally(session_pool, CLOCK)
    rules = MessageRules(points=7, cooldown=60, daily_cap=30)
    earned = [
        (
            await tally.record(
                message(n, f"text {n}", at=START + timedelta(minutes=n), rules=rules)
            )
        ).points
        for n in range(1, 7)
    ]
    assert earned == [7, 7, 7, 7, 2, 0]
    half_a_minute = START + timedelta(minutes=7, seconds=30)
    assert (await tally.record(message(7, "too soon", at=half_a_minute, rules=rules))).points == 0
    # 16:00 UTC is midnight in Shanghai: a new day, a new cap.
    midnight = START.replace(hour=16)
    assert (await tally.record(message(8, "new day", at=midnight, rules=rules))).points == 7
    assert (await member(session_pool)).points == 37


async def seen(pool: async_sessionmaker[AsyncSession], user: int = FAN) -> None:
    """The member's row, as the tracking middleware writes it before any counting."""
    async with pool() as session:
        await record_sightings(session, [Sighting(CHAT, user, None, f"Fan {user}", START)])
        await session.commit()


async def test_message_points_can_be_turned_off(session_pool, chat) -> None:
    await seen(session_pool)
    tally = MessageTally(session_pool, CLOCK)
    off = replace(MessageRules(), points=0)
    assert (await tally.record(message(1, rules=off))).points == 0
    await tally.flush()
    assert (await member(session_pool)).message_count == 1


async def test_messages_inside_a_known_cooldown_are_counted_a_moment_later(
    session_pool, chat
) -> None:
    await seen(session_pool)
    tally = MessageTally(session_pool, CLOCK, flush_after=0.05)
    assert (await tally.record(message(1, "first words"))).points == 1
    for n in range(2, 6):  # the tally knows the member was paid seconds ago: no transaction
        assert (await tally.record(message(n, f"more words {n}"))).points == 0
    assert (await tally.record(message(3, "more words 3"))).points == 0  # delivered again
    assert (await member(session_pool)).message_count == 1
    await asyncio.sleep(0.2)  # written in the background
    fan = await member(session_pool)
    assert (fan.message_count, fan.last_message_id, fan.points) == (5, 5, 1)
    assert fan.last_message_digest == fingerprint("more words 5", None)
    later = START + timedelta(minutes=2)
    assert (await tally.record(message(6, "more words 5", at=later))).points == 0  # a repeat
    assert (await tally.record(message(7, "new words", at=later))).points == 1
    assert (await member(session_pool)).message_count == 7


def test_seen_keeps_a_floor_and_the_latest_ids_above_it() -> None:
    legacy = Seen.parse(None, 40)  # a row from before the window: counted up to its last id
    assert (legacy.has(40), legacy.has(3), legacy.has(41)) == (True, True, False)
    seen = Seen.parse("0 7", 7).adding(5)  # an older message handled after a newer one
    assert (seen.has(5), seen.has(6), seen.has(7), str(seen)) == (True, False, True, "0 5 7")
    full = Seen(0).adding(*range(1, RECENT + 3))  # the oldest two fall under the floor
    assert (full.floor, len(full.ids), full.has(1)) == (2, RECENT, True)
    assert not full.has(RECENT + 3)
    assert Seen.parse(str(full), 0) == full


async def test_a_members_messages_handled_out_of_order_all_count_and_pay(
    session_pool, chat
) -> None:
    await seen(session_pool)
    tally = MessageTally(session_pool, CLOCK, flush_after=0.05)
    later = START + timedelta(seconds=5)
    # The member wrote a long message (5) then "ok" (6); "ok" was handled first.
    assert (await tally.record(message(6, "ok", at=later))).points == 0
    assert (await tally.record(message(5, "love the new colours"))).points == 1
    for redelivered in (5, 6):
        assert (await tally.record(message(redelivered, "ok"))).points == 0
    # A newer message counted only in memory, then an older one through the database.
    assert (await tally.record(message(9, "more words", at=later))).points == 0
    assert (await tally.record(message(8, "other words", at=later))).points == 0
    await tally.flush()
    fan = await member(session_pool)
    assert (fan.message_count, fan.last_message_id, fan.points) == (4, 9, 1)
    # Another worker, knowing nothing, gets a redelivery of each and an older one never seen.
    other = MessageTally(session_pool, CLOCK)
    for redelivered in (5, 6, 8, 9):
        assert (await other.record(message(redelivered, "again", at=later))).points == 0
    await other.record(message(7, "late but real", at=later))
    await other.flush()
    assert (await member(session_pool)).message_count == 5
    async with session_pool() as session:
        assert await audit(session) == []


async def test_reaching_a_tier_by_messages_is_reported_once(session_pool, chat) -> None:
    tally = MessageTally(session_pool, CLOCK, ServiceFactory(CLOCK).points)  # with promotions
    rules = MessageRules(points=60, cooldown=0, daily_cap=1000)
    first = await tally.record(message(1, "one", rules=rules))
    second = await tally.record(message(2, "two", rules=rules))
    third = await tally.record(message(3, "three", rules=rules))
    assert first.promoted_to is None  # 60 points: still a Member
    assert second.promoted_to is not None
    assert second.promoted_to.key == "bronze"
    assert third.promoted_to is None  # 180 points: still Bronze
    assert (await member(session_pool)).tier == "bronze"


async def test_a_new_member_row_is_created_when_missing(session_pool, chat) -> None:
    tally = MessageTally(session_pool, CLOCK)
    assert (await tally.record(message(1, user=OTHER))).points == 1
    assert (await member(session_pool, OTHER)).display_name == f"Fan {OTHER}"
