"""Message points under load: 20,000 group messages from 2,000 members, through the real stack.

Feeds the same updates through fanbot's production Dispatcher (every middleware, the message
tally, the real database) and through a bare aiogram Dispatcher with a no-op handler, in the
same run, and prints both rates and their ratio, for two workloads:

- chatter: each member's 10 messages come a second apart, so the first one earns a point and
  the other nine are counted inside the cooldown (a lively group);
- every message paid: each member's messages are 61 s apart, so all 20,000 earn a point, each
  a ledger row committed before its update counts as handled (the worst case).

The run ends by checking the ledger against the balances.
Run: `python -m bench.points` (SQLite file) or `python -m bench.points <empty PostgreSQL URL>`.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

import migrations
from bench.common import (
    Row,
    bare_dispatcher,
    feed,
    fresh_database,
    group_messages,
    local_bot,
    print_table,
)
from bot.app import Resources, create_dispatcher
from infrastructure.config import load_settings
from models import LedgerEntry
from services.points_audit import audit

MESSAGES = 20_000
MEMBERS = 2_000
CHATS = 4
START = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai: the day has room


class Unsound(Exception):
    """The run's ledger does not add up: its figures mean nothing."""


async def measure(url: str) -> list[Row]:
    await asyncio.to_thread(migrations.upgrade, url)
    services = Resources.create(load_settings(bot_token="123456789:" + "A" * 35, database_url=url))
    fanbot, bare, bot = create_dispatcher(services), bare_dispatcher(), local_bot()
    # First sight of every member (a row each) is not the steady state: done before timing.
    hello = group_messages(bot, MEMBERS, MEMBERS, CHATS, "hello {n}", start=START)
    await feed(fanbot, bot, hello)
    workloads = [
        ("chatter (most inside the cooldown)", timedelta(seconds=1), MEMBERS, 0.6),
        ("every message paid", timedelta(seconds=61), MESSAGES, 0.4),
    ]
    rows, expected = [], MEMBERS
    for number, (name, every, paid, target) in enumerate(workloads, start=1):
        start = START + number * timedelta(minutes=15)
        first_id = MEMBERS + (number - 1) * MESSAGES + 1
        updates = group_messages(
            bot, MESSAGES, MEMBERS, CHATS, f"{name} {{n}}", start=start, every=every,
            first_id=first_id,
        )  # fmt: skip
        bare_rate = max([await feed(bare, bot, updates) for _ in range(3)])
        fanbot_rate = await feed(fanbot, bot, updates)  # once: a second run would pay nothing
        rows.append(Row(name, bare_rate, fanbot_rate, target))
        expected += paid

    async with services.session_pool() as session:
        paid_now = await session.scalar(
            select(func.count()).where(LedgerEntry.reason == "message", LedgerEntry.delta > 0)
        )
        mismatches = await audit(session)
    await services.close()
    print(f"message points paid: {paid_now} (expected {expected}); audit: {len(mismatches)} off")
    if paid_now != expected or mismatches:
        raise Unsound(f"{paid_now} message points paid of {expected}, {len(mismatches)} off")
    return rows


async def main(server: str | None) -> None:
    async with fresh_database(server, "points") as url:
        print(f"database: {url.split(':')[0]}")
        print_table(await measure(url))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else None))
