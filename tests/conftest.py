"""Real databases for every test: SQLite always, PostgreSQL when TEST_DATABASE_URL is set."""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import migrations
from models import create_engine, create_session_pool
from sandbox.client import SandboxClient
from sandbox.server import start_sandbox

PG_URL = os.environ.get("TEST_DATABASE_URL")
REDIS_URL = os.environ.get("TEST_REDIS_URL")
_databases = itertools.count()


def with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


async def pg_execute(url: str, *statements: str) -> None:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def db_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database migrated once per run; each test gets a copy."""
    if PG_URL:
        name = f"fanbot_template_{os.getpid()}"
        asyncio.run(
            pg_execute(PG_URL, f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}")
        )
        migrations.upgrade(with_database(PG_URL, name))
        yield name
        asyncio.run(pg_execute(PG_URL, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    else:
        path = tmp_path_factory.mktemp("template") / "template.db"
        migrations.upgrade(f"sqlite+aiosqlite:///{path}")
        yield str(path)


async def create_database(template: str, folder: Path) -> tuple[str, Callable[[], Awaitable[None]]]:
    """A copy of the migrated template, and how to drop it."""
    if PG_URL:
        name = f"fanbot_test_{os.getpid()}_{next(_databases)}"
        await pg_execute(PG_URL, f"CREATE DATABASE {name} TEMPLATE {template}")

        async def drop() -> None:
            await pg_execute(PG_URL or "", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

        return with_database(PG_URL, name), drop
    path = folder / f"fanbot-{next(_databases)}.db"
    shutil.copy(template, path)

    async def forget() -> None:
        pass

    return f"sqlite+aiosqlite:///{path}", forget


@pytest.fixture
async def database_url(db_template: str, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, migrated database for one test."""
    url, drop = await create_database(db_template, tmp_path)
    yield url
    await drop()


@pytest.fixture
async def empty_database_url(tmp_path: Path) -> AsyncIterator[str]:
    """A database with no tables at all, for migration tests."""
    if PG_URL:
        name = f"fanbot_empty_{os.getpid()}_{next(_databases)}"
        await pg_execute(PG_URL, f"CREATE DATABASE {name}")
        yield with_database(PG_URL, name)
        await pg_execute(PG_URL, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    else:
        yield f"sqlite+aiosqlite:///{tmp_path}/empty.db"


@pytest.fixture
async def session_pool(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(database_url)
    yield create_session_pool(engine)
    await engine.dispose()


@pytest.fixture
async def session(
    session_pool: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    async with session_pool() as session:
        yield session


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, SandboxClient]]:
    """A sandbox in this test's event loop: its base URL and a client."""
    runner, url = await start_sandbox()
    client = SandboxClient(url)
    yield url, client
    await client.close()
    await runner.cleanup()
