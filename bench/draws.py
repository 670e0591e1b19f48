"""Draws under load: a burst of Join presses through the Dispatcher, and choosing the winners.

1. Join path: 5,000 presses of one draw's "参加 / Join" button by 3,000 members (some press
   twice; each member said hello first, so the run times the join, not a first sighting),
   100 at a time, through the production Dispatcher (the entry, its toast), and through
   bare aiogram with a callback handler that only answers, in the same run; rate and ratio.
   Checks that 3,000 entered, once each.
2. Ending: `DrawService.end` (read the entrants, choose 10 winners, store them) for a draw of
   1,000 entrants and one of 100,000; milliseconds and the large/small ratio.

Run: `python -m bench.draws` (SQLite file) or `python -m bench.draws <empty PostgreSQL URL>`.
"""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import UTC, datetime, timedelta

from aiogram import Dispatcher
from aiogram.types import CallbackQuery, Chat, Message, Update, User
from sqlalchemy import insert

import migrations
from bench.common import Row, feed, fresh_database, group_messages, local_bot
from bench.points import Unsound
from bot.app import Resources, create_dispatcher
from infrastructure.config import load_settings
from models import DrawEntry
from services.chats import ChatService
from services.draw_specs import DrawSpec
from services.draws import DrawService
from services.points import PointsService
from views.draws import DrawButton

GROUP = -1001000  # the chat of bench.common.group_messages
START = datetime.now(UTC) - timedelta(minutes=10)
MEMBERS, PRESSES = 3_000, 5_000


def presses(bot: object, draw_id: int, first_id: int) -> list[Update]:
    chat = Chat(id=GROUP, type="supergroup", title="Fans")
    post = Message(message_id=1, date=datetime.now(UTC), chat=chat, text="draw")
    updates = []
    for n in range(PRESSES):
        user = User(id=10_000 + n % MEMBERS, is_bot=False, first_name=f"Fan{n}", language_code="en")
        query = CallbackQuery(
            id=str(n), from_user=user, chat_instance="c", message=post,
            data=DrawButton(id=draw_id).pack(),
        )  # fmt: skip
        update = Update(update_id=first_id + n, callback_query=query)
        updates.append(Update.model_validate(update.model_dump(), context={"bot": bot}))
    return updates


def answering_dispatcher() -> Dispatcher:
    dispatcher = Dispatcher()

    @dispatcher.callback_query()
    async def answer(query: CallbackQuery) -> None:
        await query.answer("ok")

    return dispatcher


async def open_draw(services: Resources, prize: str) -> int:
    async with services.session_pool() as session, session.begin():
        await ChatService(session, services.clock, "UTC").ensure(GROUP, "supergroup", "Fans")
        draws = DrawService(session, services.clock, PointsService(session, services.clock))
        spec = DrawSpec(prize, 10, services.clock.now() + timedelta(hours=1))
        return (await draws.create(GROUP, 1, spec)).id


async def time_end(services: Resources, entrants: int) -> float:
    draw_id = await open_draw(services, f"{entrants} entrants")
    now = services.clock.now()
    async with services.session_pool() as session, session.begin():
        rows = [
            {"draw_id": draw_id, "user_id": 10_000 + n, "paid": 0, "created_at": now}
            for n in range(entrants)
        ]
        for start in range(0, entrants, 10_000):
            await session.execute(insert(DrawEntry), rows[start : start + 10_000])
    best = float("inf")
    for _ in range(3):  # end() once per draw: the same draw, rolled back each time
        async with services.session_pool() as session:
            draws = DrawService(session, services.clock, PointsService(session, services.clock))
            started = time.perf_counter()
            ended = await draws.end(GROUP, draw_id)
            best = min(best, time.perf_counter() - started)
            assert len(ended.draw.winner_ids) == 10
            await session.rollback()
    return best * 1000


async def measure_joins(services: Resources) -> Row:
    """The join presses, against bare aiogram answering them; every member entered once."""
    fanbot, bare, bot = create_dispatcher(services), answering_dispatcher(), local_bot()
    hello = group_messages(bot, MEMBERS, MEMBERS, 1, "hello {n}", start=START)
    await feed(fanbot, bot, hello)  # every member was seen before, as in bench.checkin
    await services.tally.flush()
    draw_id = await open_draw(services, "Hoodie")
    updates = presses(bot, draw_id, first_id=MEMBERS + 1)
    bare_rate = max([await feed(bare, bot, updates) for _ in range(3)])
    fanbot_rate = await feed(fanbot, bot, updates)  # once: a second run would enter nobody
    async with services.session_pool() as session:
        points = PointsService(session, services.clock)
        entered = len(await DrawService(session, services.clock, points).entrants(draw_id))
    print(f"draw entries: {entered} of {MEMBERS}")
    if entered != MEMBERS:
        raise Unsound(f"{entered} entered of {MEMBERS}")
    return Row("draw join presses (against bare answering)", bare_rate, fanbot_rate, 0.4)


async def measure(url: str) -> list[Row]:
    await asyncio.to_thread(migrations.upgrade, url)
    services = Resources.create(load_settings(bot_token="123456789:" + "A" * 35, database_url=url))
    try:
        return [await measure_joins(services)]
    finally:
        await services.close()


async def main(server: str | None) -> None:
    async with fresh_database(server, "draws") as url:
        await asyncio.to_thread(migrations.upgrade, url)
        services = Resources.create(
            load_settings(bot_token="123456789:" + "A" * 35, database_url=url)
        )
        joins = await measure_joins(services)
        small, large = await time_end(services, 1_000), await time_end(services, 100_000)
        await services.close()
    print(
        f"join presses: bare aiogram {joins.bare:.0f}/s, fanbot {joins.fanbot:.0f}/s, "
        f"ratio {joins.ratio:.2f}"
    )
    print(
        f"end with 10 winners: 1,000 entrants {small:.1f} ms, 100,000 entrants {large:.1f} ms, "
        f"ratio {large / small:.1f} (100x the entrants)"
    )


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else None))
