"""Sign-ins under load: 10,000 members each say 签到, through the production Dispatcher.

Feeds the same updates through fanbot (every middleware, the sign-in, its reply, the real
database) and, in the same run, through two bare aiogram Dispatchers: one whose handler does
nothing (the baseline of every bench here) and one whose handler only sends a fixed reply (the
least a sign-in must do); prints the rates and both ratios. Every member was seen once before
(a hello), so the run times the sign-in, not a first sighting. It ends by checking that every
member signed in once, with ranks 1..10,000 given once each, and that the ledger adds up.

Run: `python -m bench.checkin` (SQLite file) or `python -m bench.checkin <empty PostgreSQL URL>`.
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
from bench.points import Unsound
from bot.app import Resources, create_dispatcher
from infrastructure.config import load_settings
from models import Checkin
from services.points_audit import audit

MEMBERS = 10_000
START = datetime.now(UTC) - timedelta(minutes=10)


async def measure(url: str) -> list[Row]:
    await asyncio.to_thread(migrations.upgrade, url)
    services = Resources.create(load_settings(bot_token="123456789:" + "A" * 35, database_url=url))
    fanbot, bot = create_dispatcher(services), local_bot()
    bare, replying = bare_dispatcher(), bare_dispatcher(reply="✅ Signed in!")
    hello = group_messages(bot, MEMBERS, MEMBERS, 1, "hello {n}", start=START)
    sign_ins = group_messages(bot, MEMBERS, MEMBERS, 1, "签到", first_id=MEMBERS + 1)
    await feed(fanbot, bot, hello)
    await services.tally.flush()

    bare_rate = max([await feed(bare, bot, sign_ins) for _ in range(3)])
    replying_rate = max([await feed(replying, bot, sign_ins) for _ in range(3)])
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
    print(f"signed in: {signed}, distinct ranks: {ranks}; audit: {len(mismatches)} off")
    if signed != MEMBERS or ranks != MEMBERS or mismatches:
        raise Unsound(f"{signed} signed in, {ranks} ranks of {MEMBERS}, {len(mismatches)} off")
    return [
        Row("sign-ins (签到), against bare no-op", bare_rate, fanbot_rate, 0.35),
        Row("sign-ins (签到), against bare replying", replying_rate, fanbot_rate, 0.7),
    ]


async def main(server: str | None) -> None:
    async with fresh_database(server, "checkin") as url:
        print(f"database: {url.split(':')[0]}")
        print_table(await measure(url))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else None))
