"""Message points under load: 20,000 group messages from 2,000 members, every one of them paid.

Feeds the same updates through fanbot's production Dispatcher (every middleware, the message
tally, the real database) and through a bare aiogram Dispatcher with a no-op handler, in the
same run, and prints both rates and their ratio. Each member's messages are 61 s apart, so every
message is past the cooldown and earns a point: 20,000 ledger rows, each committed before its
update counts as handled. The run ends by checking the ledger against the balances.

Run: `python -m bench.points` (SQLite file) or `python -m bench.points <empty PostgreSQL URL>`.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

import migrations
from bench.common import bare_dispatcher, feed, group_messages, local_bot
from bot.app import Services, create_dispatcher
from bot.config import load_settings
from models import LedgerEntry
from services.points import audit

MESSAGES = 20_000
MEMBERS = 2_000
CHATS = 4
START = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai: the day has room


async def main(url: str) -> None:
    await asyncio.to_thread(migrations.upgrade, url)
    services = Services.create(load_settings(bot_token="123456789:" + "A" * 35, database_url=url))
    fanbot, bare, bot = create_dispatcher(services), bare_dispatcher(), local_bot()
    # First sight of every member (a row each) is not the steady state: done before timing.
    hello = group_messages(bot, MEMBERS, MEMBERS, CHATS, "hello {n}", start=START)
    chatter = group_messages(
        bot, MESSAGES, MEMBERS, CHATS, "message {n} about the new colours",
        start=START + timedelta(minutes=5), every=timedelta(seconds=61), first_id=MEMBERS + 1,
    )  # fmt: skip
    await feed(fanbot, bot, hello)

    bare_rate = max([await feed(bare, bot, chatter) for _ in range(3)])
    fanbot_rate = await feed(fanbot, bot, chatter)  # once: a second run would pay nothing

    async with services.session_pool() as session:
        paid = await session.scalar(
            select(func.count()).where(LedgerEntry.reason == "message", LedgerEntry.delta > 0)
        )
        mismatches = await audit(session)
    await services.close()
    print(f"database: {url.split(':')[0]}")
    print(f"{'workload':<22} {'bare aiogram/s':>15} {'fanbot/s':>10} {'ratio':>6}")
    print(
        f"{'paid group messages':<22} {bare_rate:>15.0f} {fanbot_rate:>10.0f} "
        f"{fanbot_rate / bare_rate:>6.2f}"
    )
    print(f"message points paid: {paid} (expected {MEMBERS + MESSAGES}); audit: {len(mismatches)}")
    if paid != MEMBERS + MESSAGES or mismatches:
        sys.exit(1)


if __name__ == "__main__":
    database = (
        sys.argv[1]
        if len(sys.argv) > 1
        else f"sqlite+aiosqlite:///{tempfile.mkdtemp(prefix='fanbot-bench-')}/points.db"
    )
    asyncio.run(main(database))
