"""`python -m bench.web`: the console's members page for a group of 100,000 members against one
of 1,000 (the target: at most 2x the time), a deep page of the large group, the overview, and
the shop page with a redemption a member (its gifts to send and latest redemptions);
beside a bare aiohttp handler answering a page of the same size, in the same run.

The web runs in this process on a migrated SQLite file, against the sandbox (a process) as
Telegram; the admin is an owner, so no admin list is fetched. Each figure is the median of
sequential requests after a warm-up.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from aiohttp import web
from sqlalchemy import insert

import migrations
from bot.app import Resources, create_bot, create_dispatcher
from infrastructure.config import load_settings
from models import Member, Redemption, Reward
from sandbox.server import DEFAULT_TOKEN
from services.chats import ChatService
from tests.support.processes import SandboxProcess, free_port
from web.app import add_web
from web.auth import Keys

OWNER = 777
SMALL, LARGE = -1001, -1002
REQUESTS = 60


async def seed(services: Resources, chat_id: int, members: int) -> None:
    now = datetime.now(UTC)
    async with services.session_pool() as session:
        await ChatService(session, services.clock, "Asia/Shanghai").ensure(
            chat_id, "supergroup", f"Group of {members}"
        )
        for start in range(0, members, 5000):
            rows = [
                {"chat_id": chat_id, "user_id": 10_000 + n, "display_name": f"Fan {n}",
                 "username": f"fan{n}", "points": (n * 7919) % 5000,
                 "lifetime_points": (n * 7919) % 9000, "message_count": n % 300,
                 "last_seen_at": now - timedelta(minutes=n % 10_000)}
                for n in range(start, min(members, start + 5000))
            ]  # fmt: skip
            await session.execute(insert(Member), rows)
        # The shop: a coupon and a gift, and a redemption a member (a gift every tenth).
        rewards = [
            Reward(chat_id=chat_id, name=name, kind=kind, price=10, limit_per="ever",
                   status="active", redeemed=0, points_spent=0, created_by=OWNER, created_at=now)
            for name, kind in (("Coupon", "coupon"), ("Gift", "gift"))
        ]  # fmt: skip
        session.add_all(rewards)
        await session.flush()
        for start in range(0, members, 5000):
            rows = [
                {"key": f"bench:{chat_id}:{n}", "chat_id": chat_id, "user_id": 10_000 + n,
                 "reward_id": rewards[n % 10 == 0].id, "source": "shop", "price": 10,
                 "status": "sent" if n % 10 == 0 and n > 50 else "issued", "created_at": now}
                for n in range(start, min(members, start + 5000))
            ]  # fmt: skip
            await session.execute(insert(Redemption), rows)
        await session.commit()


async def timed(http: aiohttp.ClientSession, url: str, cookies: dict[str, str]) -> float:
    """Median milliseconds of REQUESTS sequential GETs (after five to warm up)."""
    times = []
    for n in range(REQUESTS + 5):
        started = time.perf_counter()
        async with http.get(url, cookies=cookies) as answer:
            await answer.read()
            assert answer.status == 200, (url, answer.status)
        if n >= 5:
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def main(database: str) -> int:
    sandbox = SandboxProcess()
    port, bare_port = free_port(), free_port()
    settings = load_settings(
        bot_token=DEFAULT_TOKEN, database_url=database, telegram_api_url=sandbox.url,
        web_url=f"http://127.0.0.1:{port}", owner_ids=str(OWNER), scheduler_enabled=False,
        log_level="WARNING",
    )  # fmt: skip
    services = Resources.create(settings)
    bot = create_bot(settings, services)
    dispatcher = create_dispatcher(services)
    await seed(services, SMALL, 1_000)
    await seed(services, LARGE, 100_000)
    app = web.Application()
    dispatcher.share_with(app)
    add_web(app, services, bot)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    page_size = 0

    async def bare(_request: web.Request) -> web.Response:
        return web.Response(text="x" * page_size, content_type="text/html")

    bare_app = web.Application()
    bare_app.router.add_get("/", bare)
    bare_runner = web.AppRunner(bare_app, access_log=None)
    await bare_runner.setup()
    await web.TCPSite(bare_runner, "127.0.0.1", bare_port).start()
    cookies = {"fanbot_session": Keys(DEFAULT_TOKEN).session_cookie(OWNER, time.time())}
    base = f"http://127.0.0.1:{port}/console"
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/{LARGE}/members", cookies=cookies) as answer:
                page_size = len(await answer.read())
            deep = f"{base}/{LARGE}/members?after=2500:60000"  # about page 1,000 of 2,000
            figures = {
                "bare aiohttp, same size": await timed(http, f"http://127.0.0.1:{bare_port}/", {}),
                "members, 1,000": await timed(http, f"{base}/{SMALL}/members", cookies),
                "members, 100,000": await timed(http, f"{base}/{LARGE}/members", cookies),
                "members, 100,000, deep page": await timed(http, deep, cookies),
                "members, 100,000, by last seen": await timed(
                    http, f"{base}/{LARGE}/members?sort=seen", cookies),
                "members, 100,000, name search": await timed(
                    http, f"{base}/{LARGE}/members?q=fan 4242", cookies),
                "overview, 100,000 (30 days)": await timed(http, f"{base}/{LARGE}", cookies),
                "shop, 1,000 redemptions": await timed(http, f"{base}/{SMALL}/shop", cookies),
                "shop, 100,000 redemptions": await timed(http, f"{base}/{LARGE}/shop", cookies),
            }  # fmt: skip
    finally:
        await runner.cleanup()
        await bare_runner.cleanup()
        await bot.session.close()
        await services.close()
        sandbox.stop()
    bare_ms = figures["bare aiohttp, same size"]
    print(f"{'page':36} {'median ms':>10} {'x bare':>8}")
    for name, ms in figures.items():
        print(f"{name:36} {ms:10.2f} {ms / bare_ms:8.1f}")
    ratio = figures["members, 100,000"] / figures["members, 1,000"]
    print(f"members page, 100,000 against 1,000: {ratio:.2f}x (target: at most 2x)")
    return 0 if ratio <= 2 else 1


if __name__ == "__main__":
    folder = Path(tempfile.mkdtemp(prefix="fanbot-bench-web-"))
    url = f"sqlite+aiosqlite:///{folder / 'web.db'}"
    migrations.upgrade(url)  # before the loop: Alembic runs one of its own
    sys.exit(asyncio.run(main(url)))
