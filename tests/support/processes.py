"""The sandbox and the real bot as processes, the way an operator runs them."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sandbox.server import DEFAULT_TOKEN

ROOT = Path(__file__).resolve().parents[2]
READY_LINES = ("polling for updates", "webhook listening")


class SandboxProcess:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="fanbot-sandbox-"))
        url_file = self.dir / "url"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sandbox", "--port", "0", "--url-file", str(url_file)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=(self.dir / "sandbox.log").open("w"),
        )
        deadline = time.monotonic() + 30
        while not url_file.exists() or not url_file.read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"sandbox did not start: {(self.dir / 'sandbox.log').read_text()}"
                )
            time.sleep(0.05)
        self.url = url_file.read_text()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


class BotProcess:
    """`fanbot run` pointed at the sandbox, with its own database and log file."""

    def __init__(self, sandbox_url: str, database_url: str, **env: str) -> None:
        self.sandbox_url = sandbox_url
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "PYTEST"))},
            "BOT_TOKEN": DEFAULT_TOKEN,
            "TELEGRAM_API_URL": sandbox_url,
            "DATABASE_URL": database_url,
            "LOG_LEVEL": "INFO",
            "OWNER_IDS": "",
            "TIER_ANNOUNCE_SECONDS": "2",  # short enough to wait for, long enough to group
            "QUIET_DELETE_SECONDS": "1",
            # The daily posts would land in every test's group at 09:00, 20:00 and 22:00 in
            # Shanghai: tests of the scheduler turn it on.
            "SCHEDULER_ENABLED": "false",
            "WARM_UP_CHARTS": "false",  # a second of CPU for each of hundreds of bots
            **env,
        }
        if "FAKETIME_TIMESTAMP_FILE" in env:  # libfaketime would read the suite's FAKETIME first
            self.env.pop("FAKETIME", None)
        self.log_path = Path(tempfile.mkdtemp(prefix="fanbot-bot-")) / "bot.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        log = self.log_path.open("a")
        log.write(f"--- start {self.starts}\n")
        log.flush()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"], cwd=ROOT, env=self.env, stdout=log, stderr=log
        )

    async def wait_ready(self, timeout: float = 90) -> None:
        """Until this start of the bot logs that it polls (after its start-up requests)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"bot exited with {self.process.returncode}:\n{self.logs()}")
            if sum(self.logs().count(line) for line in READY_LINES) >= self.starts:
                return
            await asyncio.sleep(0.05)
        raise RuntimeError(f"bot did not start polling within {timeout}s:\n{self.logs()}")

    async def wait_for_log(self, text: str, timeout: float = 60, *, after: int = 0) -> None:
        """Until the log says `text` (what the process does at its own pace, as it starts, or
        in a background check), past its first `after` characters."""
        deadline = time.monotonic() + timeout
        while text not in self.logs()[after:]:
            if time.monotonic() > deadline:
                raise AssertionError(f"the log never said {text!r}:\n{self.logs()[-3000:]}")
            await asyncio.sleep(0.1)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> int:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.terminate()
        try:
            return self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(5)

    def logs(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""


FAKETIME_LIBRARY = next(iter(sorted(Path("/usr/lib").glob("*/faketime/libfaketimeMT.so.1"))), None)


def outer_shift() -> int:
    """Seconds the whole suite's clock is moved by (`CLOCK_SHIFT=+365d make test` runs every
    process under libfaketime's `FAKETIME`), so that a bot with a clock of its own starts
    where the test's clock is."""
    found = re.fullmatch(r"([+-]\d+)([smhdy]?)", os.environ.get("FAKETIME", "").strip())
    if found is None:
        return 0
    unit = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86_400, "y": 365 * 86_400}[found[2]]
    return int(found[1]) * unit


def server_env() -> dict[str, str]:
    """The environment for a server a test starts (Redis, nginx): the servers keep the real
    clock when the suite runs shifted (redis-server does not start under libfaketime)."""
    return {k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and "FAKETIME" not in k}


class ShiftedClock:
    """Moves a bot process's wall clock forward with libfaketime, as if a day went by.

    Only the wall clock moves (what `datetime.now()` says); the monotonic clock that the bot's
    timers and asyncio run on does not, so the bot goes on working while its days pass. The
    bot reads the offset at most once a second. It starts at the test's own time, which is the
    machine's unless the whole suite runs shifted.
    """

    def __init__(self, folder: Path) -> None:
        assert FAKETIME_LIBRARY is not None, "libfaketime is missing: `make test` installs it"
        self.file = folder / "faketime"
        self.base = outer_shift()
        self.offset = 0
        self._write()

    def _write(self) -> None:
        self.file.write_text(f"{self.base + self.offset:+d}\n")

    def env(self) -> dict[str, str]:
        return {
            "LD_PRELOAD": str(FAKETIME_LIBRARY),
            "FAKETIME_TIMESTAMP_FILE": str(self.file),
            # libfaketime reads the file again once the whole seconds since the last read
            # exceed this: 0 is at most once a second, 1 would be up to 2 s after a write
            "FAKETIME_CACHE_DURATION": "0",
            "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        }

    async def advance(self, seconds: int) -> None:
        self.offset += seconds
        self._write()
        await asyncio.sleep(1.1)  # the bot's cached offset expires

    def now(self, zone: ZoneInfo) -> datetime:
        return (datetime.now(UTC) + timedelta(seconds=self.offset)).astimezone(zone)

    def clear_of_midnight(self, zone: ZoneInfo, minutes: int = 30) -> date:
        """Before the bot starts: moves the clock past the zone's midnight when the day ends
        within `minutes`, so that a test counting one day's events does not see the day turn
        while it runs. Returns the bot's today there."""
        now = self.now(zone)
        left = timedelta(days=1) - (now - now.replace(hour=0, minute=0, second=0, microsecond=0))
        if left <= timedelta(minutes=minutes):
            self.offset += int(left.total_seconds()) + 60
            self._write()
        return self.now(zone).date()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
