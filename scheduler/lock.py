"""Only one process runs the scheduler: on PostgreSQL, the holder of an advisory lock.

The lock lives as long as the database session that took it, so a worker that dies (its
connection drops) frees it, and a waiting worker takes over at its next try. SQLite is one
process's database: it always holds.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

logger = logging.getLogger(__name__)
LOCK_KEY = 0x66616E626F74  # "fanbot"
RETRY_EVERY = 30.0


class SchedulerLock:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._connection: AsyncConnection | None = None

    async def try_acquire(self) -> bool:
        if self.engine.dialect.name != "postgresql":
            return True
        if self._connection is not None:
            return True
        connection = await self.engine.connect()
        held = await connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY})
        await connection.commit()  # the lock is the session's, not the transaction's
        if held:
            self._connection = connection
            return True
        await connection.close()
        return False

    async def wait(self) -> None:
        """Until this process holds the lock."""
        while not await self.try_acquire():
            logger.info("another process runs the scheduler; trying again in %ss", RETRY_EVERY)
            await asyncio.sleep(RETRY_EVERY)

    async def release(self) -> None:
        if self._connection is not None:
            # The pool keeps the PostgreSQL session open, and the lock with it: unlock first.
            await self._connection.scalar(
                text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY}
            )
            await self._connection.commit()
            await self._connection.close()
            self._connection = None
