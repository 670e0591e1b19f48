"""Engine and session factory; SQLite gets WAL, foreign keys and write-ahead locking."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    if url.startswith("sqlite"):
        # SQLite has one writer at a time, and every transaction here takes the write lock
        # (see _on_begin). With one connection, sessions queue for it in order and take over
        # the moment it is returned; with several, they would poll SQLite's busy handler, which
        # sleeps for milliseconds between tries. Sessions never hold it across a Bot API call
        # (`CommitBeforeCalling`) or while waiting on another session (`commit_so_far`), so a
        # session waits its turn however long the queue: with a time limit, the tail of a burst
        # of joins on a loaded machine failed (pool timeout) and those updates were lost.
        kwargs = {"pool_size": 1, "max_overflow": 0, "pool_timeout": None, **kwargs}
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        _tune_sqlite(engine)
    return engine


def _tune_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, say when a transaction starts (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock up front: a deferred transaction that reads and then
        # writes fails with "database is locked" instead of waiting when another writer commits.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_session_pool(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
