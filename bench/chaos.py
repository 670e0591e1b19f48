"""`make chaos`: the scaled-out set-up run for real on loopback, under load and faults.

Each phase starts what deploy/ describes: the sandbox delivers webhooks to nginx
(deploy/nginx-fanbot.conf), which balances them over 1, 2 or 3 `fanbot run` workers on one
PostgreSQL and one Redis (a redis-server of the run's own, so it can be stopped). 300 members in
10 groups each send ten messages (the first earns a message point, the rest fall inside the
cooldown), or a sign-in (签到, answered) and nine. Every update is queued first and released
at once (the webhook set again), so the rate is the workers'. The chatter phases measure what
workers buy; the sign-in phases what Telegram's limits allow; the last four inject a fault once
a third of the updates are confirmed: a worker SIGKILLed (and started again two seconds
later, as systemd's Restart= does), every PostgreSQL connection terminated server-side, Redis
down for 10 s, a storm of 429s. After each phase, once every update is confirmed: the audit,
points expected against paid, sign-ins lost or paid twice, sign-ins left unanswered, message
counts lost.

The sandbox applies Telegram's global limit (30/s) with the per-chat and per-group limits
scaled up (5/s, 300/min) so a phase takes seconds, and the workers are told the same limits.
With sign-ins, the 300 answers at 30/s bind: each holds its webhook connection (of the
sandbox's 40, as Telegram's default) until its reply goes.

Run: `make chaos` (a throw-away PostgreSQL and Redis), or
`python -m bench.chaos postgresql+asyncpg://user@host/postgres`.
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import aiohttp
import asyncpg
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bench.common import fresh_database
from models import Checkin, LedgerEntry, Member, create_engine, create_session_pool
from sandbox.client import Group, SandboxClient, User
from sandbox.server import DEFAULT_TOKEN
from services.checkin_rules import CheckinRules
from services.message_rules import MessageRules
from services.points_audit import audit
from tests.support.crowd import fan_groups
from tests.support.nginx import Nginx, nginx_binary, site
from tests.support.processes import BotProcess, SandboxProcess, free_port

GROUPS, MEMBERS = 10, 30  # members per group
CHATTER = 9  # messages per member after the sign-in
CHAT_PER_SECOND, GROUP_PER_MINUTE = 5, 300
SECRET = "chaos"


class RedisServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.dir = tempfile.mkdtemp(prefix="fanbot-chaos-redis-")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server") or "redis-server"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--dir", self.dir],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@dataclass
class Outcome:
    phase: str
    workers: int
    updates: int
    rate: float
    p50: float
    p99: float
    rejected_429: int
    points_expected: int
    points_paid: int
    duplicates: int
    lost: int
    unanswered: int
    counts_lost: int
    audit_off: int

    @property
    def sound(self) -> bool:
        return (
            self.points_expected == self.points_paid
            and self.duplicates == self.lost == self.unanswered == self.audit_off == 0
        )


@dataclass
class Phase:
    name: str
    workers: list[BotProcess]
    sandbox: SandboxClient
    database_url: str
    redis: RedisServer
    front_url: str


Fault = Callable[[Phase], Coroutine[Any, Any, None]]


async def kill_a_worker(phase: Phase) -> None:
    phase.workers[0].kill()
    await asyncio.sleep(2)
    phase.workers[0].start()


async def cut_postgres(phase: Phase) -> None:
    url = make_url(phase.database_url)
    dsn = url.set(drivername="postgresql", database="postgres").render_as_string(False)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            url.database,
        )
    finally:
        await connection.close()


async def redis_away(phase: Phase) -> None:
    phase.redis.stop()
    await asyncio.sleep(10)
    phase.redis.start()


async def storm_of_429s(phase: Phase) -> None:
    await phase.sandbox.add_fault("429", method="sendMessage", count=60, retry_after=1)


PHASES: list[tuple[str, int, bool, Fault | None]] = [  # name, workers, sign-ins, fault
    ("chatter, 1 worker", 1, False, None),
    ("chatter, 2 workers", 2, False, None),
    ("chatter, 3 workers", 3, False, None),
    ("with sign-ins, 1 worker", 1, True, None),
    ("with sign-ins, 3 workers", 3, True, None),
    ("3 workers, one SIGKILLed", 3, True, kill_a_worker),
    ("3 workers, PostgreSQL connections cut", 3, True, cut_postgres),
    ("3 workers, Redis down 10 s", 3, True, redis_away),
    ("3 workers, 429 storm", 3, True, storm_of_429s),
]


async def run_phase(
    server: str, name: str, count: int, with_sign_ins: bool, fault: Fault | None
) -> Outcome:
    binary = nginx_binary()
    assert binary is not None, "nginx is not installed (make chaos installs it)"
    redis = RedisServer()
    redis.start()
    sandbox = SandboxProcess()
    ports = [free_port() for _ in range(count)]
    front = free_port()
    nginx = Nginx(binary, site(ports, f"127.0.0.1:{front}"))
    nginx.start()
    client = SandboxClient(sandbox.url)
    async with fresh_database(server, "chaos") as url:
        workers = [
            BotProcess(
                sandbox.url,
                url,
                REDIS_URL=redis.url,
                WEBHOOK_URL=f"http://127.0.0.1:{front}/telegram",
                WEBHOOK_SECRET=SECRET,
                WEBHOOK_HOST="127.0.0.1",
                WEBHOOK_PORT=str(port),
                TELEGRAM_RATE_CHAT=str(CHAT_PER_SECOND),
                TELEGRAM_RATE_GROUP_PER_MINUTE=str(GROUP_PER_MINUTE),
            )
            for port in ports
        ]
        try:
            workers[0].start()  # the first applies the migrations; the others find them done
            await workers[0].wait_ready()
            for worker in workers[1:]:
                worker.start()
            for worker in workers[1:]:
                await worker.wait_ready()
            phase = Phase(name, workers, client, url, redis, f"http://127.0.0.1:{front}/telegram")
            measured = await load(phase, with_sign_ins, fault)
        finally:
            await client.close()
            for worker in workers:
                worker.stop()
            nginx.stop()
            sandbox.stop()
            redis.stop()
        return await outcome(phase, measured)


async def load(phase: Phase, with_sign_ins: bool, fault: Fault | None) -> Load:
    """Every update queued while the webhook is away, then released at once: the rate is the
    workers', not this script's (which sends through the sandbox's control API)."""
    client = phase.sandbox
    members, groups = await fan_groups(client, GROUPS, MEMBERS)
    await client.set_limits(chat_per_sec=CHAT_PER_SECOND, group_per_min=GROUP_PER_MINUTE)
    webhook = phase.front_url
    await bot_api(client, "deleteWebhook")
    first_seq = (await client.events())[-1]["seq"]
    sends: list[tuple[Group, User, str]] = []
    for round_ in range(1 + CHATTER):
        for n, member in enumerate(members):
            chatter = f"message {round_} from fan {n}, loving the drop"
            text = "签到" if round_ == 0 and with_sign_ins else chatter
            sends.append((groups[n // MEMBERS], member, text))
    sign_ins: set[tuple[int, int]] = set()  # (chat, message id)
    for start in range(0, len(sends), 50):
        batch = sends[start : start + 50]
        sent = await asyncio.gather(*(client.send(g, u, text) for g, u, text in batch))
        sign_ins |= {
            (group.id, result["message"]["message_id"])
            for (group, _, text), result in zip(batch, sent, strict=True)
            if text == "签到"
        }
    started = time.perf_counter()
    await bot_api(client, "setWebhook", url=webhook, secret_token=SECRET)
    if fault is not None:
        while (await client.stats())["pending_updates"] > len(sends) * 2 // 3:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        await fault(phase)
    await client.settle(timeout=300)
    elapsed = time.perf_counter() - started
    events = await client.events(first_seq)
    rejected = int((await client.stats())["rejected_429"])
    return Load(events, len(sends), elapsed, len(members), sign_ins, rejected)


@dataclass
class Load:
    """What the sandbox saw of one phase's load."""

    events: list[dict[str, Any]]
    updates: int
    elapsed: float
    members: int
    sign_ins: set[tuple[int, int]]
    rejected_429: int


async def bot_api(client: SandboxClient, method: str, **params: Any) -> None:
    """A Bot API call of this script's own, as the bot (to hold and release the webhook)."""
    async with aiohttp.ClientSession() as http:
        url = f"{client.base_url}/bot{DEFAULT_TOKEN}/{method}"
        async with http.post(url, json=params) as response:
            assert (await response.json())["ok"], await response.text()


async def outcome(phase: Phase, load: Load) -> Outcome:
    """The phase's figures, read once its workers have stopped (a clean stop writes the
    message counts still waiting for their second; a SIGKILLed worker's are gone)."""
    events, sign_ins = load.events, load.sign_ins
    queued = {e["update_id"] for e in events if e["kind"] == "update"}
    confirmed = {  # the answer that confirmed each update, and how long it took
        e["update_id"]: e["took"]
        for e in events
        if e["kind"] == "confirmed" and e["update_id"] in queued
    }
    latencies = sorted(confirmed.values())
    answered = {
        (e["chat_id"], e["reply_to"]) for e in events if e["kind"] == "sent" and e.get("reply_to")
    }
    engine = create_engine(phase.database_url)
    async with create_session_pool(engine)() as session:
        paid = int(await session.scalar(select(func.sum(LedgerEntry.delta))) or 0)
        per_member = Counter(
            (await session.execute(select(Checkin.chat_id, Checkin.user_id))).all()
        )
        counted = int(await session.scalar(select(func.sum(Member.message_count))) or 0)
        mismatches = await audit(session)
    await engine.dispose()
    # The first chatter message earns; the rest fall inside the cooldown.
    expected_each = MessageRules().points + (CheckinRules().base if sign_ins else 0)
    return Outcome(
        phase=phase.name,
        workers=len(phase.workers),
        updates=load.updates,
        rate=load.updates / load.elapsed,
        p50=statistics.median(latencies) if latencies else 0.0,
        p99=latencies[int(len(latencies) * 0.99) - 1] if latencies else 0.0,
        rejected_429=load.rejected_429,
        points_expected=expected_each * load.members,
        points_paid=paid,
        duplicates=sum(n - 1 for n in per_member.values()),
        lost=load.members - len(per_member) if sign_ins else 0,
        unanswered=len(sign_ins - answered),
        counts_lost=load.updates - counted,
        audit_off=len(mismatches),
    )


def print_outcomes(outcomes: list[Outcome]) -> None:
    head = (
        "| phase | workers | updates/s | vs 1 worker | p50 ms | p99 ms | 429s | points expected "
        "| points paid | paid twice | lost | unanswered | counts lost | audit |"
    )
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    base = outcomes[0].rate
    for o in outcomes:
        print(
            f"| {o.phase} | {o.workers} | {o.rate:,.0f} | {o.rate / base:.2f} "
            f"| {o.p50 * 1000:,.0f} | {o.p99 * 1000:,.0f} | {o.rejected_429} "
            f"| {o.points_expected:,} | {o.points_paid:,} "
            f"| {o.duplicates} | {o.lost} | {o.unanswered} | {o.counts_lost} "
            f"| {'clean' if o.audit_off == 0 else f'{o.audit_off} off'} |"
        )


async def main(server: str) -> int:
    outcomes = []
    for name, count, with_sign_ins, fault in PHASES:
        print(f"== {name}", flush=True)
        outcomes.append(await run_phase(server, name, count, with_sign_ins, fault))
    print_outcomes(outcomes)
    return 0 if all(o.sound for o in outcomes) else 1


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: python -m bench.chaos <PostgreSQL URL> (make chaos starts one)")
    sys.exit(asyncio.run(main(sys.argv[1])))
