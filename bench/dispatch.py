"""Hot path: plain group messages and /help commands through fanbot's full Dispatcher.

Prints updates/s for fanbot and for a bare aiogram Dispatcher with a no-op handler, measured in
the same run, and their ratio. Run: `make bench` (or `python -m bench.dispatch`).
"""

from __future__ import annotations

import asyncio
import tempfile

import migrations
from bench.common import bare_dispatcher, feed, group_messages, local_bot
from bot.app import Services, create_dispatcher
from bot.config import load_settings

MESSAGES = 5000
MEMBERS = 500
CHATS = 5


async def main() -> None:
    folder = tempfile.mkdtemp(prefix="fanbot-bench-")
    url = f"sqlite+aiosqlite:///{folder}/bench.db"
    await asyncio.to_thread(migrations.upgrade, url)
    services = Services.create(load_settings(bot_token="123456789:" + "A" * 35, database_url=url))
    fanbot = create_dispatcher(services)
    bare = bare_dispatcher()
    bot = local_bot()
    chatter = group_messages(bot, MESSAGES, MEMBERS, CHATS)
    commands = group_messages(bot, MESSAGES // 5, MEMBERS, CHATS, text="/help")
    await feed(
        fanbot, bot, chatter[:500]
    )  # first sight of every member and chat: not the steady state

    rows = []
    for name, updates in (("group messages", chatter), ("/help commands", commands)):
        bare_rate = max([await feed(bare, bot, updates) for _ in range(3)])
        fanbot_rate = max([await feed(fanbot, bot, updates) for _ in range(3)])
        rows.append((name, bare_rate, fanbot_rate))
    print(f"{'workload':<16} {'bare aiogram/s':>15} {'fanbot/s':>10} {'ratio':>6}")
    for name, bare_rate, fanbot_rate in rows:
        print(f"{name:<16} {bare_rate:>15.0f} {fanbot_rate:>10.0f} {fanbot_rate / bare_rate:>6.2f}")
    await services.close()


if __name__ == "__main__":
    asyncio.run(main())
