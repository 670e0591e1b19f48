"""End-to-end: the sandbox and `fanbot run` as processes; tests act as members and admins.

An answer that matters only to its sender (a sign-in, /me, a usage line, "admins only", "too
fast": whatever the bot marks with `for_sender`) is an ephemeral message in a group, seen by
the sender's client only: read it with `sandbox.ask_for_sender(group, user, text)` or
`sandbox.answer_to_sender(group.id, user, message_id)` (an `ephemeral` event, never a `sent`
one), and what each member's client shows with `sandbox.seen_by(group, user)`. In a private chat
the answer is an ordinary message (`ask`/`reply_to`); `ask_any` takes either, for a test of
wording only.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from models import create_engine, create_session_pool
from sandbox.client import SandboxClient
from services.games import audit_games
from services.points_audit import audit
from services.quests_audit import audit_quests
from services.shop import audit_shop
from services.vip_audit import audit_payments
from tests.conftest import create_database
from tests.support.processes import BotProcess, SandboxProcess

Launch = Callable[..., Awaitable[tuple[SandboxClient, BotProcess]]]


async def audit_problems(url: str) -> list[str]:
    """What `fanbot audit` would list for a bot's database once the bot stopped: every e2e
    test, kills and faults included, leaves balances that match the ledger and a shop that adds
    up."""
    engine = create_engine(url)
    try:
        async with create_session_pool(engine)() as session:
            mismatches = await audit(session)
            shop = (
                await audit_shop(session)
                + await audit_games(session)
                + await audit_payments(session)
            )
            shop = await audit_shop(session) + await audit_games(session)
            shop += await audit_quests(session)
    finally:
        await engine.dispose()
    return [str(m) for m in mismatches] + shop


@pytest.fixture(scope="session")
def shared_bot(db_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotProcess]:
    """One sandbox and one bot for the tests (of this worker) that need no bot of their own;
    each test talks in its own groups. Starting a bot costs seconds (importing aiogram)."""
    sandbox = SandboxProcess()
    url, drop = asyncio.run(create_database(db_template, tmp_path_factory.mktemp("db")))
    bot = BotProcess(sandbox.url, url)
    bot.start()
    try:
        asyncio.run(bot.wait_ready())
        yield bot
    finally:
        code = bot.stop()
        sandbox.stop()
        problems = asyncio.run(audit_problems(url))
        asyncio.run(drop())  # type: ignore[arg-type]
    assert problems == [], problems
    assert code == 0, bot.logs()
    assert "Traceback" not in bot.logs(), bot.logs()


@asynccontextmanager
async def client_of(bot: BotProcess) -> AsyncIterator[SandboxClient]:
    """A control client of the bot's sandbox, past the events of the tests before."""
    client = SandboxClient(bot.sandbox_url)
    await client.skip_past()
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
async def sandbox(shared_bot: BotProcess) -> AsyncIterator[SandboxClient]:
    async with client_of(shared_bot) as client:
        yield client


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Marks a test whose body failed, for `launch` to say what its bots were doing."""
    report = yield
    if report.when == "call" and report.failed:
        item.stash[FAILED] = True
    return report


FAILED = pytest.StashKey[bool]()


async def say_what_it_was_doing(bot: BotProcess) -> None:
    """After a failure: each task the bot awaits (SIGUSR1) and its threads' stacks (SIGUSR2,
    answered even when the event loop is blocked), with the log's end, in the test's output."""
    if bot.process is None or bot.process.poll() is not None:
        return
    logs = bot.logs()
    for sig in (signal.SIGUSR2, signal.SIGUSR1):  # threads first: they answer in any state
        bot.process.send_signal(sig)
        await asyncio.sleep(1)
    print(f"--- the bot's log, its end:\n{logs[-6000:]}")
    print(f"--- its tasks and threads:\n{bot.logs()[len(logs) :][-12000:]}")


@pytest.fixture
async def launch(
    db_template: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Launch]:
    """A sandbox and bot of the test's own, for restarts, kills, limits and other settings."""
    started: list[
        tuple[SandboxProcess, BotProcess, SandboxClient, str, Callable[[], Awaitable[None]]]
    ] = []

    async def start(**env: str) -> tuple[SandboxClient, BotProcess]:
        sandbox = SandboxProcess()
        url, drop = await create_database(db_template, tmp_path)
        bot = BotProcess(sandbox.url, url, **env)
        client = SandboxClient(sandbox.url)
        started.append((sandbox, bot, client, url, drop))
        bot.start()
        await bot.wait_ready()
        return client, bot

    yield start
    problems = []
    for sandbox, bot, client, url, drop in started:
        if request.node.stash.get(FAILED, False):
            await say_what_it_was_doing(bot)
        bot.stop()
        await client.close()
        sandbox.stop()
        problems += await audit_problems(url)
        await drop()
    assert problems == [], problems
