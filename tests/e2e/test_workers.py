"""Two bot processes on one PostgreSQL: only the scheduler-lock holder sends what the bot says
on its own, so 300 groups' 09:00 posts go out once each at one process's pace."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest

from models import create_engine, create_session_pool
from sandbox.client import SandboxClient
from services.chats import ChatService
from services.clock import Clock
from services.posts import PostContent, PostService, parse_post
from tests.conftest import PG_URL, create_database
from tests.e2e.test_posts import SHANGHAI, a_minute_ahead, just_before
from tests.support.processes import BotProcess, SandboxProcess, ShiftedClock, free_port

GROUPS = 300
pytestmark = pytest.mark.skipif(
    not PG_URL, reason="SQLite is one process's database: one worker only"
)


async def schedule(database_url: str, chat_ids: list[int], at: str) -> None:
    """A daily post in each group, written as `/post daily <at>` would write it."""
    engine = create_engine(database_url)
    try:
        async with create_session_pool(engine)() as session, session.begin():
            clock = Clock()
            for number, chat_id in enumerate(chat_ids):
                await ChatService(session, clock, "Asia/Shanghai").ensure(
                    chat_id, "supergroup", f"Shop {number}"
                )
                request = parse_post(f"daily {at} Good morning!", clock.now(), "Asia/Shanghai")
                await PostService(session, clock, "Asia/Shanghai").create(
                    chat_id, 1, request, PostContent(f"Good morning, shop {number}!")
                )
    finally:
        await engine.dispose()


def webhook_env(port: int) -> dict[str, str]:
    return {
        "SCHEDULER_ENABLED": "true",
        "WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
        "WEBHOOK_SECRET": "two-workers",
        "WEBHOOK_HOST": "127.0.0.1",
        "WEBHOOK_PORT": str(port),
    }


async def test_two_workers_post_for_300_groups_once_each_within_telegrams_limits(
    db_template: str, tmp_path: Path
) -> None:
    sandbox = SandboxProcess()
    url, drop = await create_database(db_template, tmp_path)
    clock = ShiftedClock(tmp_path)
    workers = [  # webhook workers (two pollers would be refused with 409 Conflict); the
        # last to start has the webhook, both contend for the scheduler lock
        BotProcess(sandbox.url, url, **clock.env(), **webhook_env(free_port()))
        for _ in range(2)
    ]
    client = SandboxClient(sandbox.url)
    try:
        for worker in workers:
            worker.start()
            await worker.wait_ready()
        groups = [await client.create_group(f"Shop {n}") for n in range(GROUPS)]
        await client.settle(timeout=120)
        fire = a_minute_ahead(clock)
        await schedule(url, [group.id for group in groups], f"{fire.astimezone(SHANGHAI):%H:%M}")
        await client.set_limits(enabled=True)  # Telegram's: 30/s, 1/s per chat, 20/min
        await asyncio.sleep(31)  # the lock holder's scheduler plans them at its next rebuild
        await just_before(clock, fire)
        posts = await client.wait_for(
            lambda e: e["kind"] == "sent" and str(e["text"]).startswith("Good morning, shop"),
            timeout=90,
            count=GROUPS,
        )
        assert await client.quiet_for(5, lambda e: e["kind"] == "sent") == []
        per_group = Counter(post["chat_id"] for post in posts)
        assert sorted(per_group) == sorted(group.id for group in groups)
        assert set(per_group.values()) == {1}
        assert (await client.stats())["rejected_429"] == 0
        holders = [w for w in workers if "another process runs the scheduler" not in w.logs()]
        assert len(holders) == 1  # the other stood by
    finally:
        await client.close()
        # The one standing by first: stopped second, it would take the lock over and be
        # stopped in the middle of its first plan.
        workers.sort(key=lambda w: "another process runs the scheduler" not in w.logs())
        for worker in workers:
            assert worker.stop() == 0, worker.logs()
            assert "Traceback" not in worker.logs(), worker.logs()
        sandbox.stop()
        await drop()
