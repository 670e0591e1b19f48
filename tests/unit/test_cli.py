"""The CLI as an operator meets it: one clear line and exit code 2 for every bad setting."""

from __future__ import annotations

import asyncio
import csv
import os
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from models import create_engine, create_session_pool
from sandbox.server import DEFAULT_TOKEN
from services.chats import ChatService
from services.clock import Clock
from services.export_columns import ExportKind
from services.order_files import OrderLine, OrderStatus
from services.order_rules import OrderRules
from services.orders import OrderService, Source
from services.points import PointsService
from tests.support.processes import SandboxProcess
from tests.support.untranslated import untranslated

TOKEN = "123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
ROOT = Path(__file__).resolve().parents[2]


def fanbot(*args: str, tmp_path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "DATABASE_URL")}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env={**clean, "PYTHONPATH": str(ROOT), **env},  # this checkout's fanbot, from any cwd
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


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_fanbot_export_orders_writes_the_groups_orders_with_headers_in_its_language(
    tmp_path, database_url: str, language: str
) -> None:
    """`/export orders` and the console had orders; the CLI refused them (its own list)."""
    engine = create_engine(database_url)
    async with create_session_pool(engine)() as session, session.begin():
        chats = ChatService(session, Clock(), "Asia/Shanghai")
        await chats.ensure(-1001, "supergroup", "茶友群")
        await chats.set_language(-1001, language)
        points = PointsService(session, Clock())
        paid = datetime(2026, 11, 28, 12, tzinfo=UTC)
        line = OrderLine(2, "3012345678901234567", "小明爱喝茶", 19_900, OrderStatus.PAID, paid,
                         None, title="秋冬限定礼盒")  # fmt: skip
        await OrderService(session, Clock(), points).record(
            -1001, [line], source=Source.IMPORT, rules=OrderRules(), timezone="Asia/Shanghai"
        )
    await engine.dispose()
    result = await asyncio.to_thread(
        fanbot, "export", "orders", "--chat", "-1001", "--from", "2026-11-01", "--to",
        "2026-11-30", "-o", "orders.csv", tmp_path=tmp_path, BOT_TOKEN=TOKEN,
        DATABASE_URL=database_url, LOG_LEVEL="WARNING",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1 row written to orders.csv"
    header, row = csv.reader((tmp_path / "orders.csv").read_text("utf-8-sig").splitlines())
    assert header[:4] == (
        ["订单编号", "付款时间", "宝贝标题", "买家会员名"]
        if language == "zh"
        else ["order_id", "paid_at", "title", "buyer"]
    )
    assert row[:4] == ["3012345678901234567", "2026-11-28 20:00:00", "秋冬限定礼盒", "小明爱喝茶"]
    assert untranslated(",".join(header if language == "zh" else [])) == []


def test_fanbot_export_offers_every_export_the_bot_has(tmp_path) -> None:
    result = fanbot("export", "--help", tmp_path=tmp_path)
    assert "{" + ",".join(kind.value for kind in ExportKind) + "}" in result.stdout
