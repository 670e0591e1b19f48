"""Reactions: the tally keeps who wrote a counted message where reactions earn; a member's first
reaction to someone else's message pays its author once, within the author's daily cap."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from aiogram.types import MessageReactionUpdated, ReactionTypeEmoji, Update, User
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import Resources, create_dispatcher
from handlers.reactions import read_reaction_setting
from infrastructure.config import load_settings
from models import LedgerEntry, Member, MessageAuthor, create_engine, create_session_pool
from services.clock import FrozenClock
from services.message_tally import MessageTally
from services.points import PointsService
from services.points_audit import audit
from services.reactions import (
    KEEP_AUTHORS,
    Earned,
    Reaction,
    ReactionRules,
    ReactionService,
    forget_old_authors,
)
from tests.support.telegram import TOKEN, group, message_update, person, recording_bot
from tests.unit.conftest import GROUP
from tests.unit.test_message_points import message

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # 17:00 in Shanghai
AUTHOR, FAN, OTHER = 42, 43, 44
RULES = ReactionRules(points=2, cap=3)


async def written(pool: async_sessionmaker[AsyncSession], clock: FrozenClock, *ids: int) -> None:
    """The author's messages, counted by the tally in a group whose reactions earn."""
    tally = MessageTally(pool, clock)
    for message_id in ids:
        counted = replace(message(message_id, f"message {message_id}", at=clock.now(),
                                  user=AUTHOR), keeps_author=True)  # fmt: skip
        await tally.record(counted)
    await tally.flush()


async def react(
    pool: async_sessionmaker[AsyncSession], clock: FrozenClock, message_id: int, reactor: int,
    rules: ReactionRules = RULES,
) -> Earned:  # fmt: skip
    async with pool() as session, session.begin():
        service = ReactionService(session, clock, PointsService(session, clock))
        return await service.react(Reaction(GROUP, message_id, reactor), rules, "Asia/Shanghai")


async def points_of(pool: async_sessionmaker[AsyncSession], user: int) -> int:
    async with pool() as session:
        member = await session.get(Member, (GROUP, user))
        return member.points if member is not None else 0


async def test_a_first_reaction_pays_the_author_once(session_pool, chat) -> None:
    clock = FrozenClock(NOW)
    await written(session_pool, clock, 1)
    before = await points_of(session_pool, AUTHOR)  # what the message itself earned
    assert await react(session_pool, clock, 1, FAN) == Earned.PAID
    assert await react(session_pool, clock, 1, FAN) == Earned.ALREADY  # redelivered, re-added
    assert await react(session_pool, clock, 1, OTHER) == Earned.PAID
    assert await points_of(session_pool, AUTHOR) == before + 4
    async with session_pool() as session:
        assert await audit(session) == []


async def test_reacting_to_ones_own_or_an_unknown_message_earns_nothing(session_pool, chat) -> None:
    clock = FrozenClock(NOW)
    await written(session_pool, clock, 1)
    assert await react(session_pool, clock, 1, AUTHOR) == Earned.OWN
    assert await react(session_pool, clock, 99, FAN) == Earned.UNKNOWN  # never counted
    clock.set(NOW + KEEP_AUTHORS + timedelta(seconds=1))
    assert await react(session_pool, clock, 1, FAN) == Earned.UNKNOWN  # too old


async def test_the_cap_holds_a_local_day_and_opens_the_next(session_pool, chat) -> None:
    clock = FrozenClock(NOW)
    await written(session_pool, clock, 1, 2, 3, 4)
    paid = [await react(session_pool, clock, m, FAN) for m in (1, 2, 3, 4)]
    assert paid == [Earned.PAID] * 3 + [Earned.CAPPED]
    assert await react(session_pool, clock, 1, FAN) == Earned.ALREADY  # not capped: paid
    clock.set(NOW + timedelta(hours=7))  # 00:00 the next day in Shanghai
    assert await react(session_pool, clock, 4, FAN) == Earned.PAID  # the capped one, re-added
    async with session_pool() as session:
        rows = await session.scalar(select(func.count()).where(LedgerEntry.reason == "reaction"))
    assert rows == 4


async def test_authors_are_kept_only_where_reactions_earn_and_forgotten(session_pool, chat) -> None:
    clock = FrozenClock(NOW)
    tally = MessageTally(session_pool, clock)
    await tally.record(message(7, "not kept", at=NOW, user=AUTHOR))  # reactions are off
    await written(session_pool, clock, 8)
    async with session_pool() as session:
        kept = list(await session.scalars(select(MessageAuthor.message_id)))
    assert kept == [8]
    clock.set(NOW + KEEP_AUTHORS + timedelta(minutes=1))
    await forget_old_authors(session_pool, clock)
    async with session_pool() as session:
        assert list(await session.scalars(select(MessageAuthor.message_id))) == []


async def test_reactions_side_by_side_never_pass_the_cap(session_pool, chat) -> None:
    clock = FrozenClock(NOW)
    await written(session_pool, clock, 1, 2, 3, 4, 5)
    reactors = [(m, 100 + m) for m in (1, 2, 3, 4, 5)] + [(1, 101)]  # one twice at once
    paid = await asyncio.gather(*(react(session_pool, clock, m, who) for m, who in reactors))
    assert paid.count(Earned.PAID) == RULES.cap
    async with session_pool() as session:
        rows = await session.scalar(select(func.count()).where(LedgerEntry.reason == "reaction"))
        assert rows == RULES.cap
        assert await audit(session) == []


async def test_a_reaction_update_pays_once_through_the_production_dispatcher(
    database_url: str, session_pool: async_sessionmaker[AsyncSession]
) -> None:
    settings = load_settings(bot_token=TOKEN, database_url=database_url, owner_ids="7")
    engine = create_engine(database_url)
    resources = Resources(settings, engine, create_session_pool(engine))
    dispatcher = create_dispatcher(resources)
    bot, telegram = recording_bot()
    chat, owner = group(GROUP), person(7)
    author, fan = person(AUTHOR, name="Bob"), person(FAN, name="Cat")
    try:
        for refused in ("/settings reactions 500", "/settings reactions 2 cap=0"):
            await dispatcher.feed_update(bot, message_update(chat, owner, refused))
        await dispatcher.feed_update(bot, message_update(chat, owner, "/settings reactions 2"))
        assert [text.split("\n")[0] for text in telegram.sent_texts()] == [
            "<code>reactions</code> must be between 0 and 100.",
            "<code>cap</code> must be between 1 and 1,000.",
            "✅ A reaction from another member now earns a message's author 2 points, up to 10 "
            "reactions a day.",
        ]
        written = message_update(chat, author, "New colours are out!")
        await dispatcher.feed_update(bot, written)
        assert written.message is not None

        def reaction(user: User, old: list[str], new: list[str]) -> Update:
            return Update(
                update_id=written.update_id + 100 + len(old) + 10 * len(new) + user.id,
                message_reaction=MessageReactionUpdated(
                    chat=chat, message_id=written.message.message_id, user=user,  # type: ignore[union-attr]
                    date=datetime.now(UTC), old_reaction=[ReactionTypeEmoji(emoji=e) for e in old],
                    new_reaction=[ReactionTypeEmoji(emoji=e) for e in new],
                ),
            )  # fmt: skip

        first = reaction(fan, [], ["👍"])
        for update in (first, first, reaction(fan, ["👍"], ["❤"]), reaction(author, [], ["🔥"])):
            await dispatcher.feed_update(bot, update)  # then topics see it too (SkipHandler)
    finally:
        await resources.close()
    async with session_pool() as session:
        rows = await session.execute(
            select(LedgerEntry.user_id, LedgerEntry.delta).where(LedgerEntry.reason == "reaction")
        )
        assert [tuple(row) for row in rows] == [(AUTHOR, 2)]


def test_the_reactions_setting_reads_points_a_cap_and_off() -> None:
    assert read_reaction_setting(["2"]) == (2, None)
    assert read_reaction_setting(["2", "cap=5"]) == (2, 5)
    assert read_reaction_setting(["2", "CAP＝5"]) == (2, 5)  # full-width, as typed in zh
    assert read_reaction_setting(["OFF"]) == (0, None)
    for unreadable in ([], ["two"], ["2", "cap"], ["2", "limit=5"], ["2", "cap=5", "x"]):
        assert read_reaction_setting(unreadable) is None
