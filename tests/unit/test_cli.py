"""The CLI as an operator meets it: one clear line and exit code 2 for every bad setting."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from sandbox.server import DEFAULT_TOKEN
from tests.support.processes import SandboxProcess

TOKEN = "123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"


def fanbot(*args: str, tmp_path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "DATABASE_URL")}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env={**clean, **env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "config error: BOT_TOKEN is missing"),
        ({"BOT_TOKEN": "not-a-token"}, "config error: BOT_TOKEN does not look like a bot token"),
        (
            {"BOT_TOKEN": TOKEN, "DEFAULT_TIMEZONE": "Mars/Olympus"},
            "config error: DEFAULT_TIMEZONE unknown time zone",
        ),
        ({"BOT_TOKEN": TOKEN, "DEFAULT_LANGUAGE": "fr"}, "config error: DEFAULT_LANGUAGE"),
        (
            {"BOT_TOKEN": TOKEN, "DATABASE_URL": "sqlite+aiosqlite:////nonexistent/dir/x.db"},
            "database error: cannot use DATABASE_URL=sqlite+aiosqlite:////nonexistent/dir/x.db: "
            "the folder /nonexistent/dir does not exist",
        ),
        (
            {"BOT_TOKEN": TOKEN, "DATABASE_URL": "postgresql+asyncpg://fan:hunter2@127.0.0.1:1/db"},
            "database error: cannot use DATABASE_URL=postgresql+asyncpg://fan:***@127.0.0.1:1/db",
        ),
    ],
)
def test_bad_settings_stop_run_with_one_line(tmp_path, env: dict[str, str], expected: str) -> None:
    result = fanbot("run", tmp_path=tmp_path, **env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(expected)
    assert "Traceback" not in result.stderr
    assert "hunter2" not in result.stderr


def test_migrate_creates_the_sqlite_database(tmp_path) -> None:
    result = fanbot("migrate", tmp_path=tmp_path, BOT_TOKEN=TOKEN, LOG_LEVEL="WARNING")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "fanbot.db").exists()


def test_version(tmp_path) -> None:
    result = fanbot("--version", tmp_path=tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith("fanbot ")


@pytest.mark.parametrize("setting", ["WEB_PORT", "WEBHOOK_PORT"])
def test_a_port_another_program_holds_stops_run_with_one_line(tmp_path, setting: str) -> None:
    """The sandbox's old default port was WEB_PORT's: the bot died with a 36-line traceback."""
    sandbox = SandboxProcess()
    taken = socket.socket()
    try:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        webhook = (
            {"WEBHOOK_URL": f"https://bot.example.com:{port}/telegram", "WEBHOOK_SECRET": "s" * 32}
            if setting == "WEBHOOK_PORT"
            else {}
        )
        result = fanbot(
            "run", tmp_path=tmp_path, BOT_TOKEN=DEFAULT_TOKEN, TELEGRAM_API_URL=sandbox.url,
            DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/fanbot.db", LOG_LEVEL="ERROR",
            WEB_URL=f"http://127.0.0.1:{port}", WEBHOOK_HOST="127.0.0.1",
            **{setting: str(port)}, **webhook,
        )  # fmt: skip
    finally:
        taken.close()
        sandbox.stop()
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"config error: {setting}={port} is in use by another program on 127.0.0.1; "
        f"set {setting} to a free port"
    ]
