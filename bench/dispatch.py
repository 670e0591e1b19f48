"""Hot path: plain group messages and /help commands through fanbot's full Dispatcher.

Prints updates/s for fanbot and for a bare aiogram Dispatcher with a no-op handler, measured in
the same run, and their ratio. Run: `make bench` (or `python -m bench.dispatch`).
"""

from __future__ import annotations

import asyncio
import sys

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

MESSAGES = 5000
MEMBERS = 500
CHATS = 5


async def measure(url: str) -> list[Row]:
    await asyncio.to_thread(migrations.upgrade, url)
    services = Resources.create(load_settings(bot_token="123456789:" + "A" * 35, database_url=url))
    fanbot = create_dispatcher(services)
    bare = bare_dispatcher()
    bot = local_bot()
    chatter = group_messages(bot, MESSAGES, MEMBERS, CHATS)
    commands = group_messages(bot, MESSAGES // 5, MEMBERS, CHATS, text="/help")
    await feed(
        fanbot, bot, chatter[:500]
    )  # first sight of every member and chat: not the steady state

    rows = []
    workloads = (("group messages", chatter, 0.6), ("/help commands", commands, 0.5))
    for name, updates, target in workloads:
        bare_rate = max([await feed(bare, bot, updates) for _ in range(3)])
        fanbot_rate = max([await feed(fanbot, bot, updates) for _ in range(3)])
        rows.append(Row(name, bare_rate, fanbot_rate, target))
    await services.close()
    return rows


async def main(server: str | None) -> None:
    async with fresh_database(server, "dispatch") as url:
        print_table(await measure(url))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else None))
