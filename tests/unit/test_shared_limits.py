"""What workers share in Redis, against the sandbox over real HTTP. Sends: three workers
together stay inside one chat's limit, a 429 seen by one holds the others, and a worker whose
Redis goes away falls back to its own limits and comes back when Redis does. Admin lists: one
worker's fetch serves the others, and a change seen by one drops the list for all."""

from __future__ import annotations

import asyncio
import logging
import shutil
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from redis.asyncio import Redis
from redis.exceptions import ConnectionError

from infrastructure import shared_pacing
from infrastructure.admins import PREFIX as ADMINS
from infrastructure.admins import AdminCache
from infrastructure.pacing import PacingMiddleware
from infrastructure.shared_pacing import PREFIX, SharedPacer
from sandbox.client import SandboxClient
from sandbox.server import DEFAULT_TOKEN
from tests.conftest import REDIS_URL
from tests.support.processes import server_env

Worker = Callable[..., tuple[Bot, SharedPacer]]


@pytest.fixture
async def worker(server: tuple[str, SandboxClient]) -> AsyncIterator[Worker]:
    """A worker's Bot: its own Redis connection and pacer, talking to the sandbox."""
    made: list[tuple[Bot, Redis]] = []

    def make(url: str | None = REDIS_URL, chat_rate: float = 1) -> tuple[Bot, SharedPacer]:
        redis = Redis.from_url(url or "", socket_connect_timeout=1, socket_timeout=1)
        pacer = SharedPacer(redis, 30, chat_rate, 600)
        session = AiohttpSession(api=TelegramAPIServer.from_base(server[0]))
        session.middleware(PacingMiddleware(pacer))
        bot = Bot(DEFAULT_TOKEN, session=session)
        made.append((bot, redis))
        return bot, pacer

    yield make
    for bot, redis in made:
        await bot.session.close()
        await redis.aclose()


@pytest.fixture
async def clean_redis() -> None:
    if not REDIS_URL:
        pytest.skip("TEST_REDIS_URL is not set (make test sets it)")
    redis = Redis.from_url(REDIS_URL)  # not flushdb: another module may use the db meanwhile
    for pattern in (f"{PREFIX}*", f"{ADMINS}*"):
        async for key in redis.scan_iter(match=pattern):
            await redis.delete(key)
    await redis.aclose()


@pytest.mark.usefixtures("clean_redis")
async def test_three_workers_together_keep_one_chats_limit(
    server: tuple[str, SandboxClient], worker: Worker
) -> None:
    _, sandbox = server
    bots = [worker()[0] for _ in range(3)]
    owner = await sandbox.create_user("Owner")
    group = await sandbox.create_group(creator=owner)
    await sandbox.set_limits(chat_per_sec=1, group_per_min=600)
    await asyncio.gather(
        *(bot.send_message(group.id, f"{n} from {i}") for i, bot in enumerate(bots) for n in (1, 2))
    )
    stats = await sandbox.stats()
    assert stats["rejected_429"] == 0  # each worker alone keeps 1/s: only shared windows hold
    assert len((await sandbox.chat(group.id))["messages"]) == 6


@pytest.mark.usefixtures("clean_redis")
async def test_a_429_seen_by_one_worker_holds_the_chat_for_the_others(
    server: tuple[str, SandboxClient], worker: Worker
) -> None:
    _, sandbox = server
    (first, _), (second, second_pacer) = worker(chat_rate=30), worker(chat_rate=30)
    owner = await sandbox.create_user("Owner")
    group = await sandbox.create_group(creator=owner)
    await sandbox.add_fault("429", method="sendMessage", count=1, retry_after=3, chat_id=group.id)
    first_send = asyncio.create_task(first.send_message(group.id, "held"))
    redis = Redis.from_url(REDIS_URL or "")
    while not await redis.exists(f"{PREFIX}hold:{group.id}"):  # noqa: ASYNC110 - another process
        await asyncio.sleep(0.02)
    await redis.aclose()
    with pytest.raises(TimeoutError):  # the hold has about three seconds to run
        await asyncio.wait_for(second_pacer.wait_turn(group.id), timeout=1)
    await asyncio.gather(first_send, second.send_message(group.id, "waited"))
    texts = [m["text"] for m in (await sandbox.chat(group.id))["messages"]]
    assert sorted(texts) == ["held", "waited"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """A redis-server of the test's own on a free port, to stop and start again."""

    def __init__(self, binary: str, chat_cache: Path) -> None:
        self.binary, self.chat_cache = binary, chat_cache
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
            "--dir", str(self.chat_cache), stdout=asyncio.subprocess.DEVNULL, env=server_env(),
        )  # fmt: skip
        probe = Redis.from_url(self.url)
        try:
            for _ in range(200):
                try:
                    await probe.set("fanbot:probe", 1)
                    return
                except ConnectionError:
                    await asyncio.sleep(0.02)
        finally:
            await probe.aclose()
        raise AssertionError("redis-server did not start")

    async def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            await self.process.wait()
            self.process = None


@pytest.fixture
async def own_redis(tmp_path: Path) -> AsyncIterator[RedisServer]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (make test installs it)")
    redis_server = RedisServer(binary, tmp_path)
    await redis_server.start()
    yield redis_server
    await redis_server.stop()


async def test_a_worker_whose_redis_goes_away_keeps_its_own_limits_and_comes_back(
    server: tuple[str, SandboxClient],
    worker: Worker,
    own_redis: RedisServer,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, sandbox = server
    monkeypatch.setattr(shared_pacing, "RETRY_REDIS_SECONDS", 0.2)
    bot, pacer = worker(own_redis.url, chat_rate=30)
    owner = await sandbox.create_user("Owner")
    group = await sandbox.create_group(creator=owner)

    await bot.send_message(group.id, "shared")
    assert pacer.shared

    await own_redis.stop()
    with caplog.at_level(logging.WARNING, logger="infrastructure.shared_pacing"):
        await bot.send_message(group.id, "alone")
        assert not pacer.shared
        assert "Redis is unreachable" in caplog.text

        await own_redis.start()
        await asyncio.sleep(0.3)
        await bot.send_message(group.id, "shared again")
        assert pacer.shared
        assert "Redis is back" in caplog.text
    probe = Redis.from_url(own_redis.url)
    assert await probe.exists(f"{PREFIX}chat:{group.id}")  # the send went through Redis
    await probe.aclose()
    texts = [m["text"] for m in (await sandbox.chat(group.id))["messages"]]
    assert texts == ["shared", "alone", "shared again"]


@pytest.mark.usefixtures("clean_redis")
async def test_workers_share_a_chats_admin_list_and_its_dropping(
    server: tuple[str, SandboxClient], worker: Worker
) -> None:
    _, sandbox = server
    (first_bot, _), (second_bot, _) = worker(), worker()
    caches = [AdminCache(frozenset(), redis=Redis.from_url(REDIS_URL or "")) for _ in range(2)]
    owner = await sandbox.create_user("Owner")
    group = await sandbox.create_group(creator=owner)

    admins = await caches[0].admins_of(first_bot, group.id)
    assert owner.id in admins
    assert await caches[1].admins_of(second_bot, group.id) == admins
    assert (await sandbox.stats())["calls"]["get_chat_administrators"] == 1

    await caches[0].invalidate(group.id)  # the first worker saw a chat_member change
    assert await caches[1].admins_of(second_bot, group.id) == admins
    assert (await sandbox.stats())["calls"]["get_chat_administrators"] == 2
    for cache in caches:
        assert cache.redis is not None
        await cache.redis.aclose()
