"""`fanbot sandbox` as an operator runs it: typed into, with the real bot behind it and the web
console on a local port, whose sign-in link from a private /console opens over HTTP."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from models import RewardCode, create_engine, create_session_pool
from sandbox.launch import absolute_sqlite
from tests.support.processes import ROOT

WAIT = 120.0  # the bot's start imports aiogram: seconds on a loaded machine


class Session:
    """`fanbot sandbox` in a folder of its own, its terminal read and typed into."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.output = ""
        self.read_to = 0  # what `expect` matched already

    async def expect(self, pattern: str) -> re.Match[str]:
        """The next output matching `pattern`, waiting for the terminal to print it."""
        assert self.process.stdout is not None
        async with asyncio.timeout(WAIT):
            while (found := re.compile(pattern).search(self.output, self.read_to)) is None:
                chunk = await self.process.stdout.read(4096)
                if not chunk:
                    raise AssertionError(f"the sandbox ended before {pattern!r}:\n{self.output}")
                self.output += chunk.decode()
        self.read_to = found.end()
        return found

    async def type(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{line}\n".encode())
        await self.process.stdin.drain()


def sandbox_env(database_url: str) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "PYTEST"))},
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url,
        "SCHEDULER_ENABLED": "false",
        "OWNER_IDS": "",
    }


@pytest.fixture
async def session(database_url: str, tmp_path: Path) -> AsyncIterator[Session]:
    # A production .env where the operator tries the sandbox: the sandbox's bot reads none of
    # it (a webhook here would have the sandbox post its updates to that address).
    (tmp_path / ".env").write_text(
        "WEBHOOK_URL=https://fans.example.com/telegram\nWEBHOOK_SECRET=production-secret\n"
        "REDIS_URL=redis://127.0.0.1:1\nDATABASE_URL=postgresql+asyncpg://prod@db/fanbot\n"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "sandbox", cwd=tmp_path, env=sandbox_env(database_url),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    terminal = Session(process)
    yield terminal
    if process.returncode is None:
        process.terminate()
    await process.wait()


async def test_the_console_link_from_a_private_console_opens_over_http(
    session: Session, tmp_path: Path
) -> None:
    web = (await session.expect(r"web console at (http://127\.0\.0\.1:\d+)/console"))[1]
    await session.expect(r"Alice> ")
    await session.type("hello everyone")  # the bot meets the group
    await session.expect(r"#\d+\n")
    await session.type("/private")
    await session.expect(r"Alice \(private\)> /start\n#\d+")
    await session.expect(r"\(private to Alice\) #\d+ bot: ")  # the bot's private /start answer
    await session.type("/console")
    await session.expect(r"\(private to Alice\) #\d+ bot: ")
    link = (await session.expect(r"\[1\] [^\n]*→ (\S+/console/link/\S+)"))[1]
    assert link.startswith(f"{web}/console/link/")
    # A browser keeps cookies for 127.0.0.1; aiohttp's jar does so when told `unsafe`.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
        async with browser.get(link) as page:
            assert page.status == 200
        async with browser.post(link, headers={"Origin": web}) as signed_in:
            assert signed_in.status == 200
            assert signed_in.url.path == "/console"
            assert "fanbot sandbox fans" in await signed_in.text()
    await session.type("/quit")
    assert await session.process.wait() == 0
    assert (tmp_path / "sandbox-world.json").exists()


async def test_a_console_port_another_program_holds_is_one_line_saying_how_to_choose(
    database_url: str, tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "sandbox", "--web-port", str(port), cwd=tmp_path,
            env=sandbox_env(database_url), stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        async with asyncio.timeout(WAIT):
            output, _ = await process.communicate()
    said = output.decode().splitlines()[-1]
    assert said == (
        f"the bot stopped: config error: WEB_PORT={port} is in use by another program on "
        f"127.0.0.1; set WEB_PORT to a free port (fanbot sandbox --web-port <port>); "
        "more in sandbox-bot.log"
    )
    assert process.returncode == 1


async def test_a_file_of_codes_reaches_the_bot_and_a_newcomers_rules_link_opens_privately(
    session: Session, database_url: str
) -> None:
    await session.expect(r"Alice> ")
    await session.type("/reward add Tea set price=20 kind=coupon")
    await session.expect(r"#\d+ bot ↩#\d+: ")
    await session.type(f"/file {ROOT / 'sandbox/examples/reward-codes.csv'} /reward codes 1")
    sent = (await session.expect(r"#(\d+)\n"))[1]
    await session.expect(rf"#\d+ bot ↩#{sent}: ")  # the bot downloaded the file and answered
    engine = create_engine(database_url)
    try:
        async with create_session_pool(engine)() as db:
            codes = await db.scalars(select(RewardCode.code).order_by(RewardCode.id))
            assert list(codes)[:2] == ["TEA-7K3M-Q9XD", "TEA-4HPW-2RNC"]
    finally:
        await engine.dispose()
    await session.type("/join carol")
    await session.expect(r"#\d+ Carol joined the group\n")
    await session.expect(r"\[1\] [^\n]*→ https://t\.me/fanbot_sandbox_bot\?start=rules")
    await session.type("/press 1")  # the welcome's rules button: a link, opened as an app does
    await session.expect(r"Carol \(private\)> /start rules\S*\n#\d+\n")
    await session.expect(r"\(private to Carol\) #\d+ bot: ")
    await session.type("/quit")
    assert await session.process.wait() == 0


def test_a_sqlite_database_named_from_here_is_named_in_full_for_the_bot(tmp_path: Path) -> None:
    here = Path.cwd()
    assert absolute_sqlite("sqlite+aiosqlite:///sandbox.db") == (
        f"sqlite+aiosqlite:///{here / 'sandbox.db'}"
    )
    for kept in (f"sqlite+aiosqlite:///{tmp_path}/x.db", "postgresql+asyncpg://u:p@db/fanbot"):
        assert absolute_sqlite(kept) == kept
