"""/me and /top at scale: 100,000 members and 1,000,000 ledger rows against 1,000 members.

Both groups are filled with the same shape of data (ten ledger rows per member, period totals
for today, this week and this month), then 300 `/me` and 300 `/top week` commands from
distinct members go through fanbot's production Dispatcher (no network). It prints the mean
time per command for each size and the ratio large/small: ranks come from index range scans
and maintained period totals, never a scan of the ledger.

Run: `python -m bench.standing` (SQLite file) or `python -m bench.standing <empty PostgreSQL URL>`.
"""

from __future__ import annotations

import asyncio
import random
import time
from datetime import UTC, datetime, timedelta

from aiogram import Bot
from aiogram.types import Chat, Message, Update, User
from sqlalchemy import insert

import migrations
from bench.common import database_url, feed, local_bot
from bot.app import Resources, create_dispatcher
from infrastructure.chat_cache import ChatCache
from infrastructure.config import load_settings
from models import LedgerEntry, Member, PeriodTotal
from models.queries import table_of
from services.chats import ChatService
from services.standings import period_keys

SIZES = {"small": 1_000, "large": 100_000}
LEDGER_PER_MEMBER = 10
COMMANDS = 300
CHUNK = 5_000


async def fill(services: Resources, chat_id: int, members: int) -> None:
    """Members with points, their ledger rows and period totals, written in big chunks."""
    rng = random.Random(chat_id)
    now = datetime.now(UTC)
    keys = list(period_keys(services.clock.today_in("Asia/Shanghai")).values())
    async with services.session_pool() as session:
        await ChatService(session, services.clock, "Asia/Shanghai").ensure(
            chat_id, "supergroup", "Fans"
        )
        await session.commit()
    for start in range(0, members, CHUNK):
        users = range(start, min(start + CHUNK, members))
        deltas = {user: [rng.randint(1, 50) for _ in range(LEDGER_PER_MEMBER)] for user in users}
        async with services.session_pool() as session:
            await session.execute(
                insert(table_of(Member)),
                [
                    {
                        "chat_id": chat_id, "user_id": 10_000 + user, "display_name": f"Fan{user}",
                        "points": sum(deltas[user]), "lifetime_points": sum(deltas[user]),
                        "message_count": 10, "streak": 0, "best_streak": 0, "tags": [],
                        "last_message_id": 0, "message_points_today": 0,
                    }
                    for user in users
                ],
            )  # fmt: skip
            await session.execute(
                insert(table_of(LedgerEntry)),
                [
                    {
                        "chat_id": chat_id, "user_id": 10_000 + user, "delta": delta,
                        "reason": "message", "idempotency_key": f"fill:{chat_id}:{user}:{n}",
                        "created_at": now - timedelta(days=n),
                    }
                    for user in users
                    for n, delta in enumerate(deltas[user])
                ],
            )  # fmt: skip
            await session.execute(
                insert(table_of(PeriodTotal)),
                [
                    {"chat_id": chat_id, "period": key, "user_id": 10_000 + user,
                     "earned": sum(deltas[user][: 1 + index * 3])}
                    for user in users
                    for index, key in enumerate(keys)
                ],
            )  # fmt: skip
            await session.commit()


def commands(
    bot: Bot, chat_cache: ChatCache, chat_id: int, members: int, text: str, first_id: int
) -> list[Update]:
    users = random.Random(7).sample(range(members), COMMANDS)
    for user in users:  # seen before: the bench times the command, not a first sighting
        chat_cache.sighted(chat_id, 10_000 + user)
    updates = []
    for n, user in enumerate(users):
        message = Message(
            message_id=first_id + n,
            date=datetime.now(UTC),
            chat=Chat(id=chat_id, type="supergroup", title="Fans"),
            from_user=User(id=10_000 + user, is_bot=False, first_name=f"Fan{user}"),
            text=text,
        )
        update = Update(update_id=first_id + n, message=message)
        updates.append(Update.model_validate(update.model_dump(), context={"bot": bot}))
    return updates


async def main(url: str) -> None:
    await asyncio.to_thread(migrations.upgrade, url)
    services = Resources.create(load_settings(bot_token="123456789:" + "A" * 35, database_url=url))
    dispatcher, bot = create_dispatcher(services), local_bot()
    chats = {"small": -1001, "large": -1002}
    for size, members in SIZES.items():
        started = time.perf_counter()
        await fill(services, chats[size], members)
        print(f"filled {size}: {members} members in {time.perf_counter() - started:.0f} s")
    for size, members in SIZES.items():  # the chat's profile is cached from then on
        await feed(
            dispatcher,
            bot,
            commands(bot, services.chat_cache, chats[size], members, "/me", 9000)[:1],
        )
    results: dict[tuple[str, str], float] = {}
    for text in ("/me", "/top week", "/top"):
        for size, members in SIZES.items():
            first_id = len(results) * 1000 + 1
            updates = commands(bot, services.chat_cache, chats[size], members, text, first_id)
            rate = await feed(dispatcher, bot, updates)
            results[text, size] = 1000 / rate  # milliseconds per command
    await services.close()
    print(f"database: {url.split(':')[0]}")
    print(f"{'command':<10} {'1k members ms':>14} {'100k members ms':>16} {'ratio':>6}")
    for text in ("/me", "/top week", "/top"):
        small, large = results[text, "small"], results[text, "large"]
        print(f"{text:<10} {small:>14.2f} {large:>16.2f} {large / small:>6.2f}")


if __name__ == "__main__":
    asyncio.run(main(database_url("standing")))
