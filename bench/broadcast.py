"""300 groups with a post at 09:00 each: how fast they all go out under Telegram's limits.

The sandbox runs as its own process with Telegram's limits on (30 messages/s overall, 1/s per
chat, 20/min per group); 300 scheduled posts fire at once, as their 300 jobs would at 09:00,
through the production bot (each job claims its run and writes an outbox row; the outbox
sender, woken as they commit, sends them through the pacing layer). The floor is
300 / 30 = 10 s: the figure is the achieved rate as a ratio of the limit (target ≥ 0.95) and
the 429s drawn (target 0).
For comparison, bare aiogram sends the same 300 messages at once, unpaced, in the same run.

Run: `python -m bench.broadcast` (SQLite file) or `python -m bench.broadcast <PostgreSQL URL>`.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramRetryAfter

import migrations
from bench.common import database_url
from bot.app import Resources, create_bot
from infrastructure.background import Background
from infrastructure.config import load_settings
from infrastructure.i18n import create_i18n
from sandbox.client import SandboxClient
from sandbox.server import DEFAULT_TOKEN
from scheduler.posts import PostJobs
from services.chats import ChatService
from services.factory import ServiceFactory
from services.posts import PostContent, PostService, parse_post
from workflows.outbox import OutboxSender
from workflows.rights import RightsNotices

GROUPS = 300
LIMIT = 30.0  # messages per second, overall


def start_sandbox() -> tuple[subprocess.Popen[bytes], str]:
    url_file = Path(tempfile.mkdtemp(prefix="fanbot-bench-")) / "url"
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--port", "0", "--url-file", str(url_file)],
        stdout=subprocess.DEVNULL,
    )
    while not url_file.exists() or not url_file.read_text():
        time.sleep(0.05)
    return process, url_file.read_text()


async def schedule_posts(services: Resources, chat_ids: list[int]) -> list[int]:
    async with services.session_pool() as session, session.begin():
        chats = ChatService(session, services.clock, "Asia/Shanghai")
        posts = PostService(session, services.clock, "Asia/Shanghai")
        ids = []
        for number, chat_id in enumerate(chat_ids):
            await chats.ensure(chat_id, "supergroup", f"Shop {number}")
            request = parse_post("daily 09:00 Good morning!", services.clock.now(), "Asia/Shanghai")
            post = await posts.create(
                chat_id, 1, request, PostContent(f"Good morning, shop {number}!")
            )
            ids.append(post.id)
    return ids


async def bare_burst(sandbox_url: str, chat_ids: list[int]) -> tuple[float, int]:
    """Bare aiogram: every message at once, no pacing; (seconds, 429s)."""
    bot = Bot(DEFAULT_TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(sandbox_url)))
    refused = 0

    async def send(chat_id: int) -> None:
        nonlocal refused
        try:
            await bot.send_message(chat_id, "Good morning!")
        except TelegramRetryAfter:
            refused += 1

    started = time.perf_counter()
    await asyncio.gather(*(send(chat_id) for chat_id in chat_ids))
    elapsed = time.perf_counter() - started
    await bot.session.close()
    return elapsed, refused


async def main(url: str) -> None:
    process, sandbox_url = start_sandbox()
    client = SandboxClient(sandbox_url)
    try:
        await client.set_limits()  # Telegram's: 30/s, 1/s per chat, 20/min per group
        groups = [await client.create_group(f"Shop {n}") for n in range(GROUPS)]
        chat_ids = [group.id for group in groups]
        await asyncio.to_thread(migrations.upgrade, url)
        settings = load_settings(
            bot_token=DEFAULT_TOKEN, database_url=url, telegram_api_url=sandbox_url
        )
        services = Resources.create(settings)
        bot = create_bot(settings, services)
        post_ids = await schedule_posts(services, chat_ids)
        background = Background(
            services.session_pool,
            ServiceFactory(services.clock, "Asia/Shanghai"),
            create_i18n("en"),
        )
        outbox = OutboxSender(background, RightsNotices(background), gather={})
        jobs = PostJobs(background, 600, queued=outbox.wake)
        before = (await client.stats())["rejected_429"]
        started = time.perf_counter()
        sender = asyncio.create_task(outbox.run(bot))
        nine = services.clock.now()  # as if it were 09:00: the outbox rows' grace runs from it
        await asyncio.gather(*(jobs.fire(bot, post_id, nine) for post_id in post_ids))
        while (await client.stats())["calls"].get("send_message", 0) < GROUPS:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - started
        sender.cancel()
        stats = await client.stats()
        fanbot_429 = stats["rejected_429"] - before
        sent = stats["calls"].get("send_message", 0)
        await bot.session.close()
        await services.close()
        await asyncio.sleep(2)  # the sandbox's windows empty
        bare_elapsed, bare_429 = await bare_burst(sandbox_url, chat_ids)
    finally:
        await client.close()
        process.terminate()
        process.wait(10)
    rate = GROUPS / elapsed
    print(f"database: {url.split(':')[0]}")
    print(
        f"{GROUPS} posts at 09:00: fanbot {elapsed:.1f} s ({rate:.1f}/s), "
        f"{rate / LIMIT:.2f} of the {LIMIT:.0f}/s limit, 429s drawn: {fanbot_429}; "
        f"messages the sandbox took: {sent}"
    )
    print(
        f"bare aiogram, unpaced: {bare_elapsed:.1f} s, 429s drawn: {bare_429} of {GROUPS} "
        "(each a message Telegram refused)"
    )
    if fanbot_429 or sent < GROUPS:
        sys.exit(1)


if __name__ == "__main__":
    asyncio.run(main(database_url("broadcast")))
