"""The deploy set-up run for real on loopback: the sandbox delivers webhooks to nginx
(deploy/nginx-fanbot.conf), which balances them over three `fanbot run` workers on one
PostgreSQL and Redis. One worker is SIGKILLed in the middle of a burst of sign-ins; every
member is still signed in and paid exactly once, the audit is clean, and the three workers'
replies together keep the sandbox's flood limits (their pacing is shared in Redis)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from models import Checkin, LedgerEntry, create_engine, create_session_pool
from sandbox.client import SandboxClient
from services.points_audit import audit
from tests.conftest import PG_URL, REDIS_URL, create_database
from tests.support.crowd import fan_groups
from tests.support.nginx import Nginx, nginx_binary, self_signed, site
from tests.support.processes import BotProcess, SandboxProcess, free_port

GROUPS, MEMBERS = 3, 20  # members per group
CHAT_PER_SECOND, GROUP_PER_MINUTE = 5, 600

pytestmark = pytest.mark.skipif(nginx_binary() is None, reason="nginx is not installed")


def test_the_deploy_nginx_config_passes_nginx_t(tmp_path: Path) -> None:
    binary = nginx_binary()
    assert binary is not None
    nginx = Nginx(
        binary, site([8081, 8082, 8083], f"127.0.0.1:{free_port()}", self_signed(tmp_path))
    )
    checked = nginx.check()
    assert checked.returncode == 0, checked.stderr
    assert "syntax is ok" in checked.stderr


@pytest.mark.skipif(not PG_URL or not REDIS_URL, reason="workers share PostgreSQL and Redis")
async def test_three_webhook_workers_behind_nginx_survive_a_sigkill(
    db_template: str, tmp_path: Path
) -> None:
    binary = nginx_binary()
    assert binary is not None
    # A Redis db of this test's own: the unit tests clear the pacing keys of theirs.
    redis_url = make_url(REDIS_URL or "").set(database="14").render_as_string()
    redis = Redis.from_url(redis_url)
    await redis.flushdb()
    await redis.aclose()
    url, drop = await create_database(db_template, tmp_path)
    sandbox = SandboxProcess()
    ports = [free_port() for _ in range(3)]
    front = free_port()
    nginx = Nginx(binary, site(ports, f"127.0.0.1:{front}"))
    nginx.start()
    workers = [
        BotProcess(
            sandbox.url,
            url,
            REDIS_URL=redis_url,
            WEBHOOK_URL=f"http://127.0.0.1:{front}/telegram",
            WEBHOOK_SECRET="behind-nginx",
            WEBHOOK_HOST="127.0.0.1",
            WEBHOOK_PORT=str(port),
            TELEGRAM_RATE_CHAT=str(CHAT_PER_SECOND),
            TELEGRAM_RATE_GROUP_PER_MINUTE=str(GROUP_PER_MINUTE),
        )
        for port in ports
    ]
    client = SandboxClient(sandbox.url)
    try:
        for worker in workers:
            worker.start()
            await worker.wait_ready()
        members, groups = await fan_groups(client, GROUPS, MEMBERS)
        await client.set_limits(chat_per_sec=CHAT_PER_SECOND, group_per_min=GROUP_PER_MINUTE)
        order = [  # the groups' members by turns
            (groups[g], members[g * MEMBERS + n]) for n in range(MEMBERS) for g in range(GROUPS)
        ]
        half = len(order) // 2
        await asyncio.gather(
            *(client.send(group, member, "签到") for group, member in order[:half])
        )
        workers[0].kill()  # with some of those in its hands, unanswered: delivered again
        await asyncio.gather(
            *(client.send(group, member, "签到") for group, member in order[half:])
        )
        await client.settle(timeout=120)

        engine = create_engine(url)
        async with create_session_pool(engine)() as session:
            signed = await session.scalar(select(func.count()).select_from(Checkin))
            paid = await session.scalar(select(func.count()).where(LedgerEntry.reason == "checkin"))
            mismatches = await audit(session)
        await engine.dispose()
        assert (signed, paid, mismatches) == (len(order), len(order), [])
        stats = await client.stats()
        assert stats["rejected_429"] == 0
        # Every sign-in was answered (a redelivered one may be answered twice: "already").
        answered = {
            (event["chat_id"], event["reply_to"])
            for event in await client.events()
            if event["kind"] == "ephemeral" and event.get("reply_to")  # each the sender's
        }
        assert len(answered) == len(order)
    finally:
        await client.close()
        for worker in workers[1:]:
            assert worker.stop() == 0, worker.logs()
            assert "Traceback" not in worker.logs(), worker.logs()
        nginx.stop()
        sandbox.stop()
        await drop()
