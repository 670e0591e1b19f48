"""Analytics at scale: `/stats 30d` on 100,000 members and 5,000,000 messages' worth of roll-ups
against 1,000 members, and `fanbot export ledger` of 1,000,000 rows (time and peak memory).

Both groups get 180 days of `daily_stats` (the large one's messages add up to 5,000,000) and
their member rows; `/stats 30d` then goes through fanbot's production Dispatcher (no network;
the chart is rendered each time), and `StatsService.report` alone is timed as well. The export
runs the real command line in a child process, which reports its own peak memory; 100,000 rows
are exported first, so the two peaks show whether memory stays flat.

Run: `python -m bench.stats` (SQLite file) or `python -m bench.stats <empty PostgreSQL URL>`.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

from aiogram.types import Chat, Message, Update, User
from sqlalchemy import insert

import migrations
from bench.common import database_url, feed, local_bot
from bot.app import Resources, create_dispatcher
from infrastructure.config import load_settings
from models import DailyStats, LedgerEntry, Member
from models.queries import table_of
from services.chats import ChatService
from services.stats import StatsService

TOKEN = "123456789:" + "A" * 35
OWNER = 7
SIZES = {"small": (1_000, 50_000), "large": (100_000, 5_000_000)}  # members, messages
DAYS = 180
COMMANDS = 20
CHUNK = 10_000
EXPORTS = {-1003: 100_000, -1004: 1_000_000}  # chat → ledger rows
# The child prints its own peak resident memory (KB) last, on stderr: VmHWM starts afresh at
# exec, where ru_maxrss would still count the pages the child shared with this process.
PEAK = (
    "import sys; from bot.cli import main; code = main(sys.argv[1:]); "
    "hwm = [line for line in open('/proc/self/status') if line.startswith('VmHWM')][0]; "
    "print(hwm.split()[1], file=sys.stderr); sys.exit(code)"
)


async def ensure_chat(services: Resources, chat_id: int) -> None:
    async with services.session_pool() as session:
        await ChatService(session, services.clock, "Asia/Shanghai").ensure(
            chat_id, "supergroup", "Fans"
        )
        await session.commit()


async def fill_group(services: Resources, chat_id: int, members: int, messages: int) -> None:
    rng = random.Random(chat_id)
    await ensure_chat(services, chat_id)
    today = services.clock.today_in("Asia/Shanghai")
    per_day = messages // DAYS
    async with services.session_pool() as session:
        await session.execute(
            insert(table_of(DailyStats)),
            [
                {
                    "chat_id": chat_id, "day": today - timedelta(days=n),
                    "messages": per_day, "active_members": members // 10,
                    "joins": rng.randint(0, members // 100),
                    "leaves": rng.randint(0, members // 300),
                    "checkins": members // 20, "draw_entries": members // 50,
                    "topic_replies": members // 40, "referral_joins": members // 500,
                    "points_issued": per_day * 2, "points_spent": per_day // 2,
                }
                for n in range(DAYS)
            ],
        )  # fmt: skip
        for start in range(0, members, CHUNK):
            await session.execute(
                insert(table_of(Member)),
                [
                    {
                        "chat_id": chat_id, "user_id": 10_000 + user, "display_name": f"Fan{user}",
                        "points": 10, "lifetime_points": 10, "message_count": 50, "streak": 0,
                        "best_streak": 0, "tags": [], "last_message_id": 0,
                        "message_points_today": 0, "active_days": 0, "replies_received": 0,
                    }
                    for user in range(start, min(start + CHUNK, members))
                ],
            )  # fmt: skip
        await session.commit()


async def fill_ledger(services: Resources, chat_id: int, rows: int) -> None:
    await ensure_chat(services, chat_id)
    start = datetime.now(UTC) - timedelta(days=300)
    for first in range(0, rows, CHUNK):
        async with services.session_pool() as session:
            await session.execute(
                insert(table_of(LedgerEntry)),
                [
                    {
                        "chat_id": chat_id, "user_id": 10_000 + n % 5_000, "delta": n % 40 - 10,
                        "reason": "message" if n % 40 >= 10 else "draw",
                        "idempotency_key": f"fill:{chat_id}:{n}", "ref": None,
                        "created_at": start + timedelta(seconds=n * 25),
                    }
                    for n in range(first, min(first + CHUNK, rows))
                ],
            )  # fmt: skip
            await session.commit()


def stats_commands(chat_id: int, first_id: int) -> list[Update]:
    bot = local_bot()
    updates = []
    for n in range(COMMANDS):
        message = Message(
            message_id=first_id + n,
            date=datetime.now(UTC),
            chat=Chat(id=chat_id, type="supergroup", title="Fans"),
            from_user=User(id=OWNER, is_bot=False, first_name="Owner"),
            text="/stats 30d",
        )
        update = Update(update_id=first_id + n, message=message)
        updates.append(Update.model_validate(update.model_dump(), context={"bot": bot}))
    return updates


async def export(url: str, chat_id: int, folder: str) -> tuple[float, int, int]:
    """Seconds, peak memory (MB) and file size (MB) of `fanbot export ledger` in a child."""
    path = os.path.join(folder, f"ledger{chat_id}.csv")
    env = os.environ | {"BOT_TOKEN": TOKEN, "DATABASE_URL": url}
    started = time.perf_counter()
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", PEAK, "export", "ledger", "--chat", str(chat_id), "-o", path,
        env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await child.communicate()
    seconds = time.perf_counter() - started
    assert child.returncode == 0, err.decode()
    peak_kb = int(err.decode().split()[-1])
    return seconds, peak_kb // 1024, os.stat(path).st_size // 2**20


async def main(url: str) -> None:
    await asyncio.to_thread(migrations.upgrade, url)
    settings = load_settings(bot_token=TOKEN, database_url=url, owner_ids=str(OWNER))
    services = Resources.create(settings)
    dispatcher, bot = create_dispatcher(services), local_bot()
    chats = {"small": -1001, "large": -1002}
    for size, (members, messages) in SIZES.items():
        started = time.perf_counter()
        await fill_group(services, chats[size], members, messages)
        print(f"filled {size}: {members:,} members, {messages:,} messages' roll-ups "
              f"in {time.perf_counter() - started:.0f} s")  # fmt: skip
    for size in SIZES:  # warm-up: profiles cached, matplotlib loaded
        await feed(dispatcher, bot, stats_commands(chats[size], 90_000)[:2])
    timings: dict[str, tuple[float, float]] = {}
    for round_ in range(2):
        for size in SIZES:
            rate = await feed(dispatcher, bot, stats_commands(chats[size], 1000 * (round_ + 1)))
            started = time.perf_counter()
            for _ in range(200):
                async with services.session_pool() as session:
                    report = await StatsService(session, services.clock).report(
                        chats[size], "Asia/Shanghai", 30, SIZES[size][0]
                    )
                    assert report is not None
            query_ms = (time.perf_counter() - started) / 200 * 1000
            best = timings.get(size, (float("inf"), float("inf")))
            timings[size] = (min(best[0], 1000 / rate), min(best[1], query_ms))
    print(f"database: {url.split(':')[0]}")
    print(f"{'/stats 30d':<28} {'1k members':>11} {'100k members':>13} {'ratio':>6}")
    for index, label in enumerate(("whole command, chart incl. ms", "roll-up query (report) ms")):
        small, large = timings["small"][index], timings["large"][index]
        print(f"{label:<28} {small:>11.2f} {large:>13.2f} {large / small:>6.2f}")

    for chat_id, rows in EXPORTS.items():
        started = time.perf_counter()
        await fill_ledger(services, chat_id, rows)
        print(f"filled {rows:,} ledger rows in {time.perf_counter() - started:.0f} s")
    await services.close()
    with tempfile.TemporaryDirectory() as folder:
        for chat_id, rows in EXPORTS.items():
            seconds, peak, megabytes = await export(url, chat_id, folder)
            print(
                f"fanbot export ledger, {rows:>9,} rows: {seconds:5.1f} s, {rows / seconds:,.0f} "
                f"rows/s, peak memory {peak} MB, file {megabytes} MB"
            )


if __name__ == "__main__":
    asyncio.run(main(database_url("stats")))
