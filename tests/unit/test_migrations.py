from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import migrations
from models import Base, create_engine


async def table_names(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


async def test_upgrade_downgrade_and_upgrade_again(empty_database_url: str) -> None:
    await asyncio.to_thread(migrations.upgrade, empty_database_url)
    assert {"chats", "members", "points_ledger", "alembic_version"} <= await table_names(
        empty_database_url
    )
    await asyncio.to_thread(migrations.downgrade, empty_database_url, "base")
    assert await table_names(empty_database_url) <= {"alembic_version"}
    await asyncio.to_thread(migrations.upgrade, empty_database_url)
    assert "points_ledger" in await table_names(empty_database_url)


async def test_models_match_the_migrations(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            diff = await connection.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata)
            )
    finally:
        await engine.dispose()
    assert diff == []
