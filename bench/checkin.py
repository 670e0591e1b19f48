"""Sign-ins under load: 10,000 members each say 签到, through the production Dispatcher.

Feeds the same updates through fanbot (every middleware, the sign-in, its reply, the real
database) and through a bare aiogram Dispatcher with a no-op handler, in the same run, and
prints both rates and their ratio. Every member was seen once before (a hello), so the run
times the sign-in, not a first sighting. It ends by checking that every member signed in once,
with ranks 1..10,000 given once each, and that the ledger adds up.

Run: `python -m bench.checkin` (SQLite file) or `python -m bench.checkin <empty PostgreSQL URL>`.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

import migrations
from bench.common import bare_dispatcher, database_url, feed, group_messages, local_bot
from bot.app import Services, create_dispatcher
from bot.config import load_settings
from models import Checkin
from services.points import audit

MEMBERS = 10_000
START = datetime.now(UTC) - timedelta(minutes=10)


async def main(url: str) -> None:
    await asyncio.to_thread(migrations.upgrade, url)
    services = Services.create(load_settings(bot_token="123456789:" + "A" * 35, database_url=url))
    fanbot, bare, bot = create_dispatcher(services), bare_dispatcher(), local_bot()
    hello = group_messages(bot, MEMBERS, MEMBERS, 1, "hello {n}", start=START)
    sign_ins = group_messages(bot, MEMBERS, MEMBERS, 1, "签到", first_id=MEMBERS + 1)
    await feed(fanbot, bot, hello)
    await services.tally.flush()

    bare_rate = max([await feed(bare, bot, sign_ins) for _ in range(3)])
    fanbot_rate = await feed(fanbot, bot, sign_ins)  # once: a second run would sign nobody in

    async with services.session_pool() as session:
        signed, ranks = (
            await session.execute(
                select(func.count(), func.count(func.distinct(Checkin.rank))).where(
                    Checkin.rank > 0
                )
            )
        ).one()
        mismatches = await audit(session)
    await services.close()
    print(f"database: {url.split(':')[0]}")
    print(f"{'workload':<20} {'bare aiogram/s':>15} {'fanbot/s':>10} {'ratio':>6}")
    print(
        f"{'sign-ins':<20} {bare_rate:>15.0f} {fanbot_rate:>10.0f} {fanbot_rate / bare_rate:>6.2f}"
    )
    print(f"signed in: {signed}, distinct ranks: {ranks}; audit: {len(mismatches)} off")
    if signed != MEMBERS or ranks != MEMBERS or mismatches:
        sys.exit(1)


if __name__ == "__main__":
    asyncio.run(main(database_url("checkin")))
