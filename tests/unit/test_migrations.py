from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, insert, inspect, select

import migrations
from models import Base, Chat, Order, create_engine


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


async def test_orders_recorded_before_titles_were_kept_stay_whole_with_no_title(
    empty_database_url: str,
) -> None:
    """0019 adds the item title to a database with orders: each order keeps every field,
    its title empty until its file is imported again; and the step goes back down."""
    await asyncio.to_thread(migrations.upgrade, empty_database_url, "0018_bind_proof")
    paid = datetime(2026, 11, 28, 12, 1, 30, tzinfo=UTC)
    engine = create_engine(empty_database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                insert(Chat).values(
                    id=-100, title="茶友群", type="supergroup", settings={}, active=True,
                    created_at=paid,
                )
            )  # fmt: skip
            await connection.execute(
                insert(Order).values(
                    chat_id=-100, order_id="3012345678901234567", buyer="小明爱喝茶",
                    buyer_key="小明爱喝茶", amount_fen=19_900, refunded_fen=0, status="paid",
                    paid_at=paid, source="import", points=199, points_state="waiting",
                    clawed_back=0, created_at=paid, updated_at=paid,
                )
            )  # fmt: skip
        await asyncio.to_thread(migrations.upgrade, empty_database_url)
        async with engine.connect() as connection:
            (order,) = (await connection.execute(select(Order.__table__))).mappings().all()
        assert (order["order_id"], order["buyer"], order["amount_fen"], order["paid_at"]) == (
            "3012345678901234567", "小明爱喝茶", 19_900, paid,
        )  # fmt: skip
        assert order["title"] is None
        await asyncio.to_thread(migrations.downgrade, empty_database_url, "0018_bind_proof")
        async with engine.connect() as connection:
            columns = await connection.run_sync(
                lambda c: {column["name"] for column in inspect(c).get_columns("orders")}
            )
            count = await connection.scalar(select(func.count()).select_from(Order.__table__))
        assert "title" not in columns
        assert count == 1
    finally:
        await engine.dispose()
