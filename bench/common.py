"""Shared by the benchmarks: a Bot that answers every request locally, and synthetic updates."""

from __future__ import annotations

import asyncio
import gc
import itertools
import os
import sys
import tempfile
import time
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.base import BaseSession
from aiogram.enums import ParseMode
from aiogram.methods import TelegramMethod
from aiogram.types import Chat, Message, Update, User
from sqlalchemy.engine import make_url

TOKEN = "123456789:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
BATCH = 100  # what one getUpdates hands over


class LocalSession(BaseSession):
    """No network: sends return a plausible Message at once, so only the bot's own work counts."""

    def __init__(self) -> None:
        super().__init__()
        self.ids = itertools.count(1)

    async def close(self) -> None:
        pass

    async def stream_content(self, *args: Any, **kwargs: Any) -> AsyncGenerator[bytes, None]:
        yield b""

    async def make_request(
        self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None
    ) -> Any:
        name = method.__api_method__
        if name == "getMe":
            return User(id=123456789, is_bot=True, first_name="fanbot", username="bench_bot")
        if name == "getChatAdministrators":
            return []
        if name == "getChatMemberCount":
            return 1_000
        if name.startswith("send"):
            chat_id = getattr(method, "chat_id", 0)
            return Message(
                message_id=next(self.ids),
                date=datetime.now(UTC),
                chat=Chat(id=chat_id, type="supergroup"),
            )
        return True


def database_url(name: str) -> str:
    """The PostgreSQL URL given on the command line, else a new SQLite file."""
    if len(sys.argv) > 1:
        return sys.argv[1]
    return f"sqlite+aiosqlite:///{tempfile.mkdtemp(prefix='fanbot-bench-')}/{name}.db"


@asynccontextmanager
async def fresh_database(server: str | None, name: str) -> AsyncIterator[str]:
    """An empty database for one workload: a new SQLite file, or (given a PostgreSQL URL) a
    database of its own on that server, dropped afterwards."""
    if not server:
        yield f"sqlite+aiosqlite:///{tempfile.mkdtemp(prefix='fanbot-bench-')}/{name}.db"
        return
    database = f"fanbot_bench_{name}_{os.getpid()}"
    dsn = make_url(server).set(drivername="postgresql").render_as_string(hide_password=False)

    async def run(statement: str) -> None:
        connection = await asyncpg.connect(dsn)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    await run(f"CREATE DATABASE {database}")
    try:
        yield make_url(server).set(database=database).render_as_string(hide_password=False)
    finally:
        await run(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


@dataclass(frozen=True)
class Row:
    """One workload of a run: updates/s through bare aiogram and through fanbot."""

    workload: str
    bare: float
    fanbot: float
    target: float | None = None

    @property
    def ratio(self) -> float:
        return self.fanbot / self.bare


def print_table(rows: list[Row]) -> None:
    print(f"| {'workload':<46} | {'bare aiogram/s':>14} | {'fanbot/s':>9} | ratio | target |")
    print(f"|{'-' * 48}|{'-' * 16}|{'-' * 11}|-------|--------|")
    for row in rows:
        target = f"{row.target:.2f}" if row.target is not None else ""
        print(
            f"| {row.workload:<46} | {row.bare:>14,.0f} | {row.fanbot:>9,.0f} "
            f"| {row.ratio:>5.2f} | {target:>6} |"
        )


def local_bot() -> Bot:
    return Bot(
        TOKEN, session=LocalSession(), default=DefaultBotProperties(parse_mode=ParseMode.HTML)
    )


def group_messages(
    bot: Bot,
    count: int,
    members: int,
    chats: int,
    text: str = "love the new colours!",
    *,
    start: datetime | None = None,
    every: timedelta = timedelta(0),
    first_id: int = 1,
) -> list[Update]:
    """Updates bound to `bot`, as getUpdates delivers them (else aiogram re-parses each one).

    Message n comes from member n % members; each round of `members` messages is `every`
    later than the one before, and `{n}` in `text` makes every message different.
    """
    start = start or datetime.now(UTC)
    updates = []
    for n in range(count):
        chat = Chat(id=-1001000 - n % chats, type="supergroup", title="Fans")
        user = User(
            id=10_000 + n % members,
            is_bot=False,
            first_name=f"Fan{n % members}",
            language_code="zh",
        )
        message = Message(
            message_id=first_id + n,
            date=start + every * (n // members),
            chat=chat,
            from_user=user,
            text=text.format(n=n),
        )
        update = Update(update_id=first_id + n, message=message)
        updates.append(Update.model_validate(update.model_dump(), context={"bot": bot}))
    return updates


async def feed(dispatcher: Dispatcher, bot: Bot, updates: list[Update], **data: Any) -> float:
    """Updates per second, fed the way the poller does: a batch at a time, concurrently.

    What is alive before the run (the prebuilt updates above all) is frozen out of the garbage
    collector first: a bot never holds 20,000 updates, and rescanning them in every full
    collection charged whoever allocates most (fanbot) for the harness (as in
    ../shared/bench-baseline)."""
    gc.collect()
    gc.freeze()
    started = time.perf_counter()
    for start in range(0, len(updates), BATCH):
        batch = updates[start : start + BATCH]
        await asyncio.gather(*(dispatcher.feed_update(bot, update, **data) for update in batch))
    return len(updates) / (time.perf_counter() - started)


def bare_dispatcher(reply: str | None = None) -> Dispatcher:
    """aiogram with one handler that does nothing, or only sends `reply` to each message."""
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def handle(message: Message) -> None:
        if reply is not None:
            await message.reply(reply)

    return dispatcher
